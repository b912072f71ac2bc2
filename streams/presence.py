"""Who has an entry open in the back office right now (the desk or the change form).

Each open page says so every ``PRESENCE_BEAT_S`` seconds; a person counts as present until
``PRESENCE_TTL_S`` after their last word, so a closed laptop drops out on its own. Kept in
the cache, shared by every web process. Two beats landing at the same instant may each
rewrite the list without the other's; the next beat, seconds later, puts it back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

PRESENCE_BEAT_S = 15
PRESENCE_TTL_S = 45


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    editing: bool


def _key(entry_id: int) -> str:
    return f"presence:entry:{entry_id}"


def _display_name(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.display_name if profile else user.email


def presence_note(
    *, entry_id: int, user, editing: bool = True, leaving: bool = False
) -> list[Presence]:
    """Record that ``user`` has the entry open (or has just left it); the others who do."""
    now = time.time()
    found = cache.get(_key(entry_id)) or {}
    present = {uid: seen for uid, seen in found.items() if seen["until"] > now}
    if leaving:
        present.pop(user.pk, None)
    else:
        present[user.pk] = {
            "name": _display_name(user),
            "editing": editing,
            "until": now + PRESENCE_TTL_S,
        }
    cache.set(_key(entry_id), present, PRESENCE_TTL_S)
    return [
        Presence(user_id=uid, name=seen["name"], editing=seen["editing"])
        for uid, seen in sorted(present.items(), key=lambda item: item[1]["name"])
        if uid != user.pk
    ]


def present_on(entry_id: int) -> list[Presence]:
    """Everyone who has the entry open now."""
    now = time.time()
    found = cache.get(_key(entry_id)) or {}
    return [
        Presence(user_id=uid, name=seen["name"], editing=seen["editing"])
        for uid, seen in sorted(found.items(), key=lambda item: item[1]["name"])
        if seen["until"] > now
    ]
