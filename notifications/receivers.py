"""Where notifications hear of changes in streams: signal receivers that only pass them on.

``streams`` knows nothing of alerts. An entry saved pinned may be a key event: the receiver
hands it to ``notifications.alerts``, which looks again after commit, in a task. Writes
that send no signal (queryset ``update()``, ``bulk_create``) announce nothing: the services
that publish and pin entries all save them.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from notifications import alerts
from streams.models import Entry


@receiver(post_save, sender=Entry, dispatch_uid="notifications_entry_saved")
def _entry_saved(sender, instance: Entry, **kwargs) -> None:
    alerts.key_event_noticed(instance)
