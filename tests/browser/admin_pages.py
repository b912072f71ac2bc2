"""Steps in the admin that several browser tests take."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.factories import PASSWORD


def sign_in(page: Page, live_server) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.locator('input[name="login"]').fill("editor@example.org")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_load_state()


def add_block(page: Page, index: int, kind: str) -> None:
    if index > 0:
        page.locator("#blocks-group .add-row a").click()
    page.locator(f"#id_blocks-{index}-kind").select_option(kind)


def type_into_editor(page: Page, index: int, text: str) -> None:
    # The first editor of the block is its body; the menu bar has ProseMirror pickers too.
    editor = page.locator(f"#blocks-{index} .prose-editor > .ProseMirror").first
    editor.click()
    page.keyboard.type(text)
