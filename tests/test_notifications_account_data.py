"""accounts.services with alerts: the export carries each follow's alert choice; deleting an
account removes its alert choices, key-event mailings and mail."""

from __future__ import annotations

import pytest

from accounts.services import account_delete, account_export
from notifications.mail import mail_queue
from notifications.models import AlertChoice, AlertSetting, KeyEventMailing, OutgoingMail
from notifications.services import follow_alerts_set
from streams.services import follow_toggle


@pytest.fixture
def follows(member, stream_a, publisher_b):
    follow_toggle(user=member, stream=stream_a, follow=True)
    follow_toggle(user=member, publisher=publisher_b, follow=True)
    follow_alerts_set(follow=member.follows.get(publisher=publisher_b), choice=AlertChoice.DAILY)


def test_the_export_has_the_alert_choice_of_each_follow(member, follows):
    data = account_export(user=member, site_url="https://pressimus.example")

    assert sorted((f["stream"] or f["publisher"], f["email_alerts"]) for f in data["follows"]) == [
        ("Harbour Light", "daily"),
        ("Syria: December 23", "key_events"),
    ]


def test_deleting_the_account_removes_its_alert_records(member, follows, stream_a, settings):
    from django.core.mail import EmailMessage

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    KeyEventMailing.objects.create(user=member, stream=stream_a)
    mail_queue(EmailMessage("To the account", "", to=[member.email]), purpose="test", user=member)
    # allauth's mail knows only the address.
    mail_queue(EmailMessage("To the address", "", to=[member.email.upper()]), purpose="test")
    mail_queue(EmailMessage("To someone else", "", to=["other@example.org"]), purpose="test")

    account_delete(user=member)

    assert not AlertSetting.objects.exists()
    assert not KeyEventMailing.objects.exists()
    assert list(OutgoingMail.objects.values_list("subject", flat=True)) == ["To someone else"]
