"""Links and codes that no longer work, or never did: a clear page in the site's design,
never a bare error, and nothing spent."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.journeys.conftest import STAFF
from tests.journeys.people import DEMO_PASSWORD, join_by_invitation
from tests.journeys.site import link_in


def _invite(site, email: str, name: str) -> str:
    sent = len(site.mailbox)
    site.manage("invite", email, "--name", name, "--base-url", site.url)
    mail = site.mailbox.wait_for(to=email, subject="Your invitation to Pressimus", after=sent)
    return link_in(mail, "/invitations/accept/")


def _sees_our_page(person, heading: str) -> None:
    page = person.page
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("link", name="Pressimus")).to_be_visible()
    expect(page.get_by_role("link", name="Request Invitation", exact=True)).to_be_visible()


def test_a_tampered_or_replaced_invitation_link_explains_itself(site, people):
    first = _invite(site, "tamar@example.org", "Tamar Cohen")
    # Sent again: only the newest e-mail's link works.
    newest = _invite(site, "tamar@example.org", "Tamar Cohen")
    visitor = people("visitor")

    with visitor.expecting_status(404):
        visitor.open(first)
    _sees_our_page(visitor, "We do not recognise this invitation link")
    with visitor.expecting_status(404):
        visitor.open(newest[:-6] + "abcdef/")
    _sees_our_page(visitor, "We do not recognise this invitation link")

    visitor.open(newest)
    expect(visitor.page.get_by_role("button", name="Accept invitation")).to_be_visible()
    visitor.assert_no_problems()


def test_a_used_invitation_link_says_so_and_points_to_sign_in(site, people):
    member = people("member")
    link = join_by_invitation(
        member, email="ugo@example.org", name="Ugo Nwosu", password=DEMO_PASSWORD
    )
    member.sign_out()

    with member.expecting_status(410):
        member.open(link)
    _sees_our_page(member, "This invitation has already been used")
    member.click("sign in")
    expect(member.page).to_have_url(site.url + "/accounts/login/")
    member.assert_no_problems()


def test_an_expired_invitation_link_says_so(site, people):
    link = _invite(site, "vera@example.org", "Vera Lind")
    site.manage(
        "shell",
        "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from invitations.models import Invitation; "
        "Invitation.objects.filter(email='vera@example.org')"
        ".update(expires_at=timezone.now() - timedelta(minutes=1))",
    )
    visitor = people("visitor")

    with visitor.expecting_status(410):
        visitor.open(link)
    _sees_our_page(visitor, "This invitation has expired")
    visitor.assert_no_problems()


def test_a_wrong_authenticator_code_is_refused_on_the_form_and_the_right_one_works(
    site, people, back_office_people
):
    staff = people("staff")
    page = staff.page
    staff.open("/accounts/login/")
    page.locator('input[name="login"]').fill(STAFF)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_load_state()

    code = page.locator('input[name="code"]')
    right = back_office_people[STAFF].code()
    code.fill("000000" if right != "000000" else "111111")
    code.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    expect(page.locator(".account-menu__toggle")).to_have_count(0)

    page.locator('input[name="code"]').fill(right)
    page.locator('input[name="code"]').press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".account-menu__toggle")).to_be_visible()
    staff.assert_no_problems()
