"""The entry form's prose editor and action buttons work and read well under the strict
Content-Security-Policy, in light and dark, on a desktop and on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from streams import services
from tests.browser.admin_pages import sign_in
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

pytestmark = pytest.mark.django_db(transaction=True)

ADD_ENTRY = "/admin/streams/entry/add/"
BODY_EDITOR = "#blocks-0 .field-body .prose-editor"

# The rendered width of an element's text, and of a character no font has (U+10FFFD, private
# use): a glyph the fonts lack is drawn as that same box.
TEXT_WIDTHS = """
(element) => {
  const style = getComputedStyle(element);
  const measure = (text) => {
    const probe = document.createElement("span");
    probe.textContent = text;
    probe.style.font = style.font;
    probe.style.fontFeatureSettings = style.fontFeatureSettings;
    probe.style.position = "absolute";
    probe.style.whiteSpace = "pre";
    document.body.append(probe);
    const width = probe.getBoundingClientRect().width;
    probe.remove();
    return width;
  };
  const range = document.createRange();
  range.selectNodeContents(element);
  return {
    text: element.textContent,
    width: range.getBoundingClientRect().width,
    fontSize: parseFloat(style.fontSize),
    missingGlyph: measure("\\u{10FFFD}"),
    asMeasured: measure(element.textContent),
  };
}
"""

# What the dropdown's arrow draws: its text (if any) and its box.
ARROW = """
(element) => {
  const arrow = getComputedStyle(element, "::after");
  const text = arrow.content.startsWith('"') ? JSON.parse(arrow.content) : "";
  const probe = document.createElement("span");
  probe.style.font = arrow.font;
  probe.style.position = "absolute";
  document.body.append(probe);
  probe.textContent = text;
  const textWidth = probe.getBoundingClientRect().width;
  probe.textContent = "\\u{10FFFD}";
  const missingGlyph = probe.getBoundingClientRect().width;
  probe.remove();
  const drawn = ["Top", "Right", "Bottom", "Left"].some(
    (side) => parseFloat(arrow[`border${side}Width`]) > 0
  );
  return { text, textWidth, missingGlyph, drawn };
}
"""


def _open_add_form(page: Page, live_server) -> None:
    page.context.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server)
    page.goto(live_server.url + ADD_ENTRY)
    page.locator(f"{BODY_EDITOR} > .ProseMirror").wait_for()


def _violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations")


@pytest.fixture
def dark(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page = context.new_page()
    yield page
    context.close()


def test_body_editor_is_a_full_width_area_that_grows_with_the_text(live_server, desktop, editor):
    _open_add_form(desktop, live_server)
    frame = desktop.locator(BODY_EDITOR)
    text = frame.locator("> .ProseMirror")
    # The row holds the label, then the widget: the editor takes the rest of the row.
    row = desktop.locator("#blocks-0 .field-body .flex-container").bounding_box()

    empty = text.bounding_box()
    assert empty["height"] >= 150
    box = frame.bounding_box()
    assert box["x"] + box["width"] >= row["x"] + row["width"] - 2
    assert box["width"] >= 0.6 * row["width"]

    text.click()
    for line in range(14):
        desktop.keyboard.type(f"Line {line} of a long dispatch from the front.")
        desktop.keyboard.press("Enter")
    assert text.bounding_box()["height"] > empty["height"] + 50
    assert _violations(desktop) == []


def test_menu_buttons_show_their_icons_not_missing_glyphs(live_server, desktop, editor):
    _open_add_form(desktop, live_server)
    desktop.evaluate("document.fonts.ready")
    assert desktop.evaluate("document.fonts.check('24px \"Material Icons\"')")
    buttons = desktop.locator(f"{BODY_EDITOR} .prose-menubar__button:visible")
    assert buttons.count() >= 8

    for index in range(buttons.count()):
        button = buttons.nth(index)
        box = button.bounding_box()
        assert box["width"] > 0 and box["height"] > 0, button.get_attribute("title")
        glyph = button.evaluate(TEXT_WIDTHS)
        # An icon is one ligature glyph, about one em wide; unmapped, it is its name spelled out.
        assert 0 < glyph["width"] <= 1.25 * glyph["fontSize"], glyph
        assert glyph["asMeasured"] != glyph["missingGlyph"], glyph

    arrow = desktop.locator(f"{BODY_EDITOR} .prose-menubar__selected").evaluate(ARROW)
    assert arrow["text"] == "" or arrow["textWidth"] != arrow["missingGlyph"], arrow
    assert arrow["text"] or arrow["drawn"], arrow
    assert _violations(desktop) == []


def test_ctrl_b_makes_bold_text_that_the_form_sends(live_server, desktop, editor):
    _open_add_form(desktop, live_server)
    text = desktop.locator(f"{BODY_EDITOR} > .ProseMirror")

    text.click()
    desktop.keyboard.type("Amnesty reports: ")
    desktop.keyboard.press("Control+b")
    desktop.keyboard.type("civilians were killed")
    desktop.keyboard.press("Control+b")
    desktop.keyboard.type(".")

    expect(text.locator("strong")).to_have_text("civilians were killed")
    assert (
        "<strong>civilians were killed</strong>."
        in desktop.locator("#id_blocks-0-body").input_value()
    )
    assert _violations(desktop) == []


def test_focused_editor_shows_a_focus_ring(live_server, desktop, editor):
    _open_add_form(desktop, live_server)
    text = desktop.locator(f"{BODY_EDITOR} > .ProseMirror")

    text.click()

    ring = text.evaluate(
        "(el) => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]"
    )
    assert ring[0] != "none" and float(ring[1].removesuffix("px")) >= 2


def _luminance(css_color: str) -> float:
    red, green, blue = (
        int(part) for part in css_color[css_color.index("(") + 1 : -1].split(",")[:3]
    )
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def _light_text_on_dark(page: Page) -> bool:
    colours = page.locator(f"{BODY_EDITOR} > .ProseMirror").evaluate(
        "(el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    )
    background, text = (_luminance(colour) for colour in colours)
    return background < 0.2 and text > 0.8


def test_editor_is_dark_on_a_dark_device(live_server, dark, editor):
    _open_add_form(dark, live_server)

    assert _light_text_on_dark(dark)
    assert _violations(dark) == []


def test_editor_follows_the_admin_theme_toggle(live_server, desktop, editor):
    _open_add_form(desktop, live_server)
    assert not _light_text_on_dark(desktop)

    # On a light device the admin's toggle goes from "auto" to dark.
    desktop.locator("button.theme-toggle").click()

    expect(desktop.locator("html")).to_have_attribute("data-theme", "dark")
    assert _light_text_on_dark(desktop)
    assert _violations(desktop) == []


def test_publish_is_the_prominent_action(live_server, desktop, editor):
    _open_add_form(desktop, live_server)
    row = desktop.locator(".submit-row")
    backgrounds = {
        name: row.get_by_role("button", name=name).evaluate(
            "(el) => getComputedStyle(el).backgroundColor"
        )
        for name in ("Save draft", "Schedule", "Publish now")
    }

    assert backgrounds["Publish now"] != backgrounds["Save draft"]
    assert backgrounds["Save draft"] == backgrounds["Schedule"]
    # Enter in a field still only saves the draft: it is the form's first button.
    assert row.locator("button").first.inner_text() == "Save draft"


def test_unpublish_is_marked_as_danger_on_a_published_entry(live_server, desktop, editor):
    stream = editor.memberships.get().publisher.streams.get()
    entry = services.entry_create(
        stream=stream, blocks=[services.TextBlock("<p>Talks resume at noon.</p>")]
    )
    desktop.context.add_init_script(RECORD_VIOLATIONS)
    sign_in(desktop, live_server)
    desktop.goto(live_server.url + f"/admin/streams/entry/{entry.pk}/change/")
    save = desktop.get_by_role("button", name="Save changes")
    unpublish = desktop.get_by_role("button", name="Unpublish (back to draft)")

    red, green, blue = (
        int(part)
        for part in unpublish.evaluate("(el) => getComputedStyle(el).color")[4:-1].split(",")
    )
    assert red > 2 * green and red > 2 * blue
    saved, plain = (
        button.evaluate("(el) => getComputedStyle(el).backgroundColor")
        for button in (save, unpublish)
    )
    assert saved != plain
    assert _violations(desktop) == []


def test_action_buttons_show_keyboard_focus(live_server, desktop, editor):
    _open_add_form(desktop, live_server)
    publish = desktop.get_by_role("button", name="Publish now")
    desktop.get_by_role("button", name="Schedule").focus()

    desktop.keyboard.press("Tab")

    expect(publish).to_be_focused()
    outline = publish.evaluate(
        "(el) => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]"
    )
    assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2


def test_action_buttons_are_finger_sized_on_a_phone(live_server, phone, editor):
    _open_add_form(phone, live_server)

    for name in ("Save draft", "Schedule", "Publish now"):
        box = phone.get_by_role("button", name=name).bounding_box()
        assert box["height"] >= 44, name
    assert _violations(phone) == []
