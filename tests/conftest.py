"""Shared fixtures: the personas every view is tested as, and the factories."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.db import connections
from django.test import Client

from live import versions as live
from streams.models import Membership
from tests import factories
from tests.chromium import playwright_driver
from tests.fixtures_pages import frozen
from tests.providers import provider  # noqa: F401 (a provider of embeds on loopback)


@pytest.fixture(autouse=True)
def _empty_cache():
    # Stream versions and cached poll answers are keyed on ids a new test may reuse.
    cache.clear()
    live.forget_remembered()
    yield
    cache.clear()
    live.forget_remembered()


@pytest.fixture(autouse=True)
def _no_search_refresh_left_over():
    # A test whose transaction never commits leaves its search lookups on the connection;
    # the next test must not drain them (into its query counts).
    yield
    for connection in connections.all(initialized_only=True):
        connection.__dict__.pop("search_pending_lookups", None)
        connection.__dict__.pop("live_pending_lookups", None)


@pytest.fixture(autouse=True)
def _versions_bump_at_once(request, monkeypatch):
    # Most tests run in a transaction that never commits, so commit hooks would never
    # bump a stream's version; tests with real commits keep the real hook.
    if "transactional_db" in request.fixturenames or any(
        marker.kwargs.get("transaction") for marker in request.node.iter_markers("django_db")
    ):
        return
    monkeypatch.setattr(live, "_after_commit", lambda bump: bump())


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    # Mail and alerts run as tasks; most tests want them done when the call returns. Tests of
    # the queue itself take the database backend and run a worker (tests/test_tasks_*.py).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Real hashers cost ~100 ms a password by design; tests need no such protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Pages render without a collectstatic run, so no manifest of hashed names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def frozen_clock():
    """Time stands at 23 December 2015, 18:00 UTC, so ages and dates read the same every run."""
    with frozen():
        yield


@pytest.fixture
def publisher_a(db):
    return factories.PublisherFactory(name="The Translator's Desk", slug="translators-desk")


@pytest.fixture
def publisher_b(db):
    return factories.PublisherFactory(name="Harbour Light", slug="harbour-light")


@pytest.fixture
def stream_a(publisher_a):
    return factories.StreamFactory(publisher=publisher_a, title="Syria: December 23", slug="syria")


@pytest.fixture
def stream_b(publisher_b):
    return factories.StreamFactory(publisher=publisher_b, title="Flood watch", slug="flood-watch")


@pytest.fixture
def source(db):
    return factories.SourceFactory(
        name="Amnesty International", slug="amnesty", home_page="https://www.amnesty.org/"
    )


def _member_of(publisher, role, email):
    user = factories.UserFactory(email=email, is_staff=True)
    factories.ProfileFactory(user=user, display_name=email.split("@")[0].title())
    Membership.objects.create(publisher=publisher, user=user, role=role)
    return user


@pytest.fixture
def member(db):
    """A signed-in reader with a profile and no publisher."""
    user = factories.UserFactory(email="member@example.org")
    factories.ProfileFactory(user=user, display_name="Mia Member", handle="mia")
    return user


@pytest.fixture
def editor_a(publisher_a):
    return _member_of(publisher_a, Membership.Role.EDITOR, "editor-a@example.org")


@pytest.fixture
def editor_b(publisher_b):
    return _member_of(publisher_b, Membership.Role.EDITOR, "editor-b@example.org")


@pytest.fixture
def writer_a(publisher_a):
    return _member_of(publisher_a, Membership.Role.WRITER, "writer-a@example.org")


@pytest.fixture
def staff(db):
    return factories.UserFactory(email="staff@example.org", is_staff=True)


@pytest.fixture
def superuser(db):
    return factories.UserFactory(email="root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def client_as():
    """A test client signed in as the given user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on loopback: a real HTTP endpoint speaking S3, as AWS or MinIO do.

    Port 0 lets the system pick a free port, so parallel runs never collide.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def cache_calls(monkeypatch):
    """The cache operations asked for, by name (not those the backend makes of them)."""
    backend = caches["default"]
    calls: list[str] = []
    depth = [0]
    for name in ("get", "get_many", "set", "add", "incr", "set_many", "delete"):
        original = getattr(backend, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            if not depth[0]:
                calls.append(_name)
            depth[0] += 1
            try:
                return _original(*args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, spy)
    return calls


@pytest.fixture(scope="session")
def playwright():
    """Playwright, started once for every browser test and journey of the run."""
    with playwright_driver() as driver:
        yield driver
