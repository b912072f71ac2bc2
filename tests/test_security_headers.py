"""The response headers of every kind of page under production settings (DEBUG is off in tests)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse

from pressimus import middleware
from tests import factories
from tests.fixtures_pages import updates_url
from tests.test_settings import REAL_KEY, manage

PERMISSIONS = ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()")


@pytest.fixture
def pages(stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    return {
        "home": "/",
        "stream": stream_a.get_absolute_url(),
        "entry": entry.get_absolute_url(),
        "admin": "/admin/",
        "robots": "/robots.txt",
    }


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    parts = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def test_production_settings_apply_in_tests():
    assert not settings.DEBUG
    assert settings.SESSION_COOKIE_NAME == "__Host-sessionid"
    assert settings.CSRF_COOKIE_NAME == "__Host-csrftoken"
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS >= 31_536_000


@pytest.mark.parametrize("page", ["home", "stream", "entry", "admin", "robots"])
def test_every_page_sends_the_hardening_headers(client, pages, page):
    response = client.get(pages[page], secure=True)

    assert response.status_code in {200, 302}
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert all(feature in response["Permissions-Policy"] for feature in PERMISSIONS)


DOCUMENT_ONLY = (
    "X-Frame-Options",
    "Permissions-Policy",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.mark.parametrize("answer", ["poll", "poll, gzip", "openapi", "api, error"])
def test_an_answer_that_is_data_keeps_the_hardening_but_not_what_concerns_documents(
    client, stream_a, answer
):
    factories.EntryFactory(stream=stream_a, title="Shelter opens")
    poll = updates_url(client.get(stream_a.get_absolute_url(), secure=True))
    url, headers = {
        "poll": (poll, {}),
        "poll, gzip": (poll, {"Accept-Encoding": "gzip"}),
        "openapi": ("/api/openapi.json", {}),
        "api, error": ("/api/v1/streams/no-such-stream/", {}),
    }[answer]

    response = client.get(url, headers=headers, secure=True)

    assert "json" in response["Content-Type"]
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert directives(response)["frame-ancestors"] == "'none'"
    assert [header for header in DOCUMENT_ONLY if header in response] == []


@pytest.mark.parametrize("page", ["home", "stream", "entry", "admin"])
def test_every_page_has_a_strict_content_security_policy(client, pages, page):
    response = client.get(pages[page])

    policy = directives(response)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].startswith("'self'")
    # The admin adds one stylesheet by its hash (see the test below), never 'unsafe-inline'.
    assert policy["style-src"].startswith("'self'")
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


def test_only_the_admin_may_run_the_prose_editor_import_map(client, admin_user, pages):
    client.force_login(admin_user)

    admin_policy = directives(client.get("/admin/streams/entry/add/"))
    public_policy = directives(client.get(pages["home"]))

    assert admin_policy["script-src"].startswith("'self' 'sha256-")
    assert public_policy["script-src"] == "'self'"


def test_only_the_admin_may_apply_the_prose_editor_base_stylesheet(client, admin_user, pages):
    client.force_login(admin_user)

    admin_policy = directives(client.get("/admin/streams/entry/add/"))
    public_policy = directives(client.get(pages["home"]))

    # Exactly one stylesheet by its hash: not 'unsafe-inline', which would allow any.
    assert admin_policy["style-src"] == f"'self' {middleware.prose_editor_style_hash()}"
    assert middleware.prose_editor_style_hash().startswith("'sha256-")
    assert public_policy["style-src"] == "'self'"


def test_the_embed_may_be_framed_anywhere_and_keeps_the_rest_of_the_policy(client, stream_a):
    response = client.get(reverse("streams:embed", kwargs={"slug": stream_a.slug}))

    policy = directives(response)
    assert "X-Frame-Options" not in response
    assert policy["frame-ancestors"] == "*"
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_session_cookie_is_host_prefixed_secure_httponly_and_lax_after_sign_in(client, member):
    EmailAddress.objects.update_or_create(
        user=member, email=member.email, defaults={"verified": True, "primary": True}
    )

    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": factories.PASSWORD},
        secure=True,
    )

    assert response.status_code == 302
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert "sessionid" not in response.cookies


def test_csrf_cookie_is_host_prefixed_and_secure(client):
    response = client.get(reverse("account_login"), secure=True)

    cookie = response.cookies["__Host-csrftoken"]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["domain"]


MOVED_ADMIN_PROBE = """
from django.conf import settings
# The 404 page links the stylesheet; no collectstatic manifest exists in a fresh checkout.
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
from django.test import Client
from django.urls import reverse
client = Client()
robots = client.get("/robots.txt").content.decode().splitlines()
print(reverse("admin:index"), client.get("/back-office/").status_code,
      client.get("/admin/").status_code, "Disallow: /back-office/" in robots,
      "Disallow: /admin/" in robots)
"""


def test_admin_url_moves_the_admin_and_robots_txt_follows():
    # urls.py reads ADMIN_URL once, at import: a fresh process sees the moved admin.
    result = manage(
        "shell",
        "-c",
        MOVED_ADMIN_PROBE,
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        ADMIN_URL="back-office/",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "/back-office/",
        "302",
        "404",
        "True",
        "False",
    ]


@pytest.mark.parametrize("value", ["", "/admin/", "admin"])
def test_admin_url_must_be_a_relative_path_with_a_trailing_slash(value):
    result = manage("check", SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="news.example.org", ADMIN_URL=value)

    assert result.returncode != 0
    assert "ADMIN_URL" in result.stderr
