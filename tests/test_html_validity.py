"""Every reader and account page is valid HTML: the Nu HTML Checker (tests/vnu.py) finds no
error in any of them, as each visitor gets it (tests/reader_pages.py)."""

from __future__ import annotations

import re

import pytest

from tests import vnu
from tests.reader_pages import seed_tour

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def checker() -> list[str]:
    return vnu.require_vnu()


def _file_name(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") + ".html"


def test_every_reader_and_account_page_is_valid_html(checker, tmp_path):
    tour = seed_tour()
    pages = {}
    for visitor, visited in tour.by_visitor().items():
        client = tour.client(visitor)
        for page in visited:
            if page.scripted:
                continue
            if page.sent_empty is not None:
                response = client.post(page.path, page.sent_empty)
            else:
                response = client.get(page.path, follow=page.redirects)
            assert response.status_code == page.status, page.label
            assert response["Content-Type"].startswith("text/html"), page.label
            name = _file_name(f"{visitor} {page.name}")
            (tmp_path / name).write_bytes(response.content)
            pages[name] = page.label

    errors = vnu.check(checker, [tmp_path / name for name in pages])

    report = "\n".join(f"{pages.get(error.file, error.file)}\n  {error}" for error in errors)
    assert not errors, f"{len(errors)} HTML errors:\n{report}"
