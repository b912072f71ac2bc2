"""An invited person opens the mailed link, accepts, signs up and settles in as a member."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.journeys.people import join_by_invitation

FLOODS = "/streams/arden-valley-floods/"
MEMBERS_STREAM = "/streams/members-briefing-the-budget-behind-closed-doors/"


def test_an_invited_person_accepts_signs_up_and_settles_in_as_a_member(site, people):
    ines = people("Inês", phone=True)
    page = ines.page
    join_by_invitation(
        ines, email="ines@example.org", name="Inês Almeida", password="a long walk by the Tagus"
    )

    ines.open_account_menu()
    ines.click("Settings")

    # Preferences: her time zone and the order she reads in.
    page.get_by_label("Time zone").select_option("Europe/Lisbon")
    page.get_by_label("Oldest first").check()
    ines.press("Save preferences")
    expect(page.get_by_role("status")).to_contain_text("Your preferences are saved.")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Lisbon")

    # A stream reads from its start now; she follows it.
    ines.open(FLOODS)
    expect(page.get_by_role("heading", level=2, name="From the start")).to_be_visible()
    ines.press("Follow Arden Valley Floods")
    expect(page.get_by_role("button", name=re.compile(r"^Following"))).to_be_visible()

    # Her home now leads with what she follows.
    ines.open("/")
    expect(page.get_by_role("region", name="You follow", exact=True)).to_contain_text(
        "Arden Valley Floods"
    )
    first_entry = page.locator("#feed article").first
    expect(first_entry).to_contain_text("Arden Valley Floods")

    # And the members-only stream opens for her.
    ines.open(MEMBERS_STREAM)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Members' Briefing")
    expect(page.locator("#entries article").first).to_be_visible()
    ines.assert_no_problems()
