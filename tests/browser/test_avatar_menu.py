"""The avatar menu in a real browser: signed in through allauth, by mouse, keyboard and phone."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

MENU = "summary.account-menu__toggle"


@pytest.fixture
def mia(db):
    user = factories.UserFactory(email="mia@example.org")
    factories.ProfileFactory(user=user, display_name="Mia Member", handle="mia")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def sign_in(page: Page, live_server, email: str = "mia@example.org") -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    expect(page.locator(MENU)).to_be_visible()


def test_profile_and_settings_open_from_the_avatar_menu(live_server, desktop, mia):
    sign_in(desktop, live_server)
    menu = desktop.locator(MENU)
    expect(menu).to_contain_text("Account menu for Mia Member")

    menu.click()
    desktop.get_by_role("link", name="Profile").click()
    expect(desktop).to_have_url(live_server.url + "/people/mia/")
    expect(desktop.locator("h1")).to_have_text("Mia Member")

    desktop.locator(MENU).click()
    desktop.get_by_role("link", name="Settings").click()
    expect(desktop).to_have_url(live_server.url + "/settings/")
    expect(desktop.locator("h1")).to_have_text("Settings")


def test_the_menu_opens_by_keyboard_and_escape_closes_it(live_server, desktop, mia):
    sign_in(desktop, live_server)
    desktop.goto(live_server.url + "/")

    for _ in range(6):
        desktop.keyboard.press("Tab")
        if desktop.evaluate("document.activeElement.matches('summary')"):
            break
    assert (
        desktop.evaluate("document.activeElement.textContent")
        .strip()
        .endswith("Account menu for Mia Member")
    )
    desktop.keyboard.press("Enter")
    profile_link = desktop.get_by_role("link", name="Profile")
    expect(profile_link).to_be_visible()

    desktop.keyboard.press("Tab")
    expect(profile_link).to_be_focused()
    desktop.keyboard.press("Escape")
    expect(profile_link).to_be_hidden()
    expect(desktop.locator(MENU)).to_be_focused()

    desktop.keyboard.press("Enter")
    desktop.keyboard.press("Tab")
    desktop.keyboard.press("Tab")
    expect(desktop.get_by_role("link", name="Settings")).to_be_focused()
    desktop.keyboard.press("Enter")
    expect(desktop).to_have_url(live_server.url + "/settings/")


def test_a_click_outside_closes_the_menu(live_server, desktop, mia):
    sign_in(desktop, live_server)
    desktop.locator(MENU).click()
    expect(desktop.get_by_role("link", name="Settings")).to_be_visible()

    # The page's heading, at its start: the panel hangs over its middle.
    desktop.locator("h1").click(position={"x": 5, "y": 5})

    expect(desktop.get_by_role("link", name="Settings")).to_be_hidden()


def test_the_menu_fits_a_phone_and_signs_out(live_server, phone, mia):
    sign_in(phone, live_server)
    phone.locator(MENU).click()

    panel = phone.locator(".account-menu__panel").bounding_box()
    assert panel is not None
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 390
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    phone.get_by_role("link", name="Settings").click()
    expect(phone.locator("h1")).to_have_text("Settings")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    phone.locator(MENU).click()
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("link", name="Sign in")).to_be_visible()


def test_the_menu_works_without_javascript(live_server, browser, mia):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.locator(MENU).click()
        page.get_by_role("link", name="Profile").click()
        expect(page).to_have_url(live_server.url + "/people/mia/")
    finally:
        context.close()


def test_settings_offer_the_devices_time_zone(live_server, browser, mia):
    context = browser.new_context(timezone_id="Asia/Tokyo", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(live_server.url + "/settings/")
        hint = page.locator("#tz-hint")
        expect(hint).to_contain_text("Your device says Asia/Tokyo.")

        hint.get_by_role("button", name="Use this zone").click()
        page.get_by_role("button", name="Save preferences").click()

        expect(page.get_by_text("Your preferences are saved.")).to_be_visible()
        mia.refresh_from_db()
        assert mia.time_zone == "Asia/Tokyo"
        expect(page.locator("#tz-hint")).to_be_hidden()
    finally:
        context.close()
