"""Debian's Chromium, driven by Playwright: shared by the browser tests and the journeys.

Locally a missing browser skips those tests with a loud message; under CI=true it fails the
run, so a green CI always means the browser tests ran.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # This machine's network is closed: without these Chromium keeps calling home.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip the calling test (fail it under CI=true) when there is no Chromium to drive."""
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM}: install Debian's chromium to run browser tests"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    warnings.warn(message, stacklevel=2)
    pytest.skip(f"!!! BROWSER TESTS SKIPPED !!! {message}")


@contextmanager
def chromium(playwright, extra_args: Sequence[str] = ()) -> Iterator:
    """A headless Chromium for the duration of the block (Playwright's ``Browser``)."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )
    try:
        yield browser
    finally:
        browser.close()


@contextmanager
def playwright_driver() -> Iterator:
    """Playwright's driver. Its sync API runs one at a time per process, so the browser tests
    and the journeys share one (the ``playwright`` fixture of tests/conftest.py)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright
