"""manage.py backup and restore: a pg_dump and every media file in one tar, and back.

The round trip restores into a database created for the test, from another process, as an
operator would on a new machine; the archive checks run on SQLite too.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from pressimus.lib import backup
from streams.models import Block, Byline, Entry
from streams.services import block_image_store
from tests import factories
from tests.test_images import encoded, halves, upload

ON_POSTGRESQL = connection.vendor == "postgresql"
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="backup and restore run pg_dump and pg_restore: set DATABASE_URL to a PostgreSQL "
    "database to run this test",
)
needs_sqlite = pytest.mark.skipif(ON_POSTGRESQL, reason="checks the refusal on SQLite")


def _server() -> dict[str, str]:
    settings_dict = connection.settings_dict
    return {
        "host": settings_dict["HOST"] or "localhost",
        "port": str(settings_dict["PORT"] or 5432),
        "user": settings_dict["USER"] or "",
        "password": settings_dict["PASSWORD"] or "",
    }


@pytest.fixture
def fresh_database():
    """A new, empty PostgreSQL database on the test server, dropped afterwards: its URL."""
    server = _server()
    name = f"pressimus_restore_{secrets.token_hex(6)}"
    admin = psycopg2.connect(dbname="postgres", **server)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        credentials = server["user"] + (f":{server['password']}" if server["password"] else "")
        yield name, f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def manage(*args: str, database_url: str, media_root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": database_url}
    env["MEDIA_ROOT"] = str(media_root)
    env.pop("AWS_STORAGE_BUCKET_NAME", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def rows(cursor, sql: str) -> list[tuple]:
    cursor.execute(sql)
    return sorted(cursor.fetchall())


ENTRY_ROWS = "SELECT id, stream_id, title, status, published_at FROM streams_entry"
BLOCK_ROWS = (
    "SELECT entry_id, position, kind, body, source_id, cited_url, original, original_language, "
    "image, alt_text FROM streams_block"
)
BYLINE_ROWS = "SELECT entry_id, position, profile_id, name FROM streams_byline"
SOURCE_ROWS = "SELECT id, name, slug, home_page FROM streams_source"


def site_content() -> tuple[list[str], list[Entry]]:
    """A stream of entries with text, quotes, a translated quote, bylines and an image."""
    publisher = factories.PublisherFactory(name="The Interpreter", slug="interpreter")
    stream = factories.StreamFactory(publisher=publisher, title="Syria: December 23", slug="syria")
    amnesty = factories.SourceFactory(
        name="Amnesty International", slug="amnesty", home_page="https://www.amnesty.org/"
    )
    sputnik = factories.SourceFactory(name="Sputnik", slug="sputnik")
    writer = factories.ProfileFactory(display_name="James Miller", handle="james")
    entries = [
        factories.EntryFactory(
            stream=stream,
            title=f"Amnesty 'Unmasks' Russian Claims, part {n}",
            text=f"<p>Amnesty reports ({n}):</p>",
            quotes=[amnesty, sputnik],
            bylines=[writer, "Guest Writer"],
        )
        for n in range(5)
    ]
    Block.objects.create(
        entry=entries[0],
        position=3,
        kind=Block.Kind.QUOTE,
        source=sputnik,
        body="<p>The strikes hit only terrorists.</p>",
        original="<p>Удары нанесены только по террористам.</p>",
        original_language="ru",
        cited_url="https://sputniknews.example/article/1",
    )
    with transaction.atomic():
        image = block_image_store(
            block=Block(entry=entries[1], position=3, alt_text="A street in Aleppo"),
            upload=upload(encoded(halves((1000, 500)), "PNG"), "aleppo.png"),
            save=True,
        )
    return [rendition["name"] for rendition in image.renditions], entries


# The round trip ---------------------------------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_holds_every_entry_block_byline_and_image(
    tmp_path, fresh_database
):
    media_names, entries = site_content()
    archive = tmp_path / "site.tar"
    out = io.StringIO()

    call_command("backup", output=str(archive), stdout=out)

    assert f"Backed up 5 entries in 1 streams and {len(media_names)} media files" in out.getvalue()
    with connection.cursor() as cursor:
        expected = {sql: rows(cursor, sql) for sql in (ENTRY_ROWS, BLOCK_ROWS, BYLINE_ROWS)}
        expected[SOURCE_ROWS] = rows(cursor, SOURCE_ROWS)

    name, url = fresh_database
    restored_media = tmp_path / "restored-media"
    done = manage("restore", str(archive), database_url=url, media_root=restored_media)

    assert done.returncode == 0, done.stderr
    assert f"Restored 5 entries in 1 streams and {len(media_names)} media files" in done.stdout, (
        done.stdout
    )
    with psycopg2.connect(dbname=name, **_server()) as restored, restored.cursor() as cursor:
        for sql, before in expected.items():
            assert rows(cursor, sql) == before, sql
        assert {(entry.pk, entry.title) for entry in entries} <= {
            (pk, title) for pk, _, title, _, _ in rows(cursor, ENTRY_ROWS)
        }
    restored.close()
    assert len(media_names) == 2
    for media_name in media_names:
        with default_storage.open(media_name, "rb") as original:
            assert (restored_media / media_name).read_bytes() == original.read()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_content_and_replaces_it_clearing_the_cache_with_force(
    tmp_path,
):
    media_names, entries = site_content()
    archive = tmp_path / "site.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    Entry.objects.filter(pk=entries[0].pk).update(title="Edited after the backup")
    Byline.objects.filter(entry=entries[2]).delete()
    with default_storage.open(media_names[0], "wb") as damaged:
        damaged.write(b"not the image any more")

    with pytest.raises(CommandError, match=r"already holds Pressimus content.*--force"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert Entry.objects.get(pk=entries[0].pk).title == "Edited after the backup"

    cache.set("stale-page", "stale")
    out = io.StringIO()
    call_command("restore", str(archive), force=True, stdout=out)

    assert "Restored 5 entries in 1 streams and 2 media files" in out.getvalue()
    assert Entry.objects.get(pk=entries[0].pk).title == entries[0].title
    assert Byline.objects.filter(entry=entries[2]).count() == 2
    assert cache.get("stale-page") is None
    with default_storage.open(media_names[0], "rb") as restored:
        assert restored.read()[:4] == b"RIFF"


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_into_an_existing_file_is_refused_and_leaves_no_partial_file(tmp_path):
    archive = tmp_path / "site.tar"
    archive.write_bytes(b"an older backup")

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=str(archive), stdout=io.StringIO())

    assert archive.read_bytes() == b"an older backup"
    assert [path.name for path in tmp_path.iterdir() if path.name != "media"] == ["site.tar"]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_archive_starts_with_a_manifest_of_what_it_holds(tmp_path):
    factories.EntryFactory.create_batch(3)
    call_command("backup", output=str(tmp_path), stdout=io.StringIO())
    [archive] = tmp_path.glob("pressimus-backup-*.tar")

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(backup.MANIFEST))

    assert names[:2] == ["manifest.json", "database.dump"]
    assert manifest["format_version"] == 1
    assert manifest["counts"]["entries"] == 3
    assert manifest["counts"]["streams"] == 3
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["database"]["pg_dump_version"][0].isdigit()
    assert manifest["migrations"]["streams"]
    assert manifest["created_at"].endswith("+00:00")


# Refusals ---------------------------------------------------------------------------------


@needs_sqlite
def test_backup_on_sqlite_says_to_copy_the_db_file_and_media():
    with pytest.raises(CommandError) as refused:
        call_command("backup")
    assert str(refused.value).startswith(
        "backup needs PostgreSQL; on SQLite copy the db file and the media directory"
    )


def well_formed_archive(path: Path, *, manifest: dict | None = None, **members: bytes) -> Path:
    manifest = {"format_version": 1, "counts": {}} if manifest is None else manifest
    contents = {
        "manifest.json": json.dumps(manifest).encode(),
        "database.dump": b"PGDMP",
        **members,
    }
    with tarfile.open(path, "w") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@needs_sqlite
def test_restore_on_sqlite_says_to_copy_the_db_file_and_media_back(tmp_path):
    archive = well_formed_archive(tmp_path / "site.tar")
    with pytest.raises(CommandError, match="restore needs PostgreSQL; on SQLite copy"):
        call_command("restore", str(archive))


def test_restore_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(CommandError, match=r"No backup at .*nowhere\.tar"):
        call_command("restore", str(tmp_path / "nowhere.tar"))


def test_restore_of_a_corrupt_archive_is_a_clear_error(tmp_path):
    archive = tmp_path / "site.tar"
    archive.write_bytes(secrets.token_bytes(3000))
    with pytest.raises(CommandError, match="not a readable Pressimus backup"):
        call_command("restore", str(archive))


def test_restore_of_a_truncated_archive_is_a_clear_error(tmp_path):
    archive = well_formed_archive(tmp_path / "site.tar", **{"media/a.webp": b"x" * 20_000})
    archive.write_bytes(archive.read_bytes()[:8_000])
    with pytest.raises(CommandError, match="not a readable Pressimus backup"):
        call_command("restore", str(archive))


def test_restore_of_a_tar_without_manifest_says_it_is_not_a_backup(tmp_path):
    archive = tmp_path / "other.tar"
    with tarfile.open(archive, "w") as tar:
        tar.addfile(tarfile.TarInfo("notes.txt"), io.BytesIO(b""))
    with pytest.raises(CommandError, match=r"not a Pressimus backup: it has no manifest\.json"):
        call_command("restore", str(archive))


def test_restore_of_a_damaged_manifest_says_so(tmp_path):
    archive = tmp_path / "site.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"{oops"))
    with pytest.raises(CommandError, match=r"manifest\.json of .* is damaged"):
        call_command("restore", str(archive))


def test_restore_of_an_unknown_format_version_names_it(tmp_path):
    archive = well_formed_archive(tmp_path / "site.tar", manifest={"format_version": 99})
    with pytest.raises(CommandError, match="backup of format 99, which this version"):
        call_command("restore", str(archive))


def test_restore_refuses_media_names_that_leave_the_storage(tmp_path):
    archive = well_formed_archive(tmp_path / "site.tar", **{"media/../../etc/cron.d/x": b"boom"})
    with pytest.raises(CommandError, match="unsafe name"):
        call_command("restore", str(archive))


@needs_postgresql
def test_backup_without_pg_dump_names_the_debian_package(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(CommandError, match=r"pg_dump is not installed.*postgresql-client"):
        call_command("backup")


@needs_postgresql
def test_restore_without_pg_restore_names_the_debian_package(monkeypatch, tmp_path):
    archive = well_formed_archive(tmp_path / "site.tar")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(CommandError, match=r"pg_restore is not installed.*postgresql-client"):
        call_command("restore", str(archive))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@needs_postgresql
@pytest.mark.django_db
def test_an_unreachable_server_is_named_without_its_password():
    settings_dict = {
        **connection.settings_dict,
        "HOST": "127.0.0.1",
        "PORT": str(_closed_port()),
        "PASSWORD": "s3cret-password",
    }
    unreachable: BaseDatabaseWrapper = type(connections["default"])(settings_dict)
    target = backup.pg_target(settings_dict)
    try:
        with pytest.raises(backup.BackupError, match=r"Cannot reach the PostgreSQL server") as e:
            backup.require_server(unreachable, target)
    finally:
        unreachable.close()
    assert f"127.0.0.1:{settings_dict['PORT']}" in str(e.value)
    assert "s3cret" not in str(e.value)


def test_the_password_goes_through_the_environment_never_the_command_line():
    target = backup.pg_target(
        {
            "HOST": "db",
            "PORT": 5432,
            "USER": "pressimus",
            "PASSWORD": "s3cret",
            "NAME": "pressimus",
            "OPTIONS": {"sslmode": "require"},
        }
    )
    assert target.args == [
        "--host=db",
        "--port=5432",
        "--username=pressimus",
        "--dbname=pressimus",
    ]
    assert target.env["PGPASSWORD"] == "s3cret"
    assert target.env["PGSSLMODE"] == "require"
    assert "s3cret" not in target.label


def test_an_older_pg_dump_than_the_server_names_the_client_to_install():
    backup.require_dump_can_read_server("17.2", 16)
    with pytest.raises(backup.BackupError, match=r"pg_dump 15\.20 cannot dump a PostgreSQL 16"):
        backup.require_dump_can_read_server("15.20", 16)


# Object storage ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_buckets(s3_endpoint):
    """Two buckets on moto's S3 server on loopback: where media were, and a new site's."""
    boto3 = pytest.importorskip("boto3")
    from storages.backends.s3 import S3Storage

    options = {
        "endpoint_url": s3_endpoint,
        "access_key": "test-access-key",
        "secret_key": "test-secret-key",
        "region_name": "us-east-1",
        # As settings.py configures it: a storage that never overwrites a name.
        "file_overwrite": False,
    }
    client = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name=options["region_name"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
    )
    for bucket in ("old-site", "new-site"):
        client.create_bucket(Bucket=bucket)
    return tuple(S3Storage(bucket_name=name, **options) for name in ("old-site", "new-site"))


def test_media_on_object_storage_are_walked_archived_and_written_back_under_their_names(
    tmp_path, s3_buckets
):
    old, new = s3_buckets
    files = {
        "entries/2015/12/aleppo-480.webp": secrets.token_bytes(5000),
        "entries/2015/12/aleppo-960.webp": secrets.token_bytes(9000),
        "avatars/2015/12/james.webp": secrets.token_bytes(700),
        "logo.webp": b"logo",
    }
    for name, data in files.items():
        old.save(name, io.BytesIO(data))
    new.save("logo.webp", io.BytesIO(b"logo"))
    new.save("avatars/2015/12/james.webp", io.BytesIO(b"someone else"))

    names = list(backup.storage_files(old))
    archive = tmp_path / "media.tar"
    with tarfile.open(archive, "w") as tar:
        assert backup.media_add(tar, old, names, mtime=0) == 0
    with tarfile.open(archive) as tar:
        restored = backup.media_restore(tar, new, force=True)

    assert sorted(names) == sorted(files)
    assert (restored.written, restored.identical, restored.renamed) == (4, 0, [])
    for name, data in files.items():
        with new.open(name, "rb") as stored:
            assert stored.read() == data
