"""Backups of a Pressimus site: the database and every media file in one tar.

An archive holds, in this order:

- the database: ``database.dump`` on PostgreSQL (``pg_dump --format=custom --no-owner
  --no-privileges``), ``database.sqlite3`` on SQLite (a copy of the database file made with
  SQLite's online backup API);
- ``media/<name>``: each file of the default storage;
- ``manifest.json``: the format version, when and from what it was made (the database engine
  and its versions, migrations, counts) and the SHA-256 of the database and of every media
  file. It comes last because a file's checksum is known once the file has been read, and
  each file is read once, as it goes into the archive.

Restore checks every checksum, and decodes every image, before it changes anything: an
archive that cannot be checked (no checksums, or made by a version that wrote none) is
refused, never restored on trust. An archive restores into the engine it was made on only.

Media are read and written through ``default_storage`` only, so one archive moves between
the filesystem storage and object storage without change.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import os
import posixpath
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from pressimus.lib import images

# 2: the manifest comes last and holds a checksum of every media file.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
DATABASE_DUMP = "database.dump"
SQLITE_DATABASE = "database.sqlite3"
# The database member of an archive, by the engine (Django's vendor) it was made on.
DATABASE_MEMBERS = {"postgresql": DATABASE_DUMP, "sqlite": SQLITE_DATABASE}
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
MEDIA_PREFIX = "media/"
# The apps whose rows are the site's content: a database holding any of them is not empty.
CONTENT_APPS = ("accounts", "streams", "invitations")
CLIENT_PACKAGE = "postgresql-client"
_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")

DatabaseState = Literal["empty", "tables-without-data", "has-data"]


class BackupError(Exception):
    """A backup or restore that cannot go on, said in words for the operator."""


@dataclass(frozen=True)
class PgTarget:
    """How pg_dump and pg_restore reach the configured database."""

    args: list[str]
    env: dict[str, str]
    label: str


@dataclass
class DatabaseCopy:
    """What a backup's copy of the database holds, taken from the copy itself."""

    # The manifest's "database" entry, before the copy's checksum and size are added.
    database: dict[str, Any]
    counts: dict[str, int]
    migrations: dict[str, list[str]]


@dataclass
class BackupResult:
    manifest: dict[str, Any]
    # Files listed but deleted before they could be read (replaced images).
    media_gone: int = 0


@dataclass
class MediaArchived:
    # The SHA-256 of each file added, by storage name.
    sha256: dict[str, str] = field(default_factory=dict)
    # Files listed but deleted before they could be read (replaced images).
    gone: int = 0


@dataclass
class MediaRestored:
    written: int = 0
    identical: int = 0
    # "name → other name" for each file a storage would not keep under its own name.
    renamed: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    media: MediaRestored
    counts: dict[str, int] = field(default_factory=dict)
    cleaned: bool = False
    cache_error: str = ""
    unapplied_migrations: int = 0


# The database ---------------------------------------------------------------------------


# libpq reads these from the environment; Django keeps them in OPTIONS.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def pg_target(settings_dict: Mapping[str, Any]) -> PgTarget:
    """Arguments and environment for the PostgreSQL client tools.

    The password goes through PGPASSWORD only: a command line is visible to every user
    of the machine in the process list.
    """
    env = dict(os.environ)
    args = []
    host = str(settings_dict.get("HOST") or "")
    port = str(settings_dict.get("PORT") or "")
    user = str(settings_dict.get("USER") or "")
    name = str(settings_dict.get("NAME") or "")
    if host:
        args.append(f"--host={host}")
    if port:
        args.append(f"--port={port}")
    if user:
        args.append(f"--username={user}")
    if name:
        args.append(f"--dbname={name}")
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    for option, variable in _LIBPQ_OPTIONS.items():
        value = (settings_dict.get("OPTIONS") or {}).get(option)
        if value is not None:
            env[variable] = str(value)
    where = f"{host or 'localhost'}:{port or 5432}"
    label = f"{user}@{where}/{name}" if user else f"{where}/{name}"
    return PgTarget(args=args, env=env, label=label)


def require_supported_engine(connection: BaseDatabaseWrapper, *, command: str) -> None:
    if connection.vendor not in DATABASE_MEMBERS:
        raise BackupError(
            f"{command} works on PostgreSQL and SQLite databases, not on {connection.display_name}."
        )


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed or not on PATH: install the Debian package "
            f"{CLIENT_PACKAGE} (apt-get install {CLIENT_PACKAGE}), of the same major "
            "version as the PostgreSQL server or newer."
        )
    return path


def tool_version(path: str) -> str:
    """ "15.20" from "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"."""
    answer = subprocess.run(
        [path, "--version"], capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    ).stdout
    found = re.search(r"\)\s*(\d+(?:\.\d+)*)", answer) or re.search(r"(\d+(?:\.\d+)*)", answer)
    if found is None:
        raise BackupError(f"{path} --version answered {answer.strip()!r}: not a PostgreSQL tool.")
    return found.group(1)


def major(version: str) -> int:
    return int(version.split(".")[0])


def require_dump_can_read_server(dump_version: str, server_major: int) -> None:
    # pg_dump refuses a server newer than itself; say what to install instead of its error.
    if major(dump_version) < server_major:
        raise BackupError(
            f"pg_dump {dump_version} cannot dump a PostgreSQL {server_major} server: install "
            f"{CLIENT_PACKAGE}-{server_major} or newer (pg_dump dumps servers of its own major "
            "version and older)."
        )


def require_server(connection: BaseDatabaseWrapper, target: PgTarget) -> int:
    """Connect, or say which server could not be reached; returns the server's major version."""
    try:
        connection.ensure_connection()
    except OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BackupError(f"Cannot reach the PostgreSQL server {target.label}: {reason}") from None
    return connection.pg_version // 10000


def _run(args: list[str], *, env: dict[str, str], tool: str) -> None:
    done = subprocess.run(
        args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            f"{tool} failed (exit status {done.returncode}): "
            f"{done.stderr.strip() or 'it printed no reason.'}"
        )


def applied_migration_leaves(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    """The last applied migration of each app (several for an app with unmerged branches)."""
    return migration_leaves(set(MigrationRecorder(connection).applied_migrations()))


def migration_leaves(applied: set[tuple[str, str]]) -> dict[str, list[str]]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    leaves: dict[str, list[str]] = {}
    for app_label, name in sorted(applied):
        node = graph.node_map.get((app_label, name))
        children = node.children if node is not None else set()
        if not any(child in applied and child[0] == app_label for child in children):
            leaves.setdefault(app_label, []).append(name)
    return leaves


# What the manifest counts, and restore counts again.
_COUNTED = {
    "publishers": ("streams", "Publisher"),
    "streams": ("streams", "Stream"),
    "entries": ("streams", "Entry"),
    "blocks": ("streams", "Block"),
    "sources": ("streams", "Source"),
    "users": ("accounts", "User"),
}


def content_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    return {
        key: apps.get_model(app_label, model).objects.using(using).count()
        for key, (app_label, model) in _COUNTED.items()
    }


def database_state(connection: BaseDatabaseWrapper) -> DatabaseState:
    tables = set(connection.introspection.table_names())
    if not tables:
        return "empty"
    ours = [
        model._meta.db_table
        for app_label in CONTENT_APPS
        for model in apps.get_app_config(app_label).get_models()
        if model._meta.db_table in tables
    ]
    with connection.cursor() as cursor:
        for table in ours:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")
            if cursor.fetchone()[0]:
                return "has-data"
    return "tables-without-data"


def unapplied_migrations(connection: BaseDatabaseWrapper) -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


# SQLite -----------------------------------------------------------------------------------


def sqlite_location(connection: BaseDatabaseWrapper) -> Path | None:
    """The database file, or None for a database in memory."""
    if connection.is_in_memory_db():
        return None
    return Path(str(connection.settings_dict["NAME"])).absolute()


def _sqlite_label(location: Path | None) -> str:
    return str(location) if location is not None else "in memory"


def sqlite_copy(connection: BaseDatabaseWrapper, copy_path: Path) -> DatabaseCopy:
    """Copy the live SQLite database to ``copy_path``, consistently, while the site runs."""
    location = sqlite_location(connection)
    label = _sqlite_label(location)
    if location is not None and not location.is_file():
        # Connecting would create an empty database there, and back that up.
        raise BackupError(
            f"No SQLite database at {location}: create it with make setup (or python "
            "manage.py migrate), or set DATABASE_URL to the site's database."
        )
    if connection.in_atomic_block:
        raise BackupError(
            "backup cannot run inside a transaction: its copy would hold the transaction's "
            "uncommitted changes."
        )
    try:
        connection.ensure_connection()
        copy = sqlite3.connect(copy_path)
        try:
            # The online backup API copies every page in one step (pages=-1) under one read
            # lock: a snapshot of what was committed, while the site keeps running. In smaller
            # steps, a write by another connection between two steps starts the copy over, and
            # on a busy site it might never end.
            connection.connection.backup(copy, pages=-1)
            # A copy of a database in WAL mode is in WAL mode too; the archive holds a plain
            # file that opens anywhere, read-only too.
            copy.execute("PRAGMA journal_mode=DELETE")
            counts, migrations = _sqlite_contents(copy, connection, label=label)
        finally:
            copy.close()
    # Django wraps the errors of its own connection; those of the copy are sqlite3's.
    except (sqlite3.Error, DatabaseError) as error:
        raise BackupError(f"Cannot copy the SQLite database {label}: {error}") from None
    return DatabaseCopy(
        database={"vendor": "sqlite", "sqlite_version": sqlite3.sqlite_version},
        counts=counts,
        migrations=migrations,
    )


def _sqlite_tables(database: sqlite3.Connection) -> set[str]:
    return {name for (name,) in database.execute("SELECT name FROM sqlite_master")}


def _sqlite_contents(
    copy: sqlite3.Connection, connection: BaseDatabaseWrapper, *, label: str
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """The counts and migrations of the manifest, read from the copy: exactly what it holds."""
    if "django_migrations" not in _sqlite_tables(copy):
        raise BackupError(
            f"The SQLite database {label} has no Pressimus tables: there is nothing to back "
            "up. Create them with make setup (or python manage.py migrate)."
        )
    quote = connection.ops.quote_name
    counts = {
        key: copy.execute(
            f"SELECT COUNT(*) FROM {quote(apps.get_model(app_label, model)._meta.db_table)}"
        ).fetchone()[0]
        for key, (app_label, model) in _COUNTED.items()
    }
    applied = set(copy.execute("SELECT app, name FROM django_migrations"))
    return counts, migration_leaves(applied)


def sqlite_check(copy_path: Path, *, path: Path) -> None:
    """Refuse an archived database file that SQLite finds damaged, or that is not a site's."""
    damaged = f"{path} is damaged: its {SQLITE_DATABASE} is not a sound SQLite database"
    try:
        database = sqlite3.connect(copy_path)
        try:
            found = database.execute("PRAGMA integrity_check").fetchall()
            tables = _sqlite_tables(database)
        finally:
            database.close()
    except sqlite3.Error as error:
        raise BackupError(f"{damaged} ({error}). {_NOTHING_RESTORED}") from None
    if found != [("ok",)]:
        raise BackupError(f"{damaged} ({found[0][0]}). {_NOTHING_RESTORED}")
    if "django_migrations" not in tables:
        raise BackupError(
            f"{path} is not a backup of a Pressimus site: its {SQLITE_DATABASE} has no "
            f"migrations table. {_NOTHING_RESTORED}"
        )


def sqlite_load(connection: BaseDatabaseWrapper, copy_path: Path, *, label: str) -> None:
    """Replace the whole live database with the database file at ``copy_path``, atomically.

    The copy goes in through SQLite's online backup API, into the live database, rather than
    renamed over its file: a web process that has the file open would go on reading, and
    writing into, the old file it holds (its writes lost), its locks would no longer guard the
    new file, and a -journal or -wal file beside the database, which belongs to the old one,
    could be played into the new one and corrupt it. The backup API writes through SQLite's
    own locking and journal instead: it waits for the write lock, writes every page in one
    step (one write transaction) and commits, so every connection, in this process or
    another, reads the restored database at its next query, and a restore that fails midway
    is rolled back, leaving the database as it was.
    """
    try:
        copy = sqlite3.connect(copy_path)
        try:
            # The journal mode is in the file's header, which the backup API copies: the live
            # database keeps its own (a copy in WAL mode would put a database that has none in
            # WAL mode; one in rollback-journal mode leaves a WAL database as it is).
            copy.execute("PRAGMA journal_mode=DELETE")
            connection.ensure_connection()
            live = connection.connection
            (page_size,) = live.execute("PRAGMA page_size").fetchone()
            if copy.execute("PRAGMA page_size").fetchone() != (page_size,):
                # The backup API cannot change the page size of a database in WAL mode or in
                # memory: the copy takes the live database's.
                copy.execute(f"PRAGMA page_size={int(page_size)}")
                copy.execute("VACUUM")
            copy.backup(live, pages=-1)
        finally:
            copy.close()
    except (sqlite3.Error, DatabaseError) as error:
        raise BackupError(
            f"Restoring into the SQLite database {label} failed, and left it as it was: {error}"
        ) from None


# Media ------------------------------------------------------------------------------------


def storage_files(storage: Storage, directory: str = "") -> Iterator[str]:
    """Every file name in ``storage``, walking ``listdir`` (object storages have no walk)."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        # A filesystem storage whose directory was never created holds nothing.
        return
    for name in sorted(files):
        yield posixpath.join(directory, name) if directory else name
    for name in sorted(directories):
        yield from storage_files(storage, posixpath.join(directory, name) if directory else name)


def _safe_media_name(member: tarfile.TarInfo) -> str | None:
    """The storage name of a media member, or None for anything that is not a plain file."""
    if not member.name.startswith(MEDIA_PREFIX) or not member.isfile():
        return None
    name = member.name[len(MEDIA_PREFIX) :]
    parts = name.split("/")
    if not name or name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise BackupError(f"The archive holds a media file with an unsafe name: {member.name!r}.")
    return name


def _digest(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class _DigestingReader:
    """Reads through to ``stream`` and keeps the SHA-256 of what was read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._digest.update(chunk)
        return chunk

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _same_content(storage: Storage, name: str, size: int, sha256: str) -> bool:
    if storage.size(name) != size:
        return False
    with storage.open(name, "rb") as stored:
        return _digest(stored) == sha256


def is_image_name(name: str) -> bool:
    """True for a name that storages and web servers serve as an image (by its extension)."""
    served_as, _ = mimetypes.guess_type(name)
    return bool(served_as and served_as.startswith("image/"))


def media_add(
    tar: tarfile.TarFile, storage: Storage, names: list[str], *, mtime: float
) -> MediaArchived:
    """Add each file to the archive under media/: the checksum of each, and how many had gone."""
    archived = MediaArchived()
    for name in names:
        try:
            stored = storage.open(name, "rb")
        except FileNotFoundError:
            # Deleted since it was listed (a replaced image goes once its edit commits).
            archived.gone += 1
            continue
        with stored:
            info = tarfile.TarInfo(MEDIA_PREFIX + name)
            info.size = stored.size
            info.mtime = int(mtime)
            info.mode = 0o644
            reader = _DigestingReader(stored)
            tar.addfile(info, reader)
        archived.sha256[name] = reader.hexdigest()
    return archived


def media_restore(
    tar: tarfile.TarFile, storage: Storage, *, sha256: Mapping[str, str], force: bool
) -> MediaRestored:
    """Write every media file of the archive through ``storage``, under its own name.

    ``sha256`` is the manifest's checksum of each file, checked by ``archive_verify``
    beforehand.
    """
    restored = MediaRestored()
    for name, member in _media_members(tar):
        if storage.exists(name):
            if not force and _same_content(storage, name, member.size, sha256[name]):
                restored.identical += 1
                continue
            # Deleted first: a storage that never overwrites would save it under a new name.
            storage.delete(name)
        content = File(_extract(tar, member), name=posixpath.basename(name))
        # File would otherwise take the size of the archive the member sits in.
        content.size = member.size
        saved = storage.save(name, content)
        if saved != name:
            restored.renamed.append(f"{name} → {saved}")
        restored.written += 1
    return restored


# Backup -----------------------------------------------------------------------------------


def default_backup_name() -> str:
    return f"pressimus-backup-{timezone.now():%Y%m%d-%H%M%S}.tar"


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def postgresql_copy(
    connection: BaseDatabaseWrapper, dump_path: Path, *, using: str
) -> DatabaseCopy:
    """pg_dump the database to ``dump_path`` from one snapshot, while the site runs."""
    pg_dump = require_tool("pg_dump")
    target = pg_target(connection.settings_dict)
    server_major = require_server(connection, target)
    dump_version = tool_version(pg_dump)
    require_dump_can_read_server(dump_version, server_major)
    if connection.in_atomic_block:
        raise BackupError("backup cannot run inside a transaction: its dump would not see it.")

    # pg_dump reads the snapshot this transaction exported, so the counts and migrations
    # in the manifest describe exactly the rows in the dump.
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        counts = content_counts(using)
        migrations = applied_migration_leaves(connection)
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={dump_path}",
                *target.args,
            ],
            env=target.env,
            tool="pg_dump",
        )
    return DatabaseCopy(
        database={
            "vendor": connection.vendor,
            "server_version": ".".join(map(str, divmod(connection.pg_version, 10000))),
            "pg_dump_version": dump_version,
        },
        counts=counts,
        migrations=migrations,
    )


def backup_write(
    output: IO[bytes],
    *,
    workdir: Path | None = None,
    using: str = DEFAULT_DB_ALIAS,
    storage: Storage | None = None,
) -> BackupResult:
    """Write a whole backup archive to ``output`` (a file or a pipe); returns its manifest.

    The copy of the database waits in ``workdir`` (a temporary directory by default) while
    the archive is written: a tar member's size comes before its bytes.
    """
    storage = storage or default_storage
    connection = connections[using]
    require_supported_engine(connection, command="backup")
    database_name = DATABASE_MEMBERS[connection.vendor]

    created = timezone.now()
    with tempfile.TemporaryDirectory(prefix=".pressimus-backup-", dir=workdir) as work:
        dump_path = Path(work) / database_name
        if connection.vendor == "sqlite":
            copied = sqlite_copy(connection, dump_path)
        else:
            copied = postgresql_copy(connection, dump_path, using=using)
        # Listed after the snapshot: uploads are stored before their rows commit, so every
        # file the dump refers to is already there.
        media = list(storage_files(storage))
        with dump_path.open("rb") as dump:
            dump_sha256 = _digest(dump)
        mtime = created.timestamp()
        with tarfile.open(fileobj=output, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            info = tar.gettarinfo(str(dump_path), arcname=database_name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with dump_path.open("rb") as dump:
                tar.addfile(info, dump)
            archived = media_add(tar, storage, media, mtime=mtime)
            manifest = {
                "format_version": FORMAT_VERSION,
                "created_at": created.isoformat(),
                "database": {
                    **copied.database,
                    "dump_sha256": dump_sha256,
                    "dump_bytes": dump_path.stat().st_size,
                },
                "migrations": copied.migrations,
                "counts": copied.counts,
                "media_files": len(archived.sha256),
                "media_sha256": archived.sha256,
            }
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode(), mtime)
    return BackupResult(manifest=manifest, media_gone=archived.gone)


def backup_to_path(destination: Path, **options: Any) -> BackupResult:
    """Write the archive beside ``destination`` and rename it there once it is whole."""
    if destination.exists():
        raise BackupError(f"{destination} already exists: choose another name or remove it.")
    directory = destination.parent
    if not directory.is_dir():
        raise BackupError(f"The directory {directory} does not exist: create it first.")
    handle, partial = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".partial", dir=directory
    )
    try:
        with os.fdopen(handle, "wb") as output:
            result = backup_write(output, workdir=directory, **options)
            output.flush()
            os.fsync(output.fileno())
        os.replace(partial, destination)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return result


# Restore ----------------------------------------------------------------------------------


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    stream = tar.extractfile(member)
    if stream is None:
        raise BackupError(f"{member.name} in the archive is not a file.")
    return stream


_NOTHING_RESTORED = "Nothing was restored."


def database_member(manifest: Mapping[str, Any]) -> str:
    """The archive's database member, for a manifest ``archive_open`` accepted."""
    return DATABASE_MEMBERS[manifest["database"]["vendor"]]


def _require_engine(path: Path, manifest: dict[str, Any]) -> str:
    """The engine the archive was made on, which names its database member."""
    database = manifest.get("database")
    vendor = database.get("vendor") if isinstance(database, dict) else None
    if not isinstance(vendor, str):
        raise BackupError(
            f"The {MANIFEST} of {path} is damaged: it does not say which database engine the "
            f"backup was made on. {_NOTHING_RESTORED}"
        )
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(
            f"{path} is a backup of a {vendor!r} database: Pressimus restores backups of "
            f"PostgreSQL and SQLite databases only. {_NOTHING_RESTORED}"
        )
    return vendor


def _require_checksums(
    path: Path, manifest: dict[str, Any], database_name: str, media_names: list[str]
) -> None:
    """Refuse a manifest that does not give a well-formed checksum of every member."""
    dump_sha256 = manifest["database"].get("dump_sha256")
    if not dump_sha256:
        raise BackupError(
            f"{path} cannot be checked: its {MANIFEST} has no checksum of its "
            f"{database_name}. {_NOTHING_RESTORED}"
        )
    media_sha256 = manifest.get("media_sha256")
    if not isinstance(media_sha256, dict):
        raise BackupError(
            f"{path} cannot be checked: its {MANIFEST} has no checksums of its media "
            f"files. {_NOTHING_RESTORED}"
        )
    for name, checksum in [(database_name, dump_sha256), *media_sha256.items()]:
        if not isinstance(checksum, str) or not _SHA256.fullmatch(checksum):
            raise BackupError(
                f"The {MANIFEST} of {path} is damaged: the checksum of {name} is not a "
                f"SHA-256. {_NOTHING_RESTORED}"
            )
    unlisted = sorted(set(media_names) - set(media_sha256))
    if unlisted:
        raise BackupError(
            f"{path} cannot be checked: its {MANIFEST} has no checksum of the media file "
            f"{unlisted[0]}{_and_more(unlisted)}. {_NOTHING_RESTORED}"
        )
    absent = sorted(set(media_sha256) - set(media_names))
    if absent:
        raise BackupError(
            f"{path} is incomplete: its {MANIFEST} lists the media file {absent[0]}"
            f"{_and_more(absent)}, which the archive does not hold. {_NOTHING_RESTORED}"
        )


def _and_more(names: list[str]) -> str:
    return f" (and {len(names) - 1} more)" if len(names) > 1 else ""


def archive_open(path: Path) -> tuple[tarfile.TarFile, dict[str, Any]]:
    """Open a backup archive and check its manifest; the caller closes the tar.

    The manifest must give a checksum of the dump and of every media file (which
    ``archive_verify`` then compares with the files themselves).
    """
    if not path.is_file():
        raise BackupError(f"No backup at {path}: give the path of a .tar made by backup.")
    unreadable = f"{path} is not a readable Pressimus backup (a damaged or foreign file)"
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 (the caller closes it)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"{unreadable}: {error}") from None
    try:
        try:
            # Reads every header, so a truncated archive is found before anything changes.
            all_members = tar.getmembers()
        except (tarfile.TarError, EOFError, OSError) as error:
            raise BackupError(f"{unreadable}: {error}") from None
        members = {member.name: member for member in all_members}
        if MANIFEST not in members:
            raise BackupError(
                f"{path} is not a Pressimus backup, or an incomplete one: it has no {MANIFEST}."
            )
        if len(members) != len(all_members):
            # A second member of one name would be written over the first, unchecked.
            raise BackupError(f"{path} is damaged: it holds a name twice. {_NOTHING_RESTORED}")
        try:
            manifest = json.load(_extract(tar, members[MANIFEST]))
        except (ValueError, UnicodeDecodeError, tarfile.TarError, OSError) as error:
            raise BackupError(f"The {MANIFEST} of {path} is damaged: {error}") from None
        version = manifest.get("format_version") if isinstance(manifest, dict) else None
        if version == 1:
            raise BackupError(
                f"{path} was made by an older version of Pressimus (backup format 1), which "
                "wrote no checksums of media files: this version cannot check it and does "
                "not restore it. Make a new backup with this version (python manage.py "
                "backup) and restore that; if the site it came from is gone, restore it with "
                f"the version that made it, then upgrade. {_NOTHING_RESTORED}"
            )
        if version != FORMAT_VERSION:
            raise BackupError(
                f"{path} is a backup of format {version!r}, which this version of Pressimus "
                f"does not know (it reads format {FORMAT_VERSION}): restore it with the "
                "version that made it."
            )
        database_name = DATABASE_MEMBERS[_require_engine(path, manifest)]
        if database_name not in members:
            raise BackupError(f"{path} is damaged: it has no {database_name}.")
        media_names = [name for name, _ in _media_members(tar)]
        _require_checksums(path, manifest, database_name, media_names)
    except BaseException:
        tar.close()
        raise
    return tar, manifest


def _check_image(path: Path, name: str, stream: IO[bytes]) -> None:
    try:
        # The byte limit is for uploads: a logo or poster the admin took as it came may be
        # bigger, and the pixel limit already bounds what decoding it costs.
        images.open_upload(stream, max_bytes=sys.maxsize)
    except ValidationError as error:
        raise BackupError(
            f"{path} holds the media file {name}, which is not an image Pressimus accepts: "
            f"{' '.join(error.messages)} {_NOTHING_RESTORED}"
        ) from None


def archive_verify(
    tar: tarfile.TarFile, manifest: dict[str, Any], *, path: Path, dump_path: Path
) -> None:
    """Check every member against its checksum, and decode every image, changing nothing.

    The database member is copied to ``dump_path`` on the way, for the restore to read.
    """
    database_name = database_member(manifest)
    try:
        with dump_path.open("wb") as dump:
            reader = _DigestingReader(_extract(tar, tar.getmember(database_name)))
            shutil.copyfileobj(reader, dump, _CHUNK)
        if reader.hexdigest() != manifest["database"]["dump_sha256"]:
            raise BackupError(
                f"{path} is damaged: its {database_name} does not match the checksum in its "
                f"manifest. {_NOTHING_RESTORED}"
            )
        for name, member in _media_members(tar):
            if _digest(_extract(tar, member)) != manifest["media_sha256"][name]:
                raise BackupError(
                    f"{path} is damaged: its media file {name} does not match the checksum in "
                    f"its manifest. {_NOTHING_RESTORED}"
                )
            # A file that storages and web servers would serve as an image must be one:
            # anyone who can hand an operator an archive can also write its checksums.
            if is_image_name(name):
                _check_image(path, name, _extract(tar, member))
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"{path} is damaged: {error}") from None


def _media_members(tar: tarfile.TarFile) -> list[tuple[str, tarfile.TarInfo]]:
    found = []
    for member in tar.getmembers():
        name = _safe_media_name(member)
        if name is not None:
            found.append((name, member))
    return found


def _media_conflicts(
    tar: tarfile.TarFile, storage: Storage, sha256: Mapping[str, str]
) -> list[str]:
    return [
        name
        for name, member in _media_members(tar)
        if storage.exists(name) and not _same_content(storage, name, member.size, sha256[name])
    ]


def require_same_engine(
    connection: BaseDatabaseWrapper, manifest: Mapping[str, Any], *, path: Path
) -> None:
    made_on = manifest["database"]["vendor"]
    if made_on != connection.vendor:
        made, here = ENGINE_NAMES[made_on], connection.display_name
        raise BackupError(
            f"{path} is a backup of a {made} database, and this site's database "
            f"(DATABASE_URL) is {here}: a {made} backup restores into {made} only (a "
            "PostgreSQL dump cannot be restored into SQLite, nor a SQLite backup into "
            "PostgreSQL). Moving a site from one engine to the other is not something backup "
            f"and restore do. {_NOTHING_RESTORED}"
        )


def postgresql_load(
    connection: BaseDatabaseWrapper,
    dump_path: Path,
    *,
    manifest: Mapping[str, Any],
    pg_restore: str,
    target: PgTarget,
    clean: bool,
) -> None:
    connection.close()
    try:
        _run(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                # One transaction: a restore that fails leaves the database as it was.
                "--single-transaction",
                *(["--clean", "--if-exists"] if clean else []),
                *target.args,
                str(dump_path),
            ],
            env=target.env,
            tool="pg_restore",
        )
    except BackupError as error:
        made_by = manifest.get("database", {}).get("pg_dump_version", "")
        restore_version = tool_version(pg_restore)
        if made_by and major(made_by) > major(restore_version):
            raise BackupError(
                f"{error}\nThis backup was made by pg_dump {made_by}; pg_restore "
                f"{restore_version} may not read it: install "
                f"{CLIENT_PACKAGE}-{major(made_by)} or newer."
            ) from None
        raise


def restore_from_path(
    path: Path,
    *,
    force: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    storage: Storage | None = None,
) -> RestoreResult:
    """Restore the database and the media of an archive into the configured site.

    Everything that can refuse the archive runs before the database or a media file is
    touched: a refused restore changes nothing.
    """
    storage = storage or default_storage
    tar, manifest = archive_open(path)
    media_sha256: dict[str, str] = manifest["media_sha256"]
    with tar:
        connection = connections[using]
        require_supported_engine(connection, command="restore")
        require_same_engine(connection, manifest, path=path)
        on_sqlite = connection.vendor == "sqlite"
        if on_sqlite:
            location = sqlite_location(connection)
            label = _sqlite_label(location)
            # The checked copy waits beside the database: on the disk the restored database
            # must fit on, in a directory SQLite already writes its journal in.
            workdir = location.parent if location is not None else None
            if workdir is not None and not workdir.is_dir():
                raise BackupError(
                    f"The directory {workdir} of the SQLite database does not exist: create "
                    "it first, or correct DATABASE_URL."
                )
        else:
            pg_restore = require_tool("pg_restore")
            target = pg_target(connection.settings_dict)
            require_server(connection, target)
            label, workdir = target.label, None
        if connection.in_atomic_block:
            raise BackupError("restore cannot run inside a transaction.")

        state: DatabaseState
        if on_sqlite and location is not None and not location.exists():
            # Connecting would create the file: a refused restore leaves none behind.
            state = "empty"
        else:
            state = database_state(connection)
        if state == "has-data" and not force:
            raise BackupError(
                f"The database {label} already holds Pressimus content. Restoring "
                "would replace all of it with the backup: run restore again with --force to "
                "do that, or point DATABASE_URL at a new, empty database."
            )
        if not force:
            conflicts = _media_conflicts(tar, storage, media_sha256)
            if conflicts:
                shown = ", ".join(conflicts[:5]) + (" …" if len(conflicts) > 5 else "")
                raise BackupError(
                    f"{len(conflicts)} media file(s) of the backup already exist with other "
                    f"content ({shown}): run restore again with --force to overwrite them."
                )

        try:
            work = tempfile.TemporaryDirectory(prefix=".pressimus-restore-", dir=workdir)
        except OSError as error:
            raise BackupError(f"Cannot write the restored database: {error}") from None
        with work:
            dump_path = Path(work.name) / database_member(manifest)
            archive_verify(tar, manifest, path=path, dump_path=dump_path)
            if on_sqlite:
                sqlite_check(dump_path, path=path)
                sqlite_load(connection, dump_path, label=label)
                # The whole database makes way for the backup's, whatever it held.
                clean = state != "empty"
            else:
                # A freshly migrated database (the web container migrates as it starts) has
                # every table but no content: its tables make way for the backup's, which is
                # what --clean does; nothing is lost.
                clean = force or state == "tables-without-data"
                postgresql_load(
                    connection,
                    dump_path,
                    manifest=manifest,
                    pg_restore=pg_restore,
                    target=target,
                    clean=clean,
                )

        result = RestoreResult(
            manifest=manifest,
            media=media_restore(tar, storage, sha256=media_sha256, force=force),
            cleaned=clean,
        )

    connection.close()
    result.counts = content_counts(using)
    result.unapplied_migrations = unapplied_migrations(connection)
    # Cached pages are keyed on per-stream versions that the restored rows know nothing of.
    try:
        cache.clear()
    except Exception as error:  # an unreachable cache must not hide a finished restore
        result.cache_error = str(error) or type(error).__name__
    return result
