"""A member forgets their password and resets it by mail, takes their data and leaves."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect

from tests.journeys.people import join_by_invitation
from tests.journeys.site import link_in

EMAIL = "oluwaseun@example.org"
FIRST_PASSWORD = "harmattan season notes"
NEW_PASSWORD = "rain over the lagoon at dusk"


def test_a_member_resets_the_password_exports_the_data_and_deletes_the_account(site, people):
    member = people("member", phone=True)
    page = member.page
    join_by_invitation(member, email=EMAIL, name="Oluwaseun Bello", password=FIRST_PASSWORD)
    member.sign_out()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    # Forgotten: the reset link goes by mail.
    sent = len(site.mailbox)
    member.open("/accounts/login/")
    member.click("Forgot your password?")
    page.locator('input[name="email"]').fill(EMAIL)
    member.press("Reset my password")
    mail = site.mailbox.wait_for(to=EMAIL, subject="assword", after=sent)
    reset_link = link_in(mail, "/accounts/password/reset/key/")
    member.open(reset_link)
    page.locator('input[name="password1"]').fill(NEW_PASSWORD)
    page.locator('input[name="password2"]').fill(NEW_PASSWORD)
    page.locator('input[name="password2"]').press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_contain_text("assword")

    # The link works once.
    with member.expecting_status(400, 404, 410):
        member.open(reset_link)
    expect(page.locator('input[name="password1"]')).to_have_count(0)

    # The old password no longer opens the account; the new one does.
    member.open("/accounts/login/")
    page.locator('input[name="login"]').fill(EMAIL)
    page.locator('input[name="password"]').fill(FIRST_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".account-menu__toggle")).to_have_count(0)
    member.sign_in(EMAIL, NEW_PASSWORD)

    # What Pressimus holds about them, as a file.
    member.open("/settings/")
    with page.expect_download() as downloading:
        member.page.get_by_role("button", name="Download my data").click()
    exported = json.loads(Path(downloading.value.path()).read_text(encoding="utf-8"))
    assert exported["account"]["email"] == EMAIL
    assert exported["profile"]["display_name"] == "Oluwaseun Bello"

    # Leaving: the password and the phrase, then signed out for good.
    member.click("Delete my account…")
    page.get_by_label("Your password").fill(NEW_PASSWORD)
    page.get_by_label("Type “delete my account” to confirm").fill("delete my account")
    member.press("Delete my account")
    expect(page.get_by_role("status")).to_contain_text("Your account is deleted.")
    member.open("/accounts/login/")
    page.locator('input[name="login"]').fill(EMAIL)
    page.locator('input[name="password"]').fill(NEW_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".account-menu__toggle")).to_have_count(0)
    member.assert_no_problems()
