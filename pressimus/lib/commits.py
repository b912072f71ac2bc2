"""Work gathered during a transaction and done once after it commits.

Saving an entry in the admin saves it, each block and each byline: each change adds a lookup
(a callable that finds the ids concerned) under a name, and asks for a drain after commit; the
first drain of a commit takes every lookup of that name at once and the others find nothing
left. A lookup added in a transaction that rolled back is taken with the next commit: the work
is done once more, never missed. live.versions (stream versions) and streams.search (search
documents) both gather this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

Lookup = Callable[[], Iterable[int | None]]


def _pending(name: str) -> list[Lookup]:
    # Kept on the database connection, hence per thread: threads never drain each other's.
    connection = transaction.get_connection()
    if not hasattr(connection, name):
        setattr(connection, name, [])
    return getattr(connection, name)


def gather(name: str, lookup: Lookup) -> None:
    """Add ``lookup`` to the work waiting under ``name``."""
    _pending(name).append(lookup)


def take_ids(name: str) -> set[int] | None:
    """Every id the waiting lookups of ``name`` find now, once (those gone are left out); None
    when nothing was waiting."""
    lookups = _pending(name)
    if not lookups:
        return None
    taken = lookups[:]
    lookups.clear()
    return {pk for lookup in taken for pk in lookup() if pk is not None}
