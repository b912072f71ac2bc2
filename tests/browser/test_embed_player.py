"""An embed card loads the provider's player only when the reader asks, within our policy.

Nothing outside this machine is reachable, so the player's own page never loads: what counts
is that our page asks for nothing of the provider before the click, then frames exactly the
address we built, without the browser reporting a Content-Security-Policy violation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pressimus.lib.oembed import NOT_A_PROVIDER
from streams.models import Block, Entry, Stream
from tests.browser.admin_pages import add_block, sign_in
from tests.providers import PLAYER_URL, VIDEO_ID, ProviderServer, youtube_routes
from tests.test_embeds import PROVIDER_CASES, embed_entry

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def provider(settings):
    with ProviderServer.serving(settings) as server:
        yield server


@pytest.fixture
def stream(editor):
    return Stream.objects.get(slug="syria")


class Watched:
    """What a page asked the network for, and what its console said about the policy."""

    def __init__(self, page: Page, live_server, media_root: Path) -> None:
        self.page = page
        self.requests: list[str] = []
        self.policy_messages: list[str] = []
        page.context.add_init_script(RECORD_VIOLATIONS)
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console",
            lambda message: (
                self.policy_messages.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        # The test server leaves media to the proxy, as production does: serve them here.
        page.route(
            f"{live_server.url}/media/**",
            lambda route: route.fulfill(
                path=media_root / route.request.url.split("/media/", 1)[1],
                headers={"Content-Type": "image/webp"},
            ),
        )
        self.origin = live_server.url

    def elsewhere(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.origin)]

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations") + self.policy_messages


def test_the_video_card_loads_the_player_only_when_the_reader_presses_play(
    live_server, desktop, provider, stream, settings
):
    youtube_routes(provider)
    embed_entry(stream)
    watched = Watched(desktop, live_server, settings.MEDIA_ROOT)

    desktop.goto(live_server.url + stream.get_absolute_url())
    card = desktop.locator(".embed-card")

    expect(card.locator("img.embed-card__thumbnail")).to_be_visible()
    expect(card.get_by_role("link", name=re.compile("evacuation convoy"))).to_have_attribute(
        "href", f"https://www.youtube.com/watch?v={VIDEO_ID}"
    )
    assert desktop.locator("iframe").count() == 0
    assert watched.elsewhere() == []

    with desktop.expect_request(lambda request: "youtube-nocookie.com" in request.url):
        card.get_by_role("button", name=re.compile("Play video")).click()

    frame = card.locator("iframe.embed-card__frame")
    expect(frame).to_have_attribute("src", PLAYER_URL)
    expect(frame).to_have_attribute("title", re.compile("^YouTube: Aleppo"))
    expect(frame).to_have_attribute(
        "sandbox", "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"
    )
    expect(frame).to_have_attribute("referrerpolicy", "strict-origin-when-cross-origin")
    expect(frame).to_have_attribute("loading", "lazy")
    expect(frame).to_be_focused()
    assert card.locator("img.embed-card__thumbnail").count() == 0
    assert [url for url in watched.elsewhere() if "youtube-nocookie" not in url] == []
    assert watched.violations() == []


def test_a_post_card_shows_the_post_when_asked_on_a_phone(
    live_server, phone, provider, stream, settings
):
    url, routes, expected = PROVIDER_CASES["x"]
    provider.routes.update(routes)
    embed_entry(stream, url)
    watched = Watched(phone, live_server, settings.MEDIA_ROOT)

    phone.goto(live_server.url + stream.get_absolute_url())
    card = phone.locator(".embed-card")
    expect(card.locator(".embed-card__text")).to_contain_text("Sunsets don't get much better")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert phone.locator("iframe").count() == 0

    card.get_by_role("button", name=re.compile("Show post")).click()

    frame = card.locator("iframe.embed-card__frame")
    expect(frame).to_have_attribute("src", expected[3])
    expect(frame).to_have_attribute("referrerpolicy", "no-referrer")
    box = frame.bounding_box()
    assert box is not None and box["width"] <= 390 and box["height"] >= 300
    assert [url for url in watched.elsewhere() if "platform.twitter.com" not in url] == []
    assert watched.violations() == []


def test_without_javascript_the_card_links_to_the_original_and_offers_no_button(
    live_server, browser, provider, stream
):
    youtube_routes(provider)
    embed_entry(stream)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + stream.get_absolute_url())
        card = page.locator(".embed-card")

        expect(card.get_by_role("link", name=re.compile("evacuation convoy"))).to_be_visible()
        expect(card.locator(".embed-card__show")).to_be_hidden()
        expect(card.locator(".embed-card__note")).to_be_hidden()
        assert page.locator("iframe").count() == 0
    finally:
        context.close()


def test_a_card_arriving_with_a_live_update_gets_its_button(
    live_server, desktop, provider, stream, settings
):
    settings.LIVE_POLL_INTERVAL_MS = 500
    youtube_routes(provider)
    embed_entry(stream, title="First")
    desktop.goto(live_server.url + stream.get_absolute_url())
    expect(desktop.locator(".embed-card__show")).to_have_count(1)
    # The first poll, before any change, so the page holds a version to compare with.
    desktop.wait_for_timeout(700)

    embed_entry(stream, title="Second")
    desktop.get_by_role("button", name="Show 1 new entry").click(timeout=5000)

    buttons = desktop.locator(".embed-card__show")
    expect(buttons).to_have_count(2)
    expect(buttons.first).to_be_visible()
    buttons.first.click()
    expect(desktop.locator("iframe.embed-card__frame")).to_have_count(1)


def test_an_editor_embeds_a_video_from_the_entry_form(live_server, desktop, provider, stream):
    youtube_routes(provider)
    sign_in(desktop, live_server)
    desktop.goto(live_server.url + "/admin/streams/entry/add/")
    block = desktop.locator("#blocks-0")
    embed_fields = block.locator(".block-embed-fields")
    expect(embed_fields).to_be_hidden()

    add_block(desktop, 0, "embed")
    expect(embed_fields).to_be_visible()
    expect(block.locator(".field-body")).to_be_hidden()
    expect(block.locator(".block-quote-fields")).to_be_hidden()
    block.get_by_label("Embed URL").fill("https://example.org/clip")
    desktop.get_by_role("button", name="Publish now").click()

    expect(block.locator(".field-embed_url .errorlist")).to_have_text(NOT_A_PROVIDER)
    expect(block.get_by_label("Embed URL")).to_have_value("https://example.org/clip")
    assert not Entry.objects.exists()

    block.get_by_label("Embed URL").fill(f"youtu.be/{VIDEO_ID}")
    desktop.get_by_role("button", name="Publish now").click()

    expect(desktop.locator(".messagelist")).to_contain_text("was added successfully")
    embedded = Block.objects.get(kind=Block.Kind.EMBED)
    assert embedded.embed_player_url == PLAYER_URL
    assert embedded.entry.status == Entry.Status.PUBLISHED
