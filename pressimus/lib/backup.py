"""Backups of a Pressimus site: the PostgreSQL database and every media file in one tar.

An archive holds, in this order:

- ``manifest.json``: the format version, when and from what it was made (migrations,
  counts, PostgreSQL and pg_dump versions) and the dump's checksum;
- ``database.dump``: ``pg_dump --format=custom --no-owner --no-privileges``;
- ``media/<name>``: each file of the default storage.

Media are read and written through ``default_storage`` only, so one archive moves between
the filesystem storage and object storage without change.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from django.apps import apps
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_DUMP = "database.dump"
MEDIA_PREFIX = "media/"
# The apps whose rows are the site's content: a database holding any of them is not empty.
CONTENT_APPS = ("accounts", "streams", "invitations")
CLIENT_PACKAGE = "postgresql-client"
_CHUNK = 1024 * 1024

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
class BackupResult:
    manifest: dict[str, Any]
    # Files listed but deleted before they could be read (replaced images).
    media_gone: int = 0


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


def require_postgresql(connection: BaseDatabaseWrapper, *, command: str) -> None:
    if connection.vendor != "postgresql":
        if command == "backup":
            advice = "copy the db file and the media directory"
        else:
            advice = "copy the db file and the media directory back"
        raise BackupError(
            f"{command} needs PostgreSQL; on {connection.display_name} {advice} "
            "(with the site stopped)."
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
    applied = set(MigrationRecorder(connection).applied_migrations())
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    leaves: dict[str, list[str]] = {}
    for app_label, name in sorted(applied):
        node = graph.node_map.get((app_label, name))
        children = node.children if node is not None else set()
        if not any(child in applied and child[0] == app_label for child in children):
            leaves.setdefault(app_label, []).append(name)
    return leaves


def content_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    models = {
        "publishers": ("streams", "Publisher"),
        "streams": ("streams", "Stream"),
        "entries": ("streams", "Entry"),
        "blocks": ("streams", "Block"),
        "sources": ("streams", "Source"),
        "users": ("accounts", "User"),
    }
    return {
        key: apps.get_model(app_label, model).objects.using(using).count()
        for key, (app_label, model) in models.items()
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


def _same_content(
    storage: Storage, name: str, tar: tarfile.TarFile, member: tarfile.TarInfo
) -> bool:
    if storage.size(name) != member.size:
        return False
    with storage.open(name, "rb") as stored:
        return _digest(stored) == _digest(_extract(tar, member))


def media_add(tar: tarfile.TarFile, storage: Storage, names: list[str], *, mtime: float) -> int:
    """Add each file to the archive under media/; returns how many had gone meanwhile."""
    missing = 0
    for name in names:
        try:
            stored = storage.open(name, "rb")
        except FileNotFoundError:
            # Deleted since it was listed (a replaced image goes once its edit commits).
            missing += 1
            continue
        with stored:
            info = tarfile.TarInfo(MEDIA_PREFIX + name)
            info.size = stored.size
            info.mtime = int(mtime)
            info.mode = 0o644
            tar.addfile(info, stored)
    return missing


def media_restore(tar: tarfile.TarFile, storage: Storage, *, force: bool) -> MediaRestored:
    """Write every media file of the archive through ``storage``, under its own name."""
    restored = MediaRestored()
    for name, member in _media_members(tar):
        if storage.exists(name):
            if not force and _same_content(storage, name, tar, member):
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


def backup_write(
    output: IO[bytes],
    *,
    workdir: Path | None = None,
    using: str = DEFAULT_DB_ALIAS,
    storage: Storage | None = None,
) -> BackupResult:
    """Write a whole backup archive to ``output`` (a file or a pipe); returns its manifest.

    The dump waits in ``workdir`` (a temporary directory by default) while the archive is
    written: a tar member's size comes before its bytes.
    """
    storage = storage or default_storage
    connection = connections[using]
    require_postgresql(connection, command="backup")
    pg_dump = require_tool("pg_dump")
    target = pg_target(connection.settings_dict)
    server_major = require_server(connection, target)
    dump_version = tool_version(pg_dump)
    require_dump_can_read_server(dump_version, server_major)
    if connection.in_atomic_block:
        raise BackupError("backup cannot run inside a transaction: its dump would not see it.")

    created = timezone.now()
    with tempfile.TemporaryDirectory(prefix=".pressimus-backup-", dir=workdir) as work:
        dump_path = Path(work) / DATABASE_DUMP
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
        # Listed after the snapshot: uploads are stored before their rows commit, so every
        # file the dump refers to is already there.
        media = list(storage_files(storage))
        with dump_path.open("rb") as dump:
            dump_sha256 = _digest(dump)
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": created.isoformat(),
            "database": {
                "vendor": connection.vendor,
                "server_version": ".".join(map(str, divmod(connection.pg_version, 10000))),
                "pg_dump_version": dump_version,
                "dump_sha256": dump_sha256,
                "dump_bytes": dump_path.stat().st_size,
            },
            "migrations": migrations,
            "counts": counts,
            "media_files": len(media),
        }
        mtime = created.timestamp()
        with tarfile.open(fileobj=output, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode(), mtime)
            info = tar.gettarinfo(str(dump_path), arcname=DATABASE_DUMP)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with dump_path.open("rb") as dump:
                tar.addfile(info, dump)
            missing = media_add(tar, storage, media, mtime=mtime)
    return BackupResult(manifest=manifest, media_gone=missing)


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


def archive_open(path: Path) -> tuple[tarfile.TarFile, dict[str, Any]]:
    """Open a backup archive and check its manifest; the caller closes the tar."""
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
            members = {member.name: member for member in tar.getmembers()}
        except (tarfile.TarError, EOFError, OSError) as error:
            raise BackupError(f"{unreadable}: {error}") from None
        if MANIFEST not in members:
            raise BackupError(f"{path} is not a Pressimus backup: it has no {MANIFEST}.")
        try:
            manifest = json.load(_extract(tar, members[MANIFEST]))
        except (ValueError, UnicodeDecodeError, tarfile.TarError, OSError) as error:
            raise BackupError(f"The {MANIFEST} of {path} is damaged: {error}") from None
        version = manifest.get("format_version") if isinstance(manifest, dict) else None
        if version != FORMAT_VERSION:
            raise BackupError(
                f"{path} is a backup of format {version!r}, which this version of Pressimus "
                f"does not know (it reads format {FORMAT_VERSION}): restore it with the "
                "version that made it."
            )
        if DATABASE_DUMP not in members:
            raise BackupError(f"{path} is damaged: it has no {DATABASE_DUMP}.")
        for member in members.values():
            _safe_media_name(member)
    except BaseException:
        tar.close()
        raise
    return tar, manifest


def _media_members(tar: tarfile.TarFile) -> list[tuple[str, tarfile.TarInfo]]:
    found = []
    for member in tar.getmembers():
        name = _safe_media_name(member)
        if name is not None:
            found.append((name, member))
    return found


def _media_conflicts(tar: tarfile.TarFile, storage: Storage) -> list[str]:
    return [
        name
        for name, member in _media_members(tar)
        if storage.exists(name) and not _same_content(storage, name, tar, member)
    ]


def restore_from_path(
    path: Path,
    *,
    force: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    storage: Storage | None = None,
) -> RestoreResult:
    """Restore the database and the media of an archive into the configured site."""
    storage = storage or default_storage
    tar, manifest = archive_open(path)
    with tar:
        connection = connections[using]
        require_postgresql(connection, command="restore")
        pg_restore = require_tool("pg_restore")
        target = pg_target(connection.settings_dict)
        require_server(connection, target)
        if connection.in_atomic_block:
            raise BackupError("restore cannot run inside a transaction.")

        state = database_state(connection)
        if state == "has-data" and not force:
            raise BackupError(
                f"The database {target.label} already holds Pressimus content. Restoring "
                "would replace all of it with the backup: run restore again with --force to "
                "do that, or point DATABASE_URL at a new, empty database."
            )
        if not force:
            conflicts = _media_conflicts(tar, storage)
            if conflicts:
                shown = ", ".join(conflicts[:5]) + (" …" if len(conflicts) > 5 else "")
                raise BackupError(
                    f"{len(conflicts)} media file(s) of the backup already exist with other "
                    f"content ({shown}): run restore again with --force to overwrite them."
                )

        # A freshly migrated database (the web container migrates as it starts) has every
        # table but no content: its tables make way for the backup's, which is what --clean
        # does; nothing is lost.
        clean = force or state == "tables-without-data"
        with tempfile.TemporaryDirectory(prefix=".pressimus-restore-") as work:
            dump_path = Path(work) / DATABASE_DUMP
            try:
                with dump_path.open("wb") as dump:
                    shutil.copyfileobj(_extract(tar, tar.getmember(DATABASE_DUMP)), dump, _CHUNK)
            except (tarfile.TarError, EOFError, OSError) as error:
                raise BackupError(f"{path} is damaged: {error}") from None
            expected = manifest.get("database", {}).get("dump_sha256")
            with dump_path.open("rb") as dump:
                if expected and _digest(dump) != expected:
                    raise BackupError(
                        f"{path} is damaged: its {DATABASE_DUMP} does not match the checksum "
                        "in its manifest. Nothing was restored."
                    )
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

        result = RestoreResult(
            manifest=manifest, media=media_restore(tar, storage, force=force), cleaned=clean
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
