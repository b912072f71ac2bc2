"""The one place our e-mails are made: a subject, a text body and an HTML body.

``send`` sends one at once, in the caller's process; ``queue`` hands it to the task queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from notifications.mail import mail_queue


def render(
    template_prefix: str,
    to: str | Sequence[str],
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """Render ``<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html`` into a message."""
    recipients = [to] if isinstance(to, str) else list(to)
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}.txt", context)
    html = render_to_string(f"{template_prefix}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        # Tells auto-responders (out of office) not to answer a robot.
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    return message


def send(template_prefix: str, to: str | Sequence[str], context: dict[str, Any]) -> None:
    """Render the e-mail and send it now.

    Errors of the mail backend propagate: callers decide whether a failed send undoes
    their work (an invitation) or is only logged.
    """
    render(template_prefix, to, context).send(fail_silently=False)


def queue(
    template_prefix: str,
    to: str | Sequence[str],
    context: dict[str, Any],
    *,
    key: str,
    purpose: str,
) -> None:
    """Render the e-mail now and have a task deliver it, retried until the server takes it.

    One mail per ``key``, however often this is called; ``purpose`` says what it is for in
    the log ("acknowledge the invitation request of …").
    """
    mail_queue(render(template_prefix, to, context), key=key, purpose=purpose)
