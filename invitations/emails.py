"""The one function that sends our e-mails: a subject, a text body and an HTML body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send(template_prefix: str, to: str | Sequence[str], context: dict[str, Any]) -> None:
    """Render ``<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html`` and send them.

    Errors of the mail backend propagate: callers decide whether a failed send undoes
    their work (an invitation) or is only logged (an acknowledgement).
    """
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
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
