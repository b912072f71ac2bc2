"""Back up the database and every media file into one tar archive."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pressimus.lib import backup


class Command(BaseCommand):
    help = (
        "Write one tar archive holding the database (a pg_dump on PostgreSQL, a copy made with "
        "SQLite's online backup API on SQLite, both while the site runs), every file of the "
        "media storage and a manifest.json of checksums. Restore it with: manage.py restore "
        "PATH."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            metavar="PATH",
            help="The archive to write (default: pressimus-backup-YYYYmmdd-HHMMSS.tar, UTC, in "
            "the current directory; a directory puts that name there; '-' writes to stdout).",
        )

    def handle(self, *args, output: str | None, **options) -> None:
        started = time.monotonic()
        try:
            if output == "-":
                result = backup.backup_write(sys.stdout.buffer)
                sys.stdout.buffer.flush()
                destination = None
            else:
                destination = Path(output) if output else Path(backup.default_backup_name())
                if destination.is_dir():
                    destination = destination / backup.default_backup_name()
                result = backup.backup_to_path(destination)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None

        counts = result.manifest["counts"]
        size = f", {destination.stat().st_size / 1_000_000:.1f} MB" if destination else ""
        summary = (
            f"Backed up {counts['entries']} entries in {counts['streams']} streams and "
            f"{result.manifest['media_files']} media files "
            f"to {destination or 'stdout'}{size} in {time.monotonic() - started:.1f} s."
        )
        # With --output - the archive owns stdout.
        (self.stderr if destination is None else self.stdout).write(self.style.SUCCESS(summary))
        if result.media_gone:
            self.stderr.write(
                self.style.WARNING(
                    f"{result.media_gone} media file(s) disappeared while the backup ran "
                    "(deleted meanwhile): entries restored from it may miss those images."
                )
            )
