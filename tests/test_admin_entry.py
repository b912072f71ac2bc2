"""Writing an entry with its blocks and bylines in the admin, as a superuser.

Whole entries or nothing, and bad blocks refused clearly. Who may do what is in
test_admin_permissions; the buttons and corrections in test_admin_workflow.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from streams.models import Block, Byline, Entry
from tests import admin_forms, factories


def entry_form(stream, blocks, bylines=(), **fields):
    """Published on 23 December 2015 unless the test says otherwise."""
    published = {"published_at_0": "2015-12-23", "published_at_1": "14:05:00"}
    return admin_forms.entry_form(
        stream, blocks, bylines, action="publish", **{**published, **fields}
    )


@pytest.fixture
def admin_client_(client_as, superuser):
    return client_as(superuser)


ADD_URL = reverse("admin:streams_entry_add")


def test_superuser_writes_an_entry_with_text_quote_and_bylines(admin_client_, stream_a, source):
    profile = factories.ProfileFactory(display_name="James Miller", handle="james-miller")
    data = entry_form(
        stream_a,
        blocks=[
            {"body": "<p>Amnesty reports:</p>"},
            {
                "kind": "quote",
                "source": source.pk,
                "body": "<p>Civilians were killed.</p>",
                "cited_url": "https://www.amnesty.org/en/latest/news/2015/12/syria/",
                "original": "<p>Погибли мирные жители.</p>",
                "original_language": "ru",
            },
        ],
        bylines=[{"profile": profile.pk}, {"name": "Pierre Vaux"}],
    )
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    entry = Entry.objects.get()
    assert [b.kind for b in entry.blocks.all()] == ["text", "quote"]
    assert [b.display_name for b in entry.bylines.all()] == ["James Miller", "Pierre Vaux"]
    stream_a.refresh_from_db()
    assert stream_a.last_published_at == entry.published_at
    page = admin_client_.get(stream_a.get_absolute_url())
    assertContains(page, "Amnesty International</a> reports:")
    assertContains(page, "<summary>Original (Russian)</summary>", html=True)


def test_disallowed_markup_is_stored_cleaned(admin_client_, stream_a):
    data = entry_form(
        stream_a,
        blocks=[
            {
                "body": '<p onclick="steal()">Fact<script>steal()</script></p>'
                '<iframe src="x"></iframe>'
            }
        ],
    )
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 302
    assert Block.objects.get().body == "<p>Fact</p>"


def test_every_rich_text_field_of_a_quote_is_stored_cleaned(admin_client_, stream_a, source):
    data = entry_form(
        stream_a,
        blocks=[
            {
                "kind": "quote",
                "source": source.pk,
                "body": '<p>Said <a href="javascript:alert(1)">this</a></p>',
                "original": '<p onmouseover="x()">Сказал<img src=x onerror=alert(1)></p>',
                "original_language": "ru",
            }
        ],
        title="Break\x1bing",
    )
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 302
    block = Block.objects.get()
    assert block.body == '<p>Said <a rel="nofollow noopener">this</a></p>'
    assert block.original == "<p>Сказал</p>"
    assert Entry.objects.get().title == "Breaking"


def test_block_empty_after_cleaning_is_refused_and_nothing_is_saved(admin_client_, stream_a):
    data = entry_form(stream_a, blocks=[{"body": "<script>alert(1)</script><p> </p>"}])
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 200
    assertContains(response, "This block is empty: write its text.")
    assert not Entry.objects.exists()
    assert not Block.objects.exists()


def test_quote_without_source_is_refused(admin_client_, stream_a):
    data = entry_form(stream_a, blocks=[{"kind": "quote", "body": "<p>Unattributed claim.</p>"}])
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 200
    assertContains(response, "A quote needs a source")
    assert not Entry.objects.exists()


def test_translated_quote_needs_the_language_of_its_original(admin_client_, stream_a, source):
    data = entry_form(
        stream_a,
        blocks=[
            {"kind": "quote", "source": source.pk, "body": "<p>X</p>", "original": "<p>Икс</p>"}
        ],
    )
    response = admin_client_.post(ADD_URL, data)
    assertContains(response, "Say which language the original text is in.")
    assert not Entry.objects.exists()


def test_published_entry_without_any_block_is_refused(admin_client_, stream_a):
    response = admin_client_.post(ADD_URL, entry_form(stream_a, blocks=[]))
    assertContains(response, "An entry needs at least one block before it is submitted")
    assert not Entry.objects.exists()


def test_scheduling_without_a_time_is_refused(admin_client_, stream_a):
    data = entry_form(
        stream_a,
        blocks=[{"body": "<p>x</p>"}],
        published_at_0="",
        published_at_1="",
        _action="schedule",
    )
    response = admin_client_.post(ADD_URL, data)
    assertContains(response, "To schedule this entry, pick a publish time in the future.")
    assert not Entry.objects.exists()


def test_byline_needs_a_person_or_a_name(admin_client_, stream_a):
    data = entry_form(stream_a, blocks=[{"body": "<p>x</p>"}], bylines=[{"name": ""}])
    data["bylines-0-position"] = "2"
    response = admin_client_.post(ADD_URL, data)
    assertContains(response, "Pick a person or type a name for this byline.")
    assert not Byline.objects.exists()


def test_publish_and_unpublish_actions_move_the_stream_time(admin_client_, stream_a):
    entry = factories.EntryFactory(stream=stream_a, status=Entry.Status.DRAFT, published_at=None)
    changelist = reverse("admin:streams_entry_changelist")
    admin_client_.post(changelist, {"action": "publish_now", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    stream_a.refresh_from_db()
    assert entry.status == Entry.Status.PUBLISHED
    assert stream_a.last_published_at == entry.published_at
    admin_client_.post(changelist, {"action": "unpublish", "_selected_action": [entry.pk]})
    stream_a.refresh_from_db()
    assert Entry.objects.get().status == Entry.Status.DRAFT
    assert stream_a.last_published_at is None


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:streams_publisher_add",
        "admin:streams_stream_add",
        "admin:streams_source_add",
        "admin:streams_entry_add",
        "admin:streams_entry_changelist",
        "admin:streams_stream_changelist",
        "admin:streams_source_changelist",
        "admin:accounts_user_changelist",
    ],
)
def test_admin_pages_open_for_a_superuser(admin_client_, url_name, stream_a, source):
    factories.EntryFactory(stream=stream_a, quotes=[source], bylines=["Guest"])
    assert admin_client_.get(reverse(url_name)).status_code == 200


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(ADD_URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_signed_in_member_cannot_enter_the_admin(client_as, member):
    response = client_as(member).get(ADD_URL)
    assert response.status_code == 302
