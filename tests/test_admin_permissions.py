"""Who gets what from every admin URL of every streams model: the permission matrix.

Columns are the personas, in this order; the objects all belong to publisher A
(sources belong to nobody). 302 is the admin sending someone to sign in; 404 is
an object out of the user's publishers, whose existence is not admitted.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from streams.models import Entry, Stream
from tests import factories

PERSONAS = ["editor_a", "editor_b", "writer_a", "superuser", "staff", "member", "anonymous"]

OK, GONE, NO, LOGIN = 200, 404, 403, 302

# url name -> statuses for PERSONAS
MATRIX = {
    # Entries: everyone of A sees them, a writer read-only; B finds nothing.
    "entry_changelist": [OK, OK, OK, OK, NO, LOGIN, LOGIN],
    "entry_add": [OK, OK, OK, OK, NO, LOGIN, LOGIN],
    "entry_change": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    "entry_delete": [OK, GONE, NO, OK, GONE, LOGIN, LOGIN],
    "entry_history": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    "entry_recoverlist": [OK, OK, NO, OK, NO, LOGIN, LOGIN],
    # Streams: editors run them, writers read them.
    "stream_changelist": [OK, OK, OK, OK, NO, LOGIN, LOGIN],
    "stream_add": [OK, OK, NO, OK, NO, LOGIN, LOGIN],
    "stream_change": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    "stream_delete": [OK, GONE, NO, OK, GONE, LOGIN, LOGIN],
    "stream_history": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    # The desk: everyone who writes to the stream; nobody else learns it exists.
    "stream_desk": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    "stream_desk_composer": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    "stream_desk_feed": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    "stream_desk_sources": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    # Publishers are made and deleted by superusers only.
    "publisher_changelist": [OK, OK, OK, OK, NO, LOGIN, LOGIN],
    "publisher_add": [NO, NO, NO, OK, NO, LOGIN, LOGIN],
    "publisher_change": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    "publisher_delete": [NO, GONE, NO, OK, GONE, LOGIN, LOGIN],
    "publisher_history": [OK, GONE, OK, OK, GONE, LOGIN, LOGIN],
    # Sources are shared: every member picks and creates them; only superusers delete.
    "source_changelist": [OK, OK, OK, OK, NO, LOGIN, LOGIN],
    "source_add": [OK, OK, OK, OK, NO, LOGIN, LOGIN],
    "source_change": [OK, OK, OK, OK, GONE, LOGIN, LOGIN],
    "source_delete": [NO, NO, NO, OK, GONE, LOGIN, LOGIN],
    "source_history": [OK, OK, OK, OK, GONE, LOGIN, LOGIN],
    # Staff-only models stay out of editors' reach.
    "accounts_user_changelist": [NO, NO, NO, OK, NO, LOGIN, LOGIN],
    "accounts_profile_changelist": [NO, NO, NO, OK, NO, LOGIN, LOGIN],
}

AUTOCOMPLETE = {
    # (model_name, field_name) -> statuses
    ("entry", "stream"): [OK, OK, OK, OK, NO, LOGIN, LOGIN],
    ("block", "source"): [OK, OK, OK, OK, NO, LOGIN, LOGIN],
    ("byline", "profile"): [OK, OK, OK, OK, NO, LOGIN, LOGIN],
}


@pytest.fixture
def world(editor_a, editor_b, writer_a, superuser, staff, member, stream_a, stream_b, source):
    entry = factories.EntryFactory(stream=stream_a, created_by=editor_a, quotes=[source])
    factories.EntryFactory(stream=stream_b, created_by=editor_b, title="Flood entry")
    users = {
        "editor_a": editor_a,
        "editor_b": editor_b,
        "writer_a": writer_a,
        "superuser": superuser,
        "staff": staff,
        "member": member,
    }
    return {"users": users, "entry": entry, "stream": stream_a, "source": source}


def client_for(world, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    return client


def url_for(world, name: str) -> str:
    if name.startswith("accounts_"):
        return reverse(f"admin:{name}")
    model, view = name.split("_", 1)
    obj = {
        "entry": world["entry"],
        "stream": world["stream"],
        "publisher": world["stream"].publisher,
        "source": world["source"],
    }[model]
    if view in ("changelist", "add", "recoverlist"):
        return reverse(f"admin:streams_{model}_{view}")
    return reverse(f"admin:streams_{model}_{view}", args=[obj.pk])


@pytest.mark.parametrize(
    ("name", "persona", "expected"),
    [
        (name, persona, statuses[i])
        for name, statuses in MATRIX.items()
        for i, persona in enumerate(PERSONAS)
    ],
)
def test_admin_url_answers_each_persona(world, name, persona, expected):
    response = client_for(world, persona).get(url_for(world, name))
    assert response.status_code == expected, response.get("Location", "")


@pytest.mark.parametrize(
    ("field", "persona", "expected"),
    [
        (field, persona, statuses[i])
        for field, statuses in AUTOCOMPLETE.items()
        for i, persona in enumerate(PERSONAS)
    ],
)
def test_autocomplete_answers_each_persona(world, field, persona, expected):
    model_name, field_name = field
    url = reverse("admin:autocomplete")
    params = {"app_label": "streams", "model_name": model_name, "field_name": field_name}
    response = client_for(world, persona).get(url, params)
    assert response.status_code == expected


def autocomplete(client: Client, model_name: str, field_name: str, term: str = "") -> list[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "streams", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return sorted(result["text"] for result in json.loads(response.content)["results"])


def test_byline_autocomplete_offers_editor_a_only_members_of_a(world):
    client = client_for(world, "editor_a")
    assert autocomplete(client, "byline", "profile") == ["Editor-A", "Writer-A"]


def test_stream_autocomplete_offers_each_editor_their_own_streams(world, stream_b):
    assert autocomplete(client_for(world, "editor_a"), "entry", "stream") == ["Syria: December 23"]
    assert autocomplete(client_for(world, "editor_b"), "entry", "stream") == ["Flood watch"]
    assert autocomplete(client_for(world, "superuser"), "entry", "stream") == [
        "Flood watch",
        "Syria: December 23",
    ]


def test_sources_are_shared_by_every_publisher(world):
    assert autocomplete(client_for(world, "editor_b"), "block", "source") == [
        "Amnesty International"
    ]


def test_editor_of_b_lists_only_b_entries(world):
    response = client_for(world, "editor_b").get(reverse("admin:streams_entry_changelist"))
    titles = [str(entry) for entry in response.context["cl"].result_list]
    assert titles == ["Flood entry"]
    assert "Syria: December 23" not in response.content.decode()


def test_editor_of_b_gets_404_on_entry_of_a_even_when_posting(world):
    entry = world["entry"]
    url = reverse("admin:streams_entry_change", args=[entry.pk])
    response = client_for(world, "editor_b").post(url, {"title": "Hijacked"})
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.title != "Hijacked"


def test_staff_without_membership_sees_no_streams_models(world):
    response = client_for(world, "staff").get(reverse("admin:index"))
    assert response.status_code == 200
    assert "streams" not in [app["app_label"] for app in response.context["app_list"]]


def test_editor_sees_streams_models_without_any_django_permission(world):
    editor = world["users"]["editor_a"]
    assert not editor.user_permissions.exists() and not editor.groups.exists()
    response = client_for(world, "editor_a").get(reverse("admin:index"))
    models = {
        model["object_name"]
        for app in response.context["app_list"]
        for model in app["models"]
        if app["app_label"] == "streams"
    }
    assert models == {"Entry", "Publisher", "Source", "Stream"}


def test_stream_and_publisher_choices_are_limited_to_the_editors_own(world, stream_b):
    response = client_for(world, "editor_a").get(reverse("admin:streams_stream_add"))
    publishers = list(response.context["adminform"].form.fields["publisher"].queryset)
    assert [p.slug for p in publishers] == ["translators-desk"]


def test_editor_cannot_create_an_entry_in_another_publishers_stream(world, stream_b):
    data = {
        "stream": stream_b.pk,
        "title": "Planted",
        "_action": "draft",
        "blocks-TOTAL_FORMS": 1,
        "blocks-INITIAL_FORMS": 0,
        "blocks-0-kind": "text",
        "blocks-0-position": 0,
        "blocks-0-body": "<p>x</p>",
        "bylines-TOTAL_FORMS": 0,
        "bylines-INITIAL_FORMS": 0,
    }
    response = client_for(world, "editor_a").post(reverse("admin:streams_entry_add"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Entry.objects.filter(title="Planted").exists()


def test_editor_cannot_byline_a_member_of_another_publisher(world, stream_a):
    outsider = world["users"]["editor_b"].profile
    data = {
        "stream": stream_a.pk,
        "title": "Borrowed byline",
        "_action": "draft",
        "blocks-TOTAL_FORMS": 1,
        "blocks-INITIAL_FORMS": 0,
        "blocks-0-kind": "text",
        "blocks-0-position": 0,
        "blocks-0-body": "<p>x</p>",
        "bylines-TOTAL_FORMS": 1,
        "bylines-INITIAL_FORMS": 0,
        "bylines-0-position": 0,
        "bylines-0-profile": outsider.pk,
    }
    response = client_for(world, "editor_a").post(reverse("admin:streams_entry_add"), data)
    assert response.status_code == 200
    assert not Entry.objects.filter(title="Borrowed byline").exists()


@pytest.mark.parametrize(
    ("persona", "published"),
    [
        ("editor_a", True),
        ("editor_b", False),
        ("writer_a", False),
        ("superuser", True),
        ("staff", False),
        ("member", False),
        ("anonymous", False),
    ],
)
def test_publish_action_works_only_for_editors_of_the_entry(world, persona, published):
    entry = factories.EntryFactory(
        stream=world["stream"], status=Entry.Status.DRAFT, published_at=None
    )
    client_for(world, persona).post(
        reverse("admin:streams_entry_changelist"),
        {"action": "publish_now", "_selected_action": [entry.pk]},
    )
    entry.refresh_from_db()
    assert (entry.status == Entry.Status.PUBLISHED) is published


@pytest.mark.parametrize(
    ("persona", "deleted"),
    [("editor_a", True), ("editor_b", False), ("writer_a", False), ("staff", False)],
)
def test_delete_action_is_scoped(world, persona, deleted):
    entry = world["entry"]
    client_for(world, persona).post(
        reverse("admin:streams_entry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert Entry.objects.filter(pk=entry.pk).exists() is not deleted


@pytest.mark.parametrize(
    ("persona", "ended"),
    [("editor_a", True), ("editor_b", False), ("writer_a", False), ("staff", False)],
)
def test_end_stream_action_is_scoped(world, persona, ended):
    stream = world["stream"]
    client_for(world, persona).post(
        reverse("admin:streams_stream_changelist"),
        {"action": "end_streams", "_selected_action": [stream.pk]},
    )
    stream.refresh_from_db()
    assert (stream.status == Stream.Status.ENDED) is ended


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("editor_a", 200),
        ("editor_b", 404),
        ("writer_a", 200),
        ("superuser", 200),
        ("staff", 404),
        ("member", 404),
        ("anonymous", 404),
    ],
)
def test_preview_is_for_those_who_may_open_the_entry(world, persona, expected):
    entry = factories.EntryFactory(
        stream=world["stream"], status=Entry.Status.DRAFT, published_at=None, title="Draft one"
    )
    url = reverse("streams:entry_preview", kwargs={"slug": entry.stream.slug, "pk": entry.pk})
    response = client_for(world, persona).get(url)
    assert response.status_code == expected
    if expected == 200:
        assert "Preview — not published" in response.content.decode()
        assert response["X-Robots-Tag"].startswith("noindex")
        assert "no-cache" in response["Cache-Control"]
