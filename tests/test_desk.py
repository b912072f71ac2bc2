"""The desk: one admin page per stream to write and publish, and to tend what is published.

These drive its views as the page without JavaScript posts them (and, with an Accept header,
as its script does); tests/browser/test_desk.py drives the page itself in Chromium.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from streams import services
from streams.desk import EMPTY_ENTRY, IMAGE_WITHOUT_ALT, QUOTE_WITHOUT_SOURCE
from streams.models import Block, Entry, Source
from tests import factories

JSON = {"HTTP_ACCEPT": "application/json"}


def desk_url(stream, name: str = "desk", *args) -> str:
    return reverse(f"admin:streams_stream_{name}", args=[stream.pk, *args])


def compose(action="publish", blocks=(), **fields) -> dict:
    """The composer as it is posted: its fields, then its blocks as a formset."""
    data = {
        "action": action,
        "title": "",
        "bylines": [],
        "blocks-TOTAL_FORMS": len(blocks),
        "blocks-INITIAL_FORMS": 0,
        "blocks-MIN_NUM_FORMS": 0,
        "blocks-MAX_NUM_FORMS": 1000,
    }
    for index, block in enumerate(blocks):
        for name, value in {"kind": "text", **block}.items():
            data[f"blocks-{index}-{name}"] = value
    data.update(fields)
    return data


def png(size=(640, 400)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "photo.png"
    return buffer


# Links to the desk ----------------------------------------------------------------------


def test_the_admin_index_offers_open_desk_for_each_stream_the_editor_writes_to(
    client_as, editor_a, stream_a, stream_b
):
    response = client_as(editor_a).get(reverse("admin:index"))

    assertContains(response, f'<a href="{desk_url(stream_a)}">Open desk</a>', html=True)
    assertNotContains(response, desk_url(stream_b))


def test_a_writer_has_the_desks_of_their_publisher_too(client_as, writer_a, stream_a):
    response = client_as(writer_a).get(reverse("admin:index"))

    assertContains(response, "Open desk")


def test_staff_without_a_publisher_have_no_desk(client_as, staff, stream_a):
    assertNotContains(client_as(staff).get(reverse("admin:index")), "Open desk")


def test_the_streams_list_and_a_streams_page_link_to_its_desk(client_as, editor_a, stream_a):
    client = client_as(editor_a)

    listed = client.get(reverse("admin:streams_stream_changelist"))
    page = client.get(reverse("admin:streams_stream_change", args=[stream_a.pk]))

    assertContains(listed, f'href="{desk_url(stream_a)}">Open desk</a>')
    assertContains(page, f'<a href="{desk_url(stream_a)}">Open desk</a>', html=True)


# The page ------------------------------------------------------------------------------------


def test_the_desk_shows_a_composer_then_the_stream_as_readers_see_it(client_as, editor_a, stream_a):
    factories.EntryFactory(stream=stream_a, title="Talks resume")

    response = client_as(editor_a).get(desk_url(stream_a))

    assertContains(response, "<h1>Syria: December 23</h1>", html=True)
    assertContains(response, 'value="publish"')
    assertContains(response, "Talks resume")
    assertContains(response, "In the stream, as readers see it")
    # The first text box on the page is the composer's.
    html = response.content.decode()
    assert html.index('class="desk-text"') < html.index("Talks resume")


def test_a_writers_desk_submits_for_review_and_cannot_publish(client_as, writer_a, stream_a):
    response = client_as(writer_a).get(desk_url(stream_a))

    assertContains(response, 'value="submit"')
    assertNotContains(response, 'value="publish"')
    assertNotContains(response, 'name="pinned"')


def test_the_desk_costs_the_same_queries_for_a_long_stream(
    client_as, editor_a, stream_a, source, django_assert_num_queries
):
    client = client_as(editor_a)
    for status in ("published", "published", "submitted", "draft", "scheduled"):
        factories.EntryFactory(
            stream=stream_a,
            quotes=[source],
            status=status,
            published_at=timezone.now() + timedelta(hours=1)
            if status == "scheduled"
            else None
            if status in ("submitted", "draft")
            else timezone.now() - timedelta(hours=1),
        )
    client.get(desk_url(stream_a))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as short:
        client.get(desk_url(stream_a))
    for status in ["published"] * 30 + ["submitted"] * 5 + ["draft"] * 5:
        factories.EntryFactory(
            stream=stream_a,
            quotes=[source],
            status=status,
            published_at=None if status != "published" else timezone.now() - timedelta(hours=2),
        )

    with CaptureQueriesContext(connection) as long:
        client.get(desk_url(stream_a))

    assert len(long) == len(short)


# Composing --------------------------------------------------------------------------------


def test_an_editor_publishes_text_and_a_quote_from_a_source_created_in_place(
    client_as, editor_a, stream_a
):
    data = compose(
        blocks=[
            {"body": "<p>Amnesty reports:</p>"},
            {
                "kind": "quote",
                "source_name": "Amnesty International",
                "body": "<p>Russian strikes killed civilians.</p>",
                "cited_url": "https://www.amnesty.org/en/latest/",
            },
        ],
        bylines=[f"p:{editor_a.profile.pk}"],
    )

    response = client_as(editor_a).post(desk_url(stream_a), data)

    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.PUBLISHED
    assert entry.modified_by == editor_a
    assert [block.kind for block in entry.blocks.all()] == ["text", "quote"]
    quote = entry.blocks.get(kind="quote")
    assert quote.source.name == "Amnesty International"
    assert quote.source.slug == "amnesty-international"
    assert [byline.profile for byline in entry.bylines.all()] == [editor_a.profile]
    assertContains(client_as(editor_a).get(stream_a.get_absolute_url()), "Russian strikes")


def test_a_source_typed_in_another_case_is_the_existing_one(client_as, editor_a, stream_a, source):
    data = compose(
        blocks=[{"kind": "quote", "source_name": "amnesty INTERNATIONAL", "body": "<p>x</p>"}]
    )

    client_as(editor_a).post(desk_url(stream_a), data)

    assert Source.objects.count() == 1
    assert Block.objects.get().source == source


def test_text_typed_without_javascript_becomes_paragraphs(client_as, editor_a, stream_a):
    data = compose(blocks=[{"body": "First paragraph.\n\nSecond <one> & more."}])

    client_as(editor_a).post(desk_url(stream_a), data)

    assert (
        Block.objects.get().body
        == "<p>First paragraph.</p>\n\n<p>Second &lt;one&gt; &amp; more.</p>"
    )


def test_the_script_gets_json_back(client_as, editor_a, stream_a):
    response = client_as(editor_a).post(
        desk_url(stream_a), compose(blocks=[{"body": "<p>x</p>"}]), **JSON
    )

    entry = Entry.objects.get()
    assert response.json() == {
        "ok": True,
        "message": "The entry is published.",
        "entry": {"id": entry.pk, "revision": entry.revision, "status": "published"},
    }


def test_a_draft_is_kept_out_of_sight(client_as, editor_a, stream_a):
    client_as(editor_a).post(desk_url(stream_a), compose("draft", [{"body": "<p>Not yet</p>"}]))

    entry = Entry.objects.get()
    assert entry.status == Entry.Status.DRAFT
    assertNotContains(client_as(editor_a).get(stream_a.get_absolute_url()), "Not yet")


def test_a_time_in_the_future_schedules_the_entry(client_as, editor_a, stream_a):
    when = timezone.localtime() + timedelta(hours=2)
    data = compose(
        "schedule", [{"body": "<p>Later</p>"}], publish_at=when.strftime("%Y-%m-%dT%H:%M")
    )

    client_as(editor_a).post(desk_url(stream_a), data)

    entry = Entry.objects.get()
    assert entry.status == Entry.Status.SCHEDULED
    assert entry.published_at == when.replace(second=0, microsecond=0)


def test_a_key_event_is_pinned_by_an_editor(client_as, editor_a, stream_a):
    client_as(editor_a).post(
        desk_url(stream_a), compose(blocks=[{"body": "<p>x</p>"}], pinned="on", title="Ceasefire")
    )

    entry = Entry.objects.get()
    assert entry.pinned and entry.title == "Ceasefire"


def test_a_writer_submits_for_review_and_a_pin_is_not_theirs_to_set(client_as, writer_a, stream_a):
    client_as(writer_a).post(
        desk_url(stream_a), compose("submit", [{"body": "<p>From the scene</p>"}], pinned="on")
    )

    entry = Entry.objects.get()
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.submitted_by == writer_a
    assert not entry.pinned


def test_a_writer_asking_to_publish_is_refused_and_nothing_is_saved(client_as, writer_a, stream_a):
    response = client_as(writer_a).post(
        desk_url(stream_a), compose("publish", [{"body": "<p>x</p>"}]), **JSON
    )

    assert response.status_code == 400
    assert "Only an editor" in response.json()["errors"]["__all__"][0]
    assert not Entry.objects.exists()


def test_a_picture_with_its_alt_text_is_stored_reencoded(client_as, editor_a, stream_a):
    data = compose(blocks=[{"kind": "image", "alt_text": "Flooded street", "upload": png()}])

    client_as(editor_a).post(desk_url(stream_a), data)

    block = Block.objects.get()
    assert block.kind == Block.Kind.IMAGE
    assert block.image.name.endswith(".webp")
    assert block.alt_text == "Flooded street"


# Bad input: a message beside the field, nothing half-saved --------------------------------


@pytest.mark.parametrize(
    ("blocks", "field", "message"),
    [
        ([{"body": ""}], "blocks-0-body", EMPTY_ENTRY),
        ([{"body": "<p> &nbsp;</p>"}], "blocks-0-body", EMPTY_ENTRY),
        (
            [{"body": "<p>Says:</p>"}, {"kind": "quote", "body": "<p>Claim</p>"}],
            "blocks-1-source_name",
            QUOTE_WITHOUT_SOURCE,
        ),
        ([{"kind": "image", "upload": "__png__"}], "blocks-0-alt_text", IMAGE_WITHOUT_ALT),
        (
            [{"kind": "embed", "embed_url": "https://evil.example/watch?v=1"}],
            "blocks-0-embed_url",
            "not from a provider we embed",
        ),
        (
            [{"kind": "image", "upload": "__text__", "alt_text": "x"}],
            "blocks-0-upload",
            "",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "quote-without-source",
        "image-without-alt",
        "embed-elsewhere",
        "not-an-image",
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(
    client_as, editor_a, stream_a, blocks, field, message
):
    for block in blocks:
        if block.get("upload") == "__png__":
            block["upload"] = png()
        elif block.get("upload") == "__text__":
            block["upload"] = io.BytesIO(b"<?php echo 1; ?>")
            block["upload"].name = "photo.png"

    response = client_as(editor_a).post(desk_url(stream_a), compose(blocks=blocks), **JSON)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not Entry.objects.exists() and not Block.objects.exists()
    assert not Source.objects.exists()


def test_without_javascript_the_refused_page_keeps_what_was_typed(client_as, editor_a, stream_a):
    data = compose(
        blocks=[{"body": "My careful words"}, {"kind": "quote", "body": "Quoted words"}],
        title="Kept title",
    )

    response = client_as(editor_a).post(desk_url(stream_a), data)

    assert response.status_code == 400
    assertContains(response, "My careful words", status_code=400)
    assertContains(response, "Quoted words", status_code=400)
    assertContains(response, 'value="Kept title"', status_code=400)
    assertContains(response, QUOTE_WITHOUT_SOURCE.replace("“", "&ldquo;")[:20], status_code=400)


def test_a_byline_of_someone_outside_the_publisher_is_refused(
    client_as, editor_a, editor_b, stream_a
):
    data = compose(blocks=[{"body": "<p>x</p>"}], bylines=[f"p:{editor_b.profile.pk}"])

    response = client_as(editor_a).post(desk_url(stream_a), data, **JSON)

    assert response.status_code == 400
    assert "bylines" in response.json()["errors"]
    assert not Entry.objects.exists()


def test_a_guest_writer_is_bylined_by_name(client_as, editor_a, stream_a):
    data = compose(blocks=[{"body": "<p>x</p>"}], bylines=["n:Lina Haddad"])

    client_as(editor_a).post(desk_url(stream_a), data)

    assert Entry.objects.get().bylines.get().name == "Lina Haddad"


# Editing, correcting, and two people at once -----------------------------------------------


@pytest.fixture
def published(stream_a, source):
    entry = factories.EntryFactory(stream=stream_a, title="Talks resume", quotes=[source])
    return entry


def _edit_form(entry: Entry, **changes) -> dict:
    blocks = [
        {
            "kind": block.kind,
            "block": block.pk,
            "body": block.body,
            "source": block.source_id or "",
            "cited_url": block.cited_url,
        }
        for block in entry.blocks.all()
    ]
    fields = {"entry": entry.pk, "based_on_revision": entry.revision, "title": entry.title}
    return compose("save", blocks, **{**fields, **changes})


def test_the_composer_opens_an_entry_to_edit(client_as, editor_a, stream_a, published):
    response = client_as(editor_a).get(desk_url(stream_a) + f"?edit={published.pk}")

    assertContains(response, f'name="entry" value="{published.pk}"')
    assertContains(response, f'name="based_on_revision" value="{published.revision}"')
    assertContains(response, "Correction note, shown publicly")


def test_editing_a_published_entry_records_a_public_correction(
    client_as, editor_a, stream_a, published
):
    data = _edit_form(published, correction="The figure was 12, not 21.")
    data["blocks-0-body"] = "<p>Twelve, in fact.</p>"

    response = client_as(editor_a).post(desk_url(stream_a), data)

    assert response.status_code == 302
    published.refresh_from_db()
    assert published.correction_note == "The figure was 12, not 21."
    assert published.updated_at is not None
    assert published.blocks.first().body == "<p>Twelve, in fact.</p>"


def test_editing_keeps_a_picture_that_was_not_changed(client_as, editor_a, stream_a):
    entry = services.entry_create(stream=stream_a, blocks=[services.TextBlock("<p>x</p>")])
    picture = Block(entry=entry, position=1, kind=Block.Kind.IMAGE, alt_text="Before")
    services.block_image_store(block=picture, upload=png(), save=True)
    stored = picture.image.name
    data = _edit_form(entry)
    data.update(
        {"blocks-1-kind": "image", "blocks-1-block": picture.pk, "blocks-1-alt_text": "After"}
    )

    client_as(editor_a).post(desk_url(stream_a), data)

    picture.refresh_from_db()
    assert picture.image.name == stored
    assert picture.alt_text == "After"
    assert picture.image.storage.exists(stored)


def test_a_save_based_on_an_older_copy_is_refused_with_theirs_shown(
    client_as, editor_a, stream_a, published
):
    from streams.models import Membership

    colleague = factories.UserFactory(email="colleague@example.org", is_staff=True)
    factories.ProfileFactory(user=colleague, display_name="Nadia Orlova")
    Membership.objects.create(
        publisher=stream_a.publisher, user=colleague, role=Membership.Role.EDITOR
    )
    mine = _edit_form(published, title="Talks resume in Geneva")
    services.entry_pin(entry=published, pinned=True, by=colleague)

    response = client_as(editor_a).post(desk_url(stream_a), mine, **JSON)

    assert response.status_code == 409
    conflict = response.json()["conflict"]
    assert conflict["changed_by"] == "Nadia Orlova"
    assert "Nadia Orlova changed this entry" in conflict["message"]
    assert "Talks resume" in conflict["theirs"]
    published.refresh_from_db()
    assert published.title == "Talks resume"
    # Seen theirs, saving again on purpose goes through.
    again = client_as(editor_a).post(
        desk_url(stream_a), {**mine, "based_on_revision": conflict["revision"]}, **JSON
    )
    assert again.json()["ok"]


def test_a_writer_cannot_edit_what_an_editor_published(client_as, writer_a, stream_a, published):
    assert client_as(writer_a).get(desk_url(stream_a) + f"?edit={published.pk}").status_code == 403
    response = client_as(writer_a).post(desk_url(stream_a), _edit_form(published, title="Mine"))

    assert response.status_code == 403
    published.refresh_from_db()
    assert published.title == "Talks resume"


def test_an_entry_of_another_stream_cannot_be_edited_from_this_desk(
    client_as, editor_b, stream_a, stream_b, published
):
    response = client_as(editor_b).post(desk_url(stream_b), _edit_form(published, title="Hijacked"))

    assert response.status_code == 404
    published.refresh_from_db()
    assert published.title == "Talks resume"


# The list's buttons ------------------------------------------------------------------------


def _act(client, stream, entry, action, **data):
    return client.post(
        desk_url(stream, "desk_act", entry.pk, action),
        {"based_on_revision": entry.revision, **data},
        **JSON,
    )


def test_pin_unpin_and_unpublish_from_the_desk(client_as, editor_a, stream_a, published):
    client = client_as(editor_a)

    assert _act(client, stream_a, published, "pin").json()["ok"]
    published.refresh_from_db()
    assert published.pinned
    assert (
        _act(client, stream_a, published, "unpin")
        .json()["message"]
        .endswith("is no longer a key event.")
    )
    published.refresh_from_db()
    _act(client, stream_a, published, "unpublish")
    published.refresh_from_db()
    assert published.status == Entry.Status.DRAFT


def test_an_editor_publishes_or_sends_back_a_writers_submission(
    client_as, editor_a, writer_a, stream_a
):
    first = factories.EntryFactory(
        stream=stream_a, status="submitted", published_at=None, created_by=writer_a
    )
    second = factories.EntryFactory(
        stream=stream_a, status="submitted", published_at=None, created_by=writer_a
    )
    client = client_as(editor_a)

    page = client.get(desk_url(stream_a))
    _act(client, stream_a, first, "publish")
    _act(client, stream_a, second, "send_back", note="Needs a second source.")

    assertContains(page, "Waiting for review")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.Status.PUBLISHED
    assert second.status == Entry.Status.DRAFT
    assert second.review_note == "Needs a second source."
    assertContains(client_as(writer_a).get(desk_url(stream_a)), "Needs a second source.")


def test_a_writer_has_no_publish_or_pin_buttons_and_their_posts_are_refused(
    client_as, writer_a, stream_a, published
):
    response = _act(client_as(writer_a), stream_a, published, "pin")

    assert response.status_code == 403
    published.refresh_from_db()
    assert not published.pinned


def test_a_button_pressed_on_a_stale_list_is_refused(client_as, editor_a, stream_a, published):
    listed = published.revision
    services.entry_pin(entry=published, pinned=True)

    response = client_as(editor_a).post(
        desk_url(stream_a, "desk_act", published.pk, "unpublish"),
        {"based_on_revision": listed},
        **JSON,
    )

    assert response.status_code == 409
    published.refresh_from_db()
    assert published.status == Entry.Status.PUBLISHED


def test_the_lists_buttons_answer_post_only(client_as, editor_a, stream_a, published):
    url = desk_url(stream_a, "desk_act", published.pk, "pin")

    assert client_as(editor_a).get(url).status_code == 405


# Fragments for the page's script -----------------------------------------------------------


def test_the_feed_is_empty_while_nothing_changed_and_full_after(
    client_as, editor_a, stream_a, published
):
    client = client_as(editor_a)
    first = client.get(desk_url(stream_a, "desk_feed") + "?v=0").json()

    unchanged = client.get(desk_url(stream_a, "desk_feed") + f"?v={first['version']}")
    services.entry_pin(entry=published, pinned=True)
    changed = client.get(desk_url(stream_a, "desk_feed") + f"?v={first['version']}")

    assert unchanged.status_code == 204
    assert changed.json()["version"] > first["version"]
    assert "Unpin" in changed.json()["html"]


def test_sources_are_suggested_by_name_and_by_web_address(client_as, editor_a, stream_a, source):
    client = client_as(editor_a)

    by_name = client.get(desk_url(stream_a, "desk_sources") + "?q=amnes").json()
    by_address = client.get(
        desk_url(stream_a, "desk_sources") + "?q=https://www.amnesty.org/en/latest/news/"
    ).json()
    typed_exactly = client.get(
        desk_url(stream_a, "desk_sources") + "?q=Amnesty International"
    ).json()

    assert [s["name"] for s in by_name["sources"]] == ["Amnesty International"]
    assert [s["name"] for s in by_address["sources"]] == ["Amnesty International"]
    assert typed_exactly["exact"] is True


def test_the_composer_fragment_holds_the_entry_to_edit(client_as, editor_a, stream_a, published):
    response = client_as(editor_a).get(
        desk_url(stream_a, "desk_composer") + f"?edit={published.pk}"
    )

    assertContains(response, 'id="desk-composer"')
    assertNotContains(response, "In the stream, as readers see it")
    assertContains(response, f'name="entry" value="{published.pk}"')


# Posts and videos ---------------------------------------------------------------------------


def test_a_video_address_becomes_an_embed_fetched_once(client_as, editor_a, stream_a, provider):
    from tests.providers import VIDEO_URL, youtube_routes

    youtube_routes(provider)
    data = compose(
        blocks=[{"body": "<p>Amnesty filmed it:</p>"}, {"kind": "embed", "embed_url": VIDEO_URL}]
    )

    client_as(editor_a).post(desk_url(stream_a), data)

    entry = Entry.objects.get()
    embed = entry.blocks.get(kind="embed")
    assert embed.embed_player_url.startswith("https://www.youtube-nocookie.com/embed/")
    asked = len(provider.requests)
    # Saved again unchanged, the embed is kept, not fetched again.
    again = _edit_form(entry)
    again.update({"blocks-1-embed_url": embed.embed_url, "action": "save"})
    client_as(editor_a).post(desk_url(stream_a), again)
    assert len(provider.requests) == asked
    assert entry.blocks.get(kind="embed").pk == embed.pk


def test_a_provider_answering_garbage_is_refused_beside_the_field(
    client_as, editor_a, stream_a, provider
):
    from tests.providers import VIDEO_URL, answer

    provider.routes["/oembed"] = answer(b"<html>not json</html>", content_type="text/html")
    data = compose(blocks=[{"kind": "embed", "embed_url": VIDEO_URL}])

    response = client_as(editor_a).post(desk_url(stream_a), data, **JSON)

    assert response.status_code == 400
    assert "blocks-0-embed_url" in response.json()["errors"]
    assert not Entry.objects.exists()
