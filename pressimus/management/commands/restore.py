"""Restore a backup archive made by manage.py backup into the configured site."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pressimus.lib import backup


class Command(BaseCommand):
    help = (
        "Restore the database and the media files of an archive made by manage.py backup. "
        "Checks every file against the checksums in the archive's manifest, and every image "
        "by decoding it, before changing anything; refuses an archive without checksums. "
        "Refuses a database that already holds content unless --force, and an archive made on "
        "the other database engine (PostgreSQL or SQLite)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", metavar="PATH", help="The .tar archive made by backup ('-' reads stdin)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the content of a database that has some (on PostgreSQL pg_restore "
            "--clean; on SQLite the whole database) and overwrite media files of the same name.",
        )

    def handle(self, *args, path: str, force: bool, **options) -> None:
        started = time.monotonic()
        try:
            if path == "-":
                # Restore reads the archive twice (checks, then content): stdin is kept first.
                with tempfile.TemporaryDirectory(prefix=".pressimus-restore-") as work:
                    spooled = Path(work) / "stdin.tar"
                    with spooled.open("wb") as archive:
                        shutil.copyfileobj(sys.stdin.buffer, archive, 1024 * 1024)
                    result = backup.restore_from_path(spooled, force=force)
            else:
                result = backup.restore_from_path(Path(path), force=force)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None

        counts, expected = result.counts, result.manifest.get("counts", {})
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {counts['entries']} entries in {counts['streams']} streams and "
                f"{result.media.written} media files ({result.media.identical} already there "
                f"and identical) from {path}, made {result.manifest.get('created_at')}, in "
                f"{time.monotonic() - started:.1f} s."
            )
        )
        if any(counts.get(key) != value for key, value in expected.items()):
            self.stderr.write(
                self.style.WARNING(f"The backup's manifest counted {expected}, found {counts}.")
            )
        for renamed in result.media.renamed:
            self.stderr.write(self.style.WARNING(f"The storage renamed a media file: {renamed}"))
        if result.cache_error:
            self.stderr.write(
                self.style.WARNING(
                    f"The cache could not be cleared ({result.cache_error}): clear it by hand "
                    "(e.g. redis-cli FLUSHDB) so readers are not served pages from before."
                )
            )
        if result.unapplied_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup predates {result.unapplied_migrations} migration(s) of this "
                    "code: run python manage.py migrate next."
                )
            )
