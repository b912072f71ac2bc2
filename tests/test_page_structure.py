"""Every page has the same accessible frame: one h1, a language, a skip link to the content."""

from __future__ import annotations

import pytest

from streams.paging import Cursor
from tests import factories
from tests.fixtures_pages import content, frozen, minutes_ago, person

PAGES = {
    "home": ("/", 200),
    "publisher": ("/publishers/translators-desk/", 200),
    "stream": ("/streams/syria/", 200),
    "older entries": ("/streams/syria/?before={cursor}", 200),
    "entry": ("/streams/syria/entries/{entry}/", 200),
    "source": ("/sources/amnesty/", 200),
    "profile": ("/people/james-miller/", 200),
    "404": ("/no/such/page/", 404),
}


@pytest.fixture
def site(settings, stream_a, source):
    settings.STREAM_PAGE_SIZE = 2
    with frozen():
        james = person(display_name="James Miller", handle="james-miller")
        entries = [
            factories.EntryFactory(
                stream=stream_a,
                published_at=minutes_ago(n + 1),
                pinned=n == 0,
                quotes=[source],
                bylines=[james, "Anna Guest"],
                text="<h2>A heading the writer used</h2><p>Text.</p>",
            )
            for n in range(3)
        ]
        yield {"entry": entries[1].pk, "cursor": Cursor.of(entries[1]).encode()}


@pytest.fixture(params=PAGES.values(), ids=PAGES.keys())
def page(request, client, site):
    path, status = request.param
    url = path.format(**site)
    with frozen():
        response = client.get(url)
    assert response.status_code == status, url
    return content(response)


def test_page_has_exactly_one_h1(page):
    assert page.count("<h1") == 1


def test_page_declares_english(page):
    assert '<html lang="en">' in page


def test_page_has_a_skip_link_to_the_main_content(page):
    assert '<a class="skip-link" href="#main">' in page


def test_page_has_its_main_element_as_the_skip_target(page):
    assert page.count('<main id="main"') == 1
