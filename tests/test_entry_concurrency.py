"""Two people, one entry: a save based on an older copy than the stored one is refused, says
who changed it and when, shows their version, and loses nothing the person typed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from pytest_django.asserts import assertContains

from streams import presence, services
from streams.admin import LISTED_REVISION_PREFIX
from streams.models import Entry
from tests import factories
from tests.fixtures_pages import NOW, frozen
from tests.test_admin_workflow import change_url, edit_form

CHANGELIST = reverse("admin:streams_entry_changelist")


@pytest.fixture
def second_editor(publisher_a):
    from streams.models import Membership

    user = factories.UserFactory(email="second-editor@example.org", is_staff=True)
    factories.ProfileFactory(user=user, display_name="Nadia Orlova")
    Membership.objects.create(publisher=publisher_a, user=user, role=Membership.Role.EDITOR)
    return user


@pytest.fixture
def entry(stream_a):
    with frozen(NOW - timedelta(hours=1)):
        return factories.EntryFactory(stream=stream_a, title="Talks resume in Vienna")


# The change form --------------------------------------------------------------------------


def test_a_save_from_a_form_opened_before_anothers_save_is_refused_and_says_who(
    client_as, editor_a, second_editor, entry
):
    mine = edit_form(entry, title="Talks resume in Geneva")
    theirs = edit_form(entry, title="Talks postponed")
    with frozen(NOW):
        assert client_as(second_editor).post(change_url(entry), theirs).status_code == 302

        response = client_as(editor_a).post(change_url(entry), mine)

    assert response.status_code == 200
    assertContains(response, "Nadia Orlova changed this entry at 18:00:00, 23 December")
    # Mine as I left it, in the form; theirs, as stored, beside it.
    assertContains(response, 'value="Talks resume in Geneva"')
    assertContains(response, "Saved meanwhile by Nadia Orlova")
    assertContains(response, "Talks postponed")
    entry.refresh_from_db()
    assert entry.title == "Talks postponed"
    assert entry.modified_by == second_editor


def test_saving_again_after_seeing_both_versions_keeps_mine(
    client_as, editor_a, second_editor, entry
):
    mine = edit_form(entry, title="Talks resume in Geneva")
    client_as(second_editor).post(change_url(entry), edit_form(entry, title="Talks postponed"))
    client = client_as(editor_a)
    refused = client.post(change_url(entry), mine)

    # The form shown with the conflict carries the revision that was seen.
    seen = refused.context["adminform"].form.data["based_on_revision"]
    response = client.post(change_url(entry), {**mine, "based_on_revision": seen})

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Talks resume in Geneva"
    assert entry.modified_by == editor_a


def test_block_text_typed_into_a_stale_form_is_kept_on_the_page(
    client_as, editor_a, second_editor, entry
):
    mine = edit_form(entry, **{"blocks-0-body": "<p>The envoys arrived at noon.</p>"})
    client_as(second_editor).post(change_url(entry), edit_form(entry, title="Changed"))

    response = client_as(editor_a).post(change_url(entry), mine)

    assertContains(response, "The envoys arrived at noon.")
    assert "The envoys arrived at noon." not in entry.blocks.get().body


def test_a_publish_button_pressed_on_a_stale_form_publishes_nothing(
    client_as, editor_a, second_editor, stream_a
):
    draft = factories.EntryFactory(stream=stream_a, status="draft", published_at=None)
    stale = edit_form(draft, action="publish")
    client_as(second_editor).post(change_url(draft), edit_form(draft, action="draft", title="X"))

    response = client_as(editor_a).post(change_url(draft), stale)

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Entry.Status.DRAFT


def test_a_form_posted_without_its_revision_is_refused_as_out_of_date(client_as, editor_a, entry):
    data = edit_form(entry, title="No revision")
    del data["based_on_revision"]

    response = client_as(editor_a).post(change_url(entry), data)

    assertContains(response, "This form is out of date")
    entry.refresh_from_db()
    assert entry.title == "Talks resume in Vienna"


def test_every_save_moves_the_revision_on(client_as, editor_a, entry):
    seen = [entry.revision]
    client_as(editor_a).post(change_url(entry), edit_form(entry, title="One"))
    entry.refresh_from_db()
    seen.append(entry.revision)
    services.entry_pin(entry=entry, pinned=True)
    seen.append(entry.revision)
    # Even a save from an object loaded long before counts up from the stored value.
    stale = Entry.objects.get(pk=entry.pk)
    services.entry_pin(entry=entry, pinned=False)
    stale.save()
    seen.append(stale.revision)

    assert seen == sorted(set(seen))


# Actions on the list ---------------------------------------------------------------------


def test_an_action_on_an_entry_changed_since_the_list_was_loaded_is_not_done(
    client_as, editor_a, second_editor, entry
):
    listed = entry.revision
    client_as(second_editor).post(change_url(entry), edit_form(entry, title="Changed"))

    response = client_as(editor_a).post(
        CHANGELIST,
        {
            "action": "unpublish",
            "_selected_action": [entry.pk],
            f"{LISTED_REVISION_PREFIX}{entry.pk}": listed,
        },
        follow=True,
    )

    assertContains(response, "Not done: “Changed”: Nadia Orlova changed this entry")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PUBLISHED


def test_the_list_carries_each_entrys_revision_to_its_actions(client_as, editor_a, entry):
    response = client_as(editor_a).get(CHANGELIST)

    assertContains(
        response,
        f'<input type="hidden" name="{LISTED_REVISION_PREFIX}{entry.pk}" value="{entry.revision}">',
        html=True,
    )


def test_an_action_on_an_unchanged_entry_is_done(client_as, editor_a, entry):
    client_as(editor_a).post(
        CHANGELIST,
        {
            "action": "pin",
            "_selected_action": [entry.pk],
            f"{LISTED_REVISION_PREFIX}{entry.pk}": entry.revision,
        },
    )

    entry.refresh_from_db()
    assert entry.pinned
    assert entry.modified_by == editor_a


# Services ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda entry, rev: services.entry_publish(entry=entry, expected_revision=rev),
        lambda entry, rev: services.entry_unpublish(entry=entry, expected_revision=rev),
        lambda entry, rev: services.entry_pin(entry=entry, pinned=True, expected_revision=rev),
        lambda entry, rev: services.entry_record_edit(entry=entry, note="x", expected_revision=rev),
    ],
    ids=["publish", "unpublish", "pin", "correct"],
)
def test_every_service_refuses_a_change_based_on_an_old_copy(entry, second_editor, change):
    old_copy = Entry.objects.get(pk=entry.pk)
    services.entry_pin(entry=entry, pinned=True, by=second_editor)

    with pytest.raises(services.EntryChanged) as refused:
        change(old_copy, old_copy.revision)

    assert refused.value.current.modified_by == second_editor
    assert "Nadia Orlova changed this entry" in refused.value.message


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: PostgreSQL (CI runs it there too)"
)
@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_from_one_revision_let_exactly_one_through():
    entry = factories.EntryFactory(title="Before")
    revision = entry.revision
    results: list[str] = []
    start = threading.Barrier(2)

    def save(title: str) -> None:
        try:
            start.wait()
            from django.db import transaction

            with transaction.atomic():
                copy = Entry.objects.get(pk=entry.pk)
                services.entry_for_update(copy, revision)
                copy.title = title
                copy.save()
            results.append(title)
        except services.EntryChanged:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(title,)) for title in ("One", "Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results)[0] in {"One", "Two"} and "refused" in results
    entry.refresh_from_db()
    assert entry.title == next(result for result in results if result != "refused")


# Who else has it open ----------------------------------------------------------------------


def _beat(client, entry, **data):
    return client.post(reverse("admin:streams_entry_presence", args=[entry.pk]), data)


def test_two_editors_with_one_entry_open_see_each_other(client_as, editor_a, second_editor, entry):
    first, second = client_as(editor_a), client_as(second_editor)

    assert _beat(first, entry).json()["others"] == []
    seen_by_first = _beat(second, entry).json()["others"]
    seen_by_second = _beat(first, entry).json()["others"]

    assert seen_by_first == [{"name": "Editor-A", "editing": True}]
    assert seen_by_second == [{"name": "Nadia Orlova", "editing": True}]


def test_leaving_the_page_drops_the_name_at_once(client_as, editor_a, second_editor, entry):
    _beat(client_as(editor_a), entry)
    _beat(client_as(editor_a), entry, leaving="1")

    assert _beat(client_as(second_editor), entry).json()["others"] == []


def test_a_silent_page_drops_out_after_a_while(client_as, editor_a, second_editor, entry):
    with frozen(NOW):
        _beat(client_as(editor_a), entry)
    with frozen(NOW + timedelta(seconds=presence.PRESENCE_TTL_S + 1)):
        assert _beat(client_as(second_editor), entry).json()["others"] == []


def test_the_change_form_shows_the_presence_box(client_as, editor_a, entry):
    response = client_as(editor_a).get(change_url(entry))

    assertContains(response, f'data-presence-url="/admin/streams/entry/{entry.pk}/presence/"')
    assertContains(response, f'name="based_on_revision" value="{entry.revision}"')


@pytest.mark.parametrize("persona", ["editor_b", "member"])
def test_nobody_outside_the_publisher_learns_who_has_an_entry_open(
    client_as, request, entry, persona
):
    response = _beat(client_as(request.getfixturevalue(persona)), entry)

    assert response.status_code in (302, 404)
    assert presence.present_on(entry.pk) == []


def test_presence_is_told_by_post_only(client_as, editor_a, entry):
    url = reverse("admin:streams_entry_presence", args=[entry.pk])

    assert client_as(editor_a).get(url).status_code == 405


def test_reverting_to_an_earlier_version_is_based_on_the_stored_revision(
    client_as, editor_a, stream_a
):
    from reversion.models import Version

    from tests.admin_forms import entry_form

    client = client_as(editor_a)
    client.post(
        reverse("admin:streams_entry_add"),
        entry_form(stream_a, [{"body": "<p>First</p>"}], title="First title"),
    )
    entry = Entry.objects.get()
    client.post(change_url(entry), edit_form(entry, action="draft", title="Second title"))
    first = Version.objects.get_for_object(entry).order_by("pk").first()
    url = reverse("admin:streams_entry_revision", args=[entry.pk, first.pk])

    page = client.get(url)
    entry.refresh_from_db()

    assert page.context["adminform"].form["based_on_revision"].initial == entry.revision


def test_reverting_saves_the_old_version_and_the_revision_still_counts_up(
    client_as, editor_a, stream_a
):
    from reversion.models import Version

    from tests.admin_forms import entry_form

    client = client_as(editor_a)
    client.post(
        reverse("admin:streams_entry_add"),
        entry_form(stream_a, [{"body": "<p>First</p>"}], title="First title"),
    )
    entry = Entry.objects.get()
    client.post(change_url(entry), edit_form(entry, action="draft", title="Second title"))
    entry.refresh_from_db()
    before = entry.revision
    first = Version.objects.get_for_object(entry).order_by("pk").first()
    url = reverse("admin:streams_entry_revision", args=[entry.pk, first.pk])
    data = edit_form(entry, action="draft", title="First title")

    response = client.post(url, data)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "First title"
    assert entry.revision > before
