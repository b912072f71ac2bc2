"""Mail through the task queue: written to the outbox with the change that calls for it, then
delivered by a task, at most once.

Delivery claims the mail (queued → sending) in one conditional UPDATE before talking to the
mail server, and records the outcome after: a retry, a duplicate job or a second worker finds
it claimed or sent and sends nothing. A worker killed while the server is answering leaves
the mail "sending" for good: it is never sent twice, at the price of (very rarely) never.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F
from django.utils import timezone

from notifications.models import OutgoingMail
from notifications.queue import MAX_ATTEMPTS, can_defer, enqueue_with_transaction, retried

logger = logging.getLogger(__name__)

# The longest address list we keep; our mails go to one person each.
_TO_MAX = OutgoingMail._meta.get_field("to").max_length


def _html_of(message: EmailMessage) -> str:
    for content, mimetype in getattr(message, "alternatives", None) or []:
        if mimetype == "text/html":
            return str(content)
    return ""


def mail_queue(
    message: EmailMessage, *, purpose: str, key: str | None = None, user=None
) -> OutgoingMail:
    """Put ``message`` in the outbox; a task delivers it once the current transaction commits.

    A second call with the same ``key`` finds the first mail and queues nothing. Without a
    key, every call is a mail of its own.
    """
    to = ", ".join(message.to)
    if len(to) > _TO_MAX:
        raise ValueError(f"Too many recipients for one mail: {to[:80]}…")
    mail, created = OutgoingMail.objects.get_or_create(
        key=key or f"once:{uuid.uuid4().hex}",
        defaults={
            "purpose": purpose[:300],
            "user": user,
            "from_email": message.from_email or settings.DEFAULT_FROM_EMAIL,
            "to": to,
            "subject": str(message.subject),
            "text": str(message.body),
            "html": _html_of(message),
            "headers": {name: str(value) for name, value in message.extra_headers.items()},
        },
    )
    if created:
        enqueue_with_transaction(mail_deliver, mail.pk)
    return mail


def _give_up(mail_id: int) -> None:
    # One-time links in a mail that will never go out are no use to anyone.
    OutgoingMail.objects.filter(pk=mail_id).exclude(status=OutgoingMail.Status.SENT).update(
        status=OutgoingMail.Status.FAILED, text="", html=""
    )


@retried(on_give_up=_give_up)
def mail_deliver(mail_id: int) -> None:
    """Send the outbox's mail ``mail_id`` unless it is sent, being sent, or gone."""
    claimed = OutgoingMail.objects.filter(pk=mail_id, status=OutgoingMail.Status.QUEUED).update(
        status=OutgoingMail.Status.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return
    mail = OutgoingMail.objects.get(pk=mail_id)
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=mail.from_email,
        to=mail.to.split(", "),
        headers=mail.headers,
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception as error:
        # Back in the queue for the retry to claim (or for _give_up to close).
        OutgoingMail.objects.filter(pk=mail_id).update(
            status=OutgoingMail.Status.QUEUED, last_error=repr(error)[:500]
        )
        retrying = mail.attempts < MAX_ATTEMPTS and can_defer()
        logger.warning(
            "Could not %s (try %d of %d%s): %r",
            mail.purpose,
            mail.attempts,
            MAX_ATTEMPTS,
            ", will try again" if retrying else "",
            error,
        )
        raise
    OutgoingMail.objects.filter(pk=mail_id).update(
        status=OutgoingMail.Status.SENT, sent_at=timezone.now(), text="", html="", last_error=""
    )


class QueuedEmailBackend(BaseEmailBackend):
    """A mail "connection" whose sending puts each message in the outbox.

    Given to messages that a library renders and sends itself (django-allauth), so that
    they too leave the request for the task queue.
    """

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            mail_queue(message, purpose=f"send “{message.subject}” to {', '.join(message.to)}")
        return len(email_messages)
