"""manage.py backup and restore: the database and every media file in one tar, and back.

The database goes in as a pg_dump on PostgreSQL and as a copy of the database file on SQLite.
The round trips restore into a database created for the test, from another process, as an
operator would on a new machine (on SQLite, into a database file: the test database is in
memory); the other tests run the commands in this process, on the test database of either
engine.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper

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
needs_sqlite = pytest.mark.skipif(
    ON_POSTGRESQL,
    reason="runs on the SQLite test database: run this test with the default DATABASE_URL",
)
ENGINE = "PostgreSQL" if ON_POSTGRESQL else "SQLite"
# The archive's copy of the test database.
DATABASE_MEMBER = "database.dump" if ON_POSTGRESQL else "database.sqlite3"
OTHER_ENGINE = "SQLite" if ON_POSTGRESQL else "PostgreSQL"


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
USER_ROWS = "SELECT id, email, password, date_joined FROM accounts_user"
SITE_ROWS = (ENTRY_ROWS, BLOCK_ROWS, BYLINE_ROWS, SOURCE_ROWS, USER_ROWS)


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


def sqlite_file_of_the_test_database(path: Path) -> str:
    """The SQLite test database (in memory) copied into a file, as a site keeps it: its URL."""
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    return f"sqlite:///{path}"


def sqlite_rows(path: Path) -> dict[str, list[tuple]]:
    """The rows of a SQLite database file, with dates and booleans as Django reads them."""
    types = sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
    with closing(sqlite3.connect(path, detect_types=types)) as database:
        return {sql: rows(database.cursor(), sql) for sql in SITE_ROWS}


def database_rows() -> dict[str, list[tuple]]:
    """The rows of the test database, to compare with a copy's."""
    with connection.cursor() as cursor:
        return {sql: rows(cursor, sql) for sql in SITE_ROWS}


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_a_backup_restored_into_a_new_database_file_holds_every_entry_user_and_image(
    tmp_path,
):
    media_names, _ = site_content()
    archive = tmp_path / "site.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    expected = database_rows()

    new_site = tmp_path / "new-site"
    new_site.mkdir()
    database = new_site / "db.sqlite3"
    done = manage(
        "restore",
        str(archive),
        database_url=f"sqlite:///{database}",
        media_root=new_site / "media",
    )

    assert done.returncode == 0, done.stderr
    assert f"Restored 5 entries in 1 streams and {len(media_names)} media files" in done.stdout, (
        done.stdout
    )
    assert expected[USER_ROWS]
    assert sqlite_rows(database) == expected
    # The restored copy waited beside the database, and is gone.
    assert sorted(path.name for path in new_site.iterdir()) == ["db.sqlite3", "media"]
    assert len(media_names) == 2
    for media_name in media_names:
        with default_storage.open(media_name, "rb") as original:
            assert (new_site / "media" / media_name).read_bytes() == original.read()


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_backup_copies_what_the_running_site_committed_while_a_write_is_under_way(
    tmp_path,
):
    media_names, _ = site_content()
    database = tmp_path / "db.sqlite3"
    url = sqlite_file_of_the_test_database(database)
    committed = sqlite_rows(database)
    backups = tmp_path / "backups"
    backups.mkdir()

    with closing(sqlite3.connect(database, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE streams_entry SET title = 'Half written'")
        done = manage(
            "backup", "--output", str(backups), database_url=url, media_root=settings.MEDIA_ROOT
        )
        writer.execute("ROLLBACK")

    assert done.returncode == 0, done.stderr
    assert f"Backed up 5 entries in 1 streams and {len(media_names)} media files" in done.stdout
    [archive] = backups.iterdir()
    assert archive.name.startswith("pressimus-backup-")
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(backup.MANIFEST))
        copy = tar.extractfile(backup.SQLITE_DATABASE).read()
    assert names == [
        "database.sqlite3",
        *(f"media/{name}" for name in media_names),
        "manifest.json",
    ]
    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["database"]["dump_sha256"] == sha256(copy)
    assert manifest["counts"]["entries"] == 5
    (tmp_path / "copy.sqlite3").write_bytes(copy)
    assert sqlite_rows(tmp_path / "copy.sqlite3") == committed


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_restore_force_replaces_the_database_under_the_connections_the_site_holds(
    tmp_path,
):
    _, entries = site_content()
    archive = tmp_path / "site.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    backed_up = database_rows()
    database = tmp_path / "db.sqlite3"
    url = sqlite_file_of_the_test_database(database)

    # As a web process's would, this connection stays open across the restore.
    with closing(sqlite3.connect(database, isolation_level=None)) as site:
        site.execute("UPDATE streams_entry SET title = 'Edited' WHERE id = ?", [entries[0].pk])
        site.execute("DELETE FROM streams_byline WHERE entry_id = ?", [entries[2].pk])

        done = manage(
            "restore", "--force", str(archive), database_url=url, media_root=settings.MEDIA_ROOT
        )

        assert done.returncode == 0, done.stderr
        assert "Restored 5 entries in 1 streams and 2 media files" in done.stdout, done.stdout
        title = site.execute("SELECT title FROM streams_entry WHERE id = ?", [entries[0].pk])
        assert title.fetchone() == (entries[0].title,)
        bylines = site.execute(
            "SELECT COUNT(*) FROM streams_byline WHERE entry_id = ?", [entries[2].pk]
        )
        assert bylines.fetchone() == (2,)
    assert sqlite_rows(database) == backed_up
    assert not list(tmp_path.glob(".pressimus-restore-*"))


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


@pytest.mark.django_db(transaction=True)
def test_a_backup_into_an_existing_file_is_refused_and_leaves_no_partial_file(tmp_path):
    archive = tmp_path / "site.tar"
    archive.write_bytes(b"an older backup")

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=str(archive), stdout=io.StringIO())

    assert archive.read_bytes() == b"an older backup"
    assert [path.name for path in tmp_path.iterdir() if path.name != "media"] == ["site.tar"]


@pytest.mark.django_db(transaction=True)
def test_a_backup_archive_ends_with_a_manifest_of_what_it_holds_and_a_checksum_of_each_file(
    tmp_path,
):
    factories.EntryFactory.create_batch(3)
    logo = encoded(halves(), "PNG")
    default_storage.save("publishers/logo.png", ContentFile(logo))
    call_command("backup", output=str(tmp_path), stdout=io.StringIO())
    [archive] = tmp_path.glob("pressimus-backup-*.tar")

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(backup.MANIFEST))
        dump = tar.extractfile(DATABASE_MEMBER).read()

    assert names == [DATABASE_MEMBER, "media/publishers/logo.png", "manifest.json"]
    assert archive.stat().st_mode & 0o777 == 0o600
    assert manifest["format_version"] == 2
    assert manifest["database"]["dump_sha256"] == sha256(dump)
    assert manifest["media_sha256"] == {"publishers/logo.png": sha256(logo)}
    assert manifest["media_files"] == 1
    assert manifest["counts"]["entries"] == 3
    assert manifest["counts"]["streams"] == 3
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["migrations"]["streams"]
    assert manifest["created_at"].endswith("+00:00")
    if ON_POSTGRESQL:
        assert manifest["database"]["pg_dump_version"][0].isdigit()
    else:
        assert manifest["database"]["sqlite_version"] == sqlite3.sqlite_version
        (tmp_path / "copy.sqlite3").write_bytes(dump)
        with closing(sqlite3.connect(tmp_path / "copy.sqlite3")) as copy:
            assert copy.execute("SELECT COUNT(*) FROM streams_entry").fetchone() == (3,)


# Refusals ---------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_archive(path: Path, contents: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


DUMP = b"PGDMP"


def checksums(*, vendor: str = "postgresql", **media: bytes) -> dict:
    """The manifest of an archive holding ``DUMP`` and ``media`` (names under media/)."""
    return {
        "format_version": backup.FORMAT_VERSION,
        "counts": {},
        "database": {"vendor": vendor, "dump_sha256": sha256(DUMP)},
        "media_sha256": {
            name.removeprefix("media/"): sha256(data)
            for name, data in media.items()
            if name.startswith("media/")
        },
    }


def well_formed_archive(
    path: Path, *, manifest: dict | None = None, vendor: str = "postgresql", **members: bytes
) -> Path:
    """An archive laid out as backup writes it, its manifest giving every checksum."""
    manifest = checksums(vendor=vendor, **members) if manifest is None else manifest
    database = backup.DATABASE_MEMBERS[vendor]
    return write_archive(
        path, {database: DUMP, **members, "manifest.json": json.dumps(manifest).encode()}
    )


@pytest.mark.django_db
def test_an_archive_made_on_the_other_engine_is_refused_saying_so_and_nothing_changes(tmp_path):
    site_content()
    other = "sqlite" if ON_POSTGRESQL else "postgresql"
    archive = well_formed_archive(tmp_path / "other.tar", vendor=other)
    before = site_snapshot()

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), force=True)

    assert str(refused.value) == (
        f"{archive} is a backup of a {OTHER_ENGINE} database, and this site's database "
        f"(DATABASE_URL) is {ENGINE}: a {OTHER_ENGINE} backup restores into {OTHER_ENGINE} "
        "only (a PostgreSQL dump cannot be restored into SQLite, nor a SQLite backup into "
        "PostgreSQL). Moving a site from one engine to the other is not something backup and "
        "restore do. Nothing was restored."
    )
    assert site_snapshot() == before


def test_an_archive_whose_manifest_does_not_name_its_database_engine_is_refused(tmp_path):
    manifest = checksums()
    del manifest["database"]["vendor"]
    archive = well_formed_archive(tmp_path / "site.tar", manifest=manifest)
    with pytest.raises(CommandError, match="does not say which database engine"):
        call_command("restore", str(archive))


def sqlite_settings(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {},
        "TIME_ZONE": None,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("created", "reason"),
    [
        (False, r"No SQLite database at .*db\.sqlite3: create it with make setup"),
        (True, r"db\.sqlite3 has no Pressimus tables: there is nothing to back up"),
    ],
    ids=["no-file", "empty-file"],
)
def test_backup_of_a_sqlite_database_not_set_up_yet_says_to_run_make_setup(
    tmp_path, created, reason
):
    database = tmp_path / "db.sqlite3"
    if created:
        database.touch()
    unmigrated = SQLiteDatabaseWrapper(sqlite_settings(database))
    try:
        with pytest.raises(backup.BackupError, match=reason):
            backup.sqlite_copy(unmigrated, tmp_path / "copy.sqlite3")
    finally:
        unmigrated.close()
    assert database.exists() == created


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
    with pytest.raises(
        CommandError, match=r"not a Pressimus backup, or an incomplete one: it has no manifest"
    ):
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


# Checksums and images: checked before anything changes ------------------------------------


def site_snapshot() -> tuple[dict[str, list[tuple]], dict[str, bytes]]:
    """The rows a restore would replace, and every media file with its bytes."""
    with connection.cursor() as cursor:
        database = {sql: rows(cursor, sql) for sql in SITE_ROWS}
    media = {}
    for name in backup.storage_files(default_storage):
        with default_storage.open(name, "rb") as stored:
            media[name] = stored.read()
    return database, media


def rewritten(archive: Path, *, manifest=None, **replaced: bytes) -> Path:
    """A copy of ``archive`` with members replaced, and its manifest edited by ``manifest``."""
    copy = archive.with_name(f"tampered-{archive.name}")
    with tarfile.open(archive) as tar:
        contents = {member.name: tar.extractfile(member).read() for member in tar.getmembers()}
    contents.update(replaced)
    if manifest is not None:
        edited = json.loads(contents[backup.MANIFEST])
        manifest(edited)
        contents[backup.MANIFEST] = json.dumps(edited).encode()
    return write_archive(copy, contents)


@pytest.fixture
def edited_site_and_its_backup(tmp_path):
    """A site backed up, then edited and one of its images replaced: (archive, image name)."""
    media_names, entries = site_content()
    archive = tmp_path / "site.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    Entry.objects.filter(pk=entries[0].pk).update(title="Edited after the backup")
    default_storage.delete(media_names[0])
    default_storage.save(media_names[0], ContentFile(encoded(halves((40, 20)), "WEBP")))
    return archive, media_names[0]


def refused_restore_changes_nothing(archive: Path, match: str) -> None:
    before = site_snapshot()
    out = io.StringIO()
    with pytest.raises(CommandError, match=match):
        call_command("restore", str(archive), force=True, stdout=out)
    assert "Restored" not in out.getvalue()
    assert site_snapshot() == before
    assert Entry.objects.filter(title="Edited after the backup").exists()


@pytest.mark.django_db(transaction=True)
def test_an_archive_whose_manifest_lacks_the_dump_checksum_is_refused_and_nothing_changes(
    edited_site_and_its_backup,
):
    archive, _ = edited_site_and_its_backup
    unchecked = rewritten(archive, manifest=lambda m: m["database"].pop("dump_sha256"))

    refused_restore_changes_nothing(
        unchecked,
        r"cannot be checked: its manifest\.json has no checksum of its "
        + re.escape(DATABASE_MEMBER),
    )


@pytest.mark.django_db(transaction=True)
def test_a_database_copy_that_does_not_match_its_checksum_is_refused_and_nothing_changes(
    edited_site_and_its_backup,
):
    archive, _ = edited_site_and_its_backup
    tampered = rewritten(archive, **{DATABASE_MEMBER: b"another database"})

    refused_restore_changes_nothing(
        tampered, rf"its {re.escape(DATABASE_MEMBER)} does not match the checksum in its manifest"
    )


@pytest.mark.django_db(transaction=True)
def test_a_media_file_that_does_not_match_its_checksum_is_refused_and_nothing_changes(
    edited_site_and_its_backup,
):
    archive, image = edited_site_and_its_backup
    tampered = rewritten(archive, **{f"media/{image}": encoded(halves((80, 40)), "WEBP")})

    refused_restore_changes_nothing(
        tampered, rf"its media file {image} does not match the checksum in its manifest"
    )


@pytest.mark.django_db(transaction=True)
def test_a_media_image_that_is_not_an_image_is_refused_by_name_even_with_its_checksum(
    edited_site_and_its_backup,
):
    archive, image = edited_site_and_its_backup
    script = b"<svg onload=alert(document.cookie)>"

    def matching_checksum(manifest):
        manifest.setdefault("media_sha256", {})[image] = sha256(script)

    forged = rewritten(archive, manifest=matching_checksum, **{f"media/{image}": script})

    refused_restore_changes_nothing(
        forged, rf"holds the media file {image}, which is not an image Pressimus accepts"
    )


@pytest.mark.django_db(transaction=True)
def test_an_archive_made_before_media_checksums_is_refused_saying_to_make_a_new_backup(
    edited_site_and_its_backup,
):
    archive, _ = edited_site_and_its_backup

    def as_the_previous_version_wrote_it(manifest):
        manifest["format_version"] = 1
        manifest.pop("media_sha256", None)

    old = rewritten(archive, manifest=as_the_previous_version_wrote_it)

    refused_restore_changes_nothing(old, r"older version.*Make a new backup with this version")


def sqlite_database(path: Path, *statements: str) -> bytes:
    """The bytes of a new SQLite database file made by running ``statements``."""
    with closing(sqlite3.connect(path)) as database:
        for statement in statements:
            database.execute(statement)
        database.commit()
    return path.read_bytes()


def with_database(archive: Path, database: bytes) -> Path:
    """A copy of a SQLite ``archive`` holding ``database``, its checksum in the manifest."""
    return rewritten(
        archive,
        manifest=lambda m: m["database"].update(dump_sha256=sha256(database)),
        **{backup.SQLITE_DATABASE: database},
    )


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_a_database_copy_that_is_no_sqlite_database_is_refused_even_with_its_checksum(
    edited_site_and_its_backup,
):
    archive, _ = edited_site_and_its_backup
    forged = with_database(archive, b"SQLite format 3\x00" + secrets.token_bytes(4000))

    refused_restore_changes_nothing(forged, r"its database\.sqlite3 is not a sound SQLite database")


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_a_database_of_something_else_than_a_site_is_refused_even_with_its_checksum(
    edited_site_and_its_backup, tmp_path
):
    archive, _ = edited_site_and_its_backup
    other = sqlite_database(tmp_path / "other.sqlite3", "CREATE TABLE notes (body TEXT)")

    refused_restore_changes_nothing(
        with_database(archive, other), r"not a backup of a Pressimus site: its database\.sqlite3"
    )


@pytest.fixture
def full_disk(edited_site_and_its_backup):
    """The SQLite test database cannot grow past its present size, as on a full disk."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA max_page_count")
        [(unlimited,)] = cursor.fetchall()
        cursor.execute("PRAGMA page_count")
        [(pages,)] = cursor.fetchall()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA max_page_count = {unlimited}")


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_a_restore_that_fails_midway_leaves_the_database_as_it_was(
    edited_site_and_its_backup, full_disk, tmp_path
):
    archive, _ = edited_site_and_its_backup
    with tarfile.open(archive) as tar:
        (tmp_path / "bigger.sqlite3").write_bytes(tar.extractfile(backup.SQLITE_DATABASE).read())
    bigger = sqlite_database(
        tmp_path / "bigger.sqlite3",
        "CREATE TABLE filler (data BLOB)",
        "INSERT INTO filler VALUES (zeroblob(2000000))",
    )

    refused_restore_changes_nothing(
        with_database(archive, bigger),
        r"Restoring into the SQLite database in memory failed, and left it as it was: database "
        "or disk is full",
    )


def test_an_archive_whose_manifest_lacks_the_dump_checksum_is_refused_before_any_other_check(
    tmp_path,
):
    manifest = checksums()
    del manifest["database"]["dump_sha256"]
    archive = well_formed_archive(tmp_path / "site.tar", manifest=manifest)
    with pytest.raises(CommandError, match=r"has no checksum of its database\.dump"):
        call_command("restore", str(archive))


def test_an_archive_whose_manifest_gives_no_media_checksums_is_refused(tmp_path):
    manifest = checksums()
    del manifest["media_sha256"]
    archive = well_formed_archive(tmp_path / "site.tar", manifest=manifest)
    with pytest.raises(CommandError, match="has no checksums of its media files"):
        call_command("restore", str(archive))


def test_a_media_file_the_manifest_does_not_list_is_refused_by_name(tmp_path):
    archive = well_formed_archive(
        tmp_path / "site.tar", manifest=checksums(), **{"media/extra.webp": b"RIFF"}
    )
    with pytest.raises(CommandError, match=r"has no checksum of the media file extra\.webp"):
        call_command("restore", str(archive))


def test_a_media_file_the_manifest_lists_but_the_archive_lacks_is_refused_by_name(tmp_path):
    manifest = checksums(**{"media/gone.webp": b"RIFF"})
    archive = well_formed_archive(tmp_path / "site.tar", manifest=manifest)
    with pytest.raises(CommandError, match=r"lists the media file gone\.webp, which the archive"):
        call_command("restore", str(archive))


def test_a_checksum_that_is_not_a_sha256_is_refused(tmp_path):
    manifest = checksums()
    manifest["database"]["dump_sha256"] = "0" * 63
    archive = well_formed_archive(tmp_path / "site.tar", manifest=manifest)
    with pytest.raises(CommandError, match=r"checksum of database\.dump is not a SHA-256"):
        call_command("restore", str(archive))


def test_an_archive_holding_a_name_twice_is_refused(tmp_path):
    good = encoded(halves(), "PNG")
    archive = write_archive(
        tmp_path / "site.tar",
        {
            "database.dump": DUMP,
            "media/logo.png": good,
            "manifest.json": json.dumps(checksums(**{"media/logo.png": good})).encode(),
        },
    )
    with tarfile.open(archive, "a") as tar:
        info = tarfile.TarInfo("media/logo.png")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    with pytest.raises(CommandError, match="holds a name twice"):
        call_command("restore", str(archive))


def verified(archive: Path, tmp_path: Path) -> None:
    tar, manifest = backup.archive_open(archive)
    with tar:
        backup.archive_verify(tar, manifest, path=archive, dump_path=tmp_path / "dump")


def test_verify_accepts_images_of_every_accepted_format_and_files_that_are_not_images(tmp_path):
    media = {
        "media/entries/a.webp": encoded(halves(), "WEBP"),
        "media/publishers/logo.png": encoded(halves(), "PNG"),
        "media/explainer/poster.jpg": encoded(halves(), "JPEG"),
        "media/explainer/dance.gif": encoded(halves(), "GIF"),
        "media/explainer/captions.vtt": b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
    }
    archive = well_formed_archive(tmp_path / "site.tar", **media)

    verified(archive, tmp_path)

    assert (tmp_path / "dump").read_bytes() == DUMP


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_verify_refuses_a_damaged_database_copy(tmp_path, vendor):
    manifest = checksums(vendor=vendor)
    manifest["database"]["dump_sha256"] = sha256(b"another dump")
    archive = well_formed_archive(tmp_path / "site.tar", manifest=manifest, vendor=vendor)
    member = re.escape(backup.DATABASE_MEMBERS[vendor])
    with pytest.raises(backup.BackupError, match=rf"{member} does not match the checksum"):
        verified(archive, tmp_path)


def test_verify_refuses_a_media_file_that_does_not_match_its_checksum(tmp_path):
    manifest = checksums(**{"media/explainer/captions.vtt": b"WEBVTT\n"})
    archive = well_formed_archive(
        tmp_path / "site.tar", manifest=manifest, **{"media/explainer/captions.vtt": b"WEBVTT!"}
    )
    with pytest.raises(
        backup.BackupError, match=r"media file explainer/captions\.vtt does not match the checksum"
    ):
        verified(archive, tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("entries/x.webp", b"<?php system($_GET['c']); ?>", "not an image we accept"),
        ("publishers/logo.svg", b"<svg onload=alert(1)>", "not an image we accept"),
        ("publishers/logo.bmp", encoded(halves(), "BMP"), "not an image we accept"),
        ("avatars/a.png", encoded(halves(), "PNG")[:200], "damaged or incomplete"),
    ],
)
def test_verify_refuses_a_media_image_that_does_not_open_as_an_accepted_image(
    tmp_path, name, content, reason
):
    archive = well_formed_archive(tmp_path / "site.tar", **{f"media/{name}": content})
    with pytest.raises(backup.BackupError, match=rf"the media file {name}, .*{reason}"):
        verified(archive, tmp_path)


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
        archived = backup.media_add(tar, old, names, mtime=0)
    with tarfile.open(archive) as tar:
        restored = backup.media_restore(tar, new, sha256=archived.sha256, force=True)

    assert sorted(names) == sorted(files)
    assert archived.gone == 0
    assert archived.sha256 == {name: sha256(data) for name, data in files.items()}
    assert (restored.written, restored.identical, restored.renamed) == (4, 0, [])
    for name, data in files.items():
        with new.open(name, "rb") as stored:
            assert stored.read() == data
