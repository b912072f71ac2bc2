"""Time zones by their tz database names: which exist, and how to offer them."""

from __future__ import annotations

import zoneinfo
from functools import cache, lru_cache

from django.core.exceptions import ValidationError

# Files in some tz databases that are not places anyone lives.
NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


@lru_cache(maxsize=256)
def known_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``, or None for a name that is not one (never an error)."""
    if not name or name in NOT_ZONES:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def validate_time_zone(value: str) -> None:
    if value and value not in _available():
        raise ValidationError(f"“{value}” is not a time zone we know, such as Europe/London.")


@cache
def _available() -> frozenset[str]:
    # available_timezones() walks the tz database on disk: once per process is enough.
    return frozenset(zoneinfo.available_timezones() - NOT_ZONES)


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(_available())]
