"""No page breaks its own Content-Security-Policy: every script, style and image it uses is
allowed, so nothing a reader or an editor needs is silently blocked by the browser."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page

from invitations.models import Explainer
from streams import services
from streams.models import Entry, Membership
from tests import factories
from tests.browser.admin_pages import sign_in
from tests.factories import PASSWORD
from tests.fixtures_invitations import make_request, reviewers_group

pytestmark = pytest.mark.django_db(transaction=True)

# Collects every violation from the first byte of each page, before its own scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || location.pathname}:${event.lineNumber}`);
});
"""


def _violations(page: Page, live_server, path: str) -> list[str]:
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations")


def _admin_page(page: Page, live_server, path: str) -> tuple[int, list[str]]:
    """The page's status with its violations: a refused page would break no policy either."""
    response = page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    return response.status, page.evaluate("window.__violations")


def _admin_action_page(page: Page, live_server, path: str, action: str) -> tuple[int, list[str]]:
    """The page an admin action opens (a form of its own) for every row of the list."""
    page.goto(live_server.url + path)
    page.locator("#action-toggle").check()
    page.locator('select[name="action"]').select_option(action)
    with page.expect_navigation() as navigation:
        page.locator('button[name="index"]').click()
    page.wait_for_load_state("networkidle")
    return navigation.value.status, page.evaluate("window.__violations")


def _person(email: str, **fields):
    user = factories.UserFactory(email=email, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _sign_in_as(page: Page, live_server, user) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def recording(desktop):
    desktop.context.add_init_script(RECORD_VIOLATIONS)
    return desktop


@pytest.fixture
def content(editor):
    stream = editor.memberships.first().publisher.streams.get()
    source = factories.SourceFactory(name="Reuters", slug="reuters")
    entry = services.entry_create(
        stream=stream,
        title="Talks resume",
        blocks=[
            services.TextBlock("<p>Delegations met <strong>at noon</strong>.</p>"),
            services.QuoteBlock(
                source=source,
                body="<p>We are hopeful.</p>",
                original="<p>Мы надеемся.</p>",
                original_language="ru",
            ),
        ],
    )
    return stream, entry


@pytest.fixture
def writer(content):
    """A writer of the editor's publisher, with a draft of their own."""
    stream, _ = content
    user = _person("writer@example.org", is_staff=True)
    factories.ProfileFactory(user=user, display_name="Wanda Writer", handle="wanda")
    Membership.objects.create(publisher=stream.publisher, user=user, role=Membership.Role.WRITER)
    services.entry_create(
        stream=stream,
        title="Shelling reported",
        blocks=[services.TextBlock("<p>Residents report shelling.</p>")],
        publish=False,
        created_by=user,
    )
    return user


def test_reader_pages_break_no_policy(live_server, recording, content):
    stream, entry = content
    paths = [
        "/",
        f"/streams/{stream.slug}/",
        f"/streams/{stream.slug}/entries/{entry.pk}/",
        f"/streams/{stream.slug}/embed/",
        f"/publishers/{stream.publisher.slug}/",
        "/sources/reuters/",
        "/accounts/login/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/key/1-nope/",
        "/accounts/password/reset/key/done/",
        "/accounts/confirm-email/",
        "/accounts/confirm-email/no-such-key/",
        "/accounts/inactive/",
        "/invitations/request/",
        "/no-such-page/",
    ]

    found = {path: _violations(recording, live_server, path) for path in paths}

    assert found == {path: [] for path in paths}


def test_editor_pages_break_no_policy(live_server, recording, editor):
    sign_in(recording, live_server)
    paths = [
        "/settings/",
        "/accounts/2fa/totp/activate/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/accounts/2fa/webauthn/add/",
        "/accounts/password/change/",
        "/accounts/reauthenticate/",
        "/accounts/reauthenticate/code/",
        "/accounts/logout/",
    ]

    found = {path: _violations(recording, live_server, path) for path in paths}

    assert found == {path: [] for path in paths}


def test_editor_admin_pages_break_no_policy(live_server, recording, content, editor):
    stream, entry = content
    publisher = stream.publisher
    source = factories.SourceFactory(name="Sputnik", slug="sputnik")
    sign_in(recording, live_server)
    paths = [
        "/admin/",
        "/admin/streams/entry/",
        "/admin/streams/entry/add/",
        f"/admin/streams/entry/{entry.pk}/change/",
        f"/admin/streams/entry/{entry.pk}/history/",
        f"/admin/streams/entry/{entry.pk}/delete/",
        "/admin/streams/entry/recover/",
        "/admin/streams/stream/",
        "/admin/streams/stream/add/",
        f"/admin/streams/stream/{stream.pk}/change/",
        f"/admin/streams/stream/{stream.pk}/desk/",
        f"/admin/streams/stream/{stream.pk}/desk/?edit={entry.pk}",
        "/admin/streams/source/",
        "/admin/streams/source/add/",
        f"/admin/streams/source/{source.pk}/change/",
        "/admin/streams/publisher/",
        f"/admin/streams/publisher/{publisher.pk}/change/",
    ]

    found = {path: _admin_page(recording, live_server, path) for path in paths}
    found["merge sources"] = _admin_action_page(
        recording, live_server, "/admin/streams/source/", "merge"
    )

    assert found == {path: (200, []) for path in [*paths, "merge sources"]}


def test_writer_admin_pages_break_no_policy(live_server, recording, content, writer):
    stream, _ = content
    draft = Entry.objects.get(created_by=writer)
    _sign_in_as(recording, live_server, writer)
    paths = [
        "/admin/",
        "/admin/streams/entry/",
        "/admin/streams/entry/add/",
        f"/admin/streams/entry/{draft.pk}/change/",
        "/admin/streams/stream/",
        f"/admin/streams/stream/{stream.pk}/change/",
        f"/admin/streams/stream/{stream.pk}/desk/",
        f"/admin/streams/stream/{stream.pk}/desk/?edit={draft.pk}",
        "/admin/streams/source/",
        "/admin/streams/source/add/",
    ]

    found = {path: _admin_page(recording, live_server, path) for path in paths}

    assert found == {path: (200, []) for path in paths}


def test_staff_reviewer_admin_pages_break_no_policy(live_server, recording):
    reviewer = _person("reviewer@example.org", is_staff=True)
    reviewer.groups.add(reviewers_group())
    request = make_request()
    _sign_in_as(recording, live_server, reviewer)
    paths = [
        "/admin/",
        "/admin/invitations/invitationrequest/",
        f"/admin/invitations/invitationrequest/{request.pk}/change/",
        "/admin/invitations/invitation/",
        # Offered only while there is no explainer yet.
        "/admin/invitations/explainer/add/",
    ]

    found = {path: _admin_page(recording, live_server, path) for path in paths}
    found["decline"] = _admin_action_page(
        recording, live_server, "/admin/invitations/invitationrequest/", "decline"
    )
    explainer = Explainer.objects.create(title="Pressimus in two minutes")
    change_explainer = f"/admin/invitations/explainer/{explainer.pk}/change/"
    found[change_explainer] = _admin_page(recording, live_server, change_explainer)

    assert found == {path: (200, []) for path in [*paths, "decline", change_explainer]}


def test_superuser_admin_pages_break_no_policy(live_server, recording, content, writer):
    stream, _ = content
    root = _person("root@example.org", is_staff=True, is_superuser=True)
    profile = writer.profile
    _sign_in_as(recording, live_server, root)
    paths = [
        "/admin/",
        "/admin/accounts/profile/",
        "/admin/accounts/profile/add/",
        f"/admin/accounts/profile/{profile.pk}/change/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{writer.pk}/change/",
        "/admin/streams/publisher/add/",
        f"/admin/streams/publisher/{stream.publisher.pk}/change/",
        "/admin/invitations/explainer/",
        "/admin/auth/group/",
        "/admin/account/emailaddress/",
        "/admin/mfa/authenticator/",
    ]

    found = {path: _admin_page(recording, live_server, path) for path in paths}

    assert found == {path: (200, []) for path in paths}
