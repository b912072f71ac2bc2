"""A visitor asks to join; staff, signed in with password and authenticator code, approve."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.journeys.conftest import STAFF
from tests.journeys.site import link_in, text_of


def test_a_visitor_requests_an_invitation_and_staff_approve_it(site, people, back_office_people):
    sent = len(site.mailbox)
    visitor = people("visitor", phone=True)
    page = visitor.page

    # Home, the explainer, the request form.
    visitor.open("/")
    visitor.click("Watch quick explainer video")
    expect(page).to_have_url(site.url + "/about/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    visitor.click("Request Invitation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Request an invitation")
    page.get_by_label("Your name").fill("Kofi Mensah")
    page.get_by_label("E-mail address").fill("kofi@example.net")
    page.get_by_label("Organisation").fill("Coastline Weekly")
    page.get_by_label("Why would you like to join?").fill(
        "I cover the Arden Valley floods and want to follow the live streams."
    )
    visitor.press("Request Invitation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you — we have your request")
    acknowledgement = site.mailbox.wait_for(to="kofi@example.net", subject="request", after=sent)
    assert "Kofi Mensah" in text_of(acknowledgement)
    visitor.assert_no_problems()

    # Staff sign in with their password and the code from their authenticator app.
    staff = people("staff")
    staff.sign_in(STAFF)
    page = staff.open("/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Site administration")
    staff.click("Invitation requests")
    row = page.get_by_role("row").filter(has_text="kofi@example.net")
    expect(row).to_contain_text("Pending")
    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Approve and send invitation")
    staff.press("Go")
    expect(page.locator(".messagelist")).to_contain_text(
        "Approved and invitation sent: kofi@example.net."
    )
    expect(page.get_by_role("row").filter(has_text="kofi@example.net")).to_contain_text("Approved")
    staff.assert_no_problems()

    # The invitation reaches the visitor, with a link to this site that opens.
    invitation = site.mailbox.wait_for(
        to="kofi@example.net", subject="Your invitation to Pressimus", after=sent
    )
    visitor.open(link_in(invitation, "/invitations/accept/"))
    expect(visitor.page.get_by_role("heading", level=1)).to_have_text(
        re.compile("Welcome to Pressimus, Kofi Mensah")
    )
    visitor.assert_no_problems()
