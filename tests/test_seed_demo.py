from __future__ import annotations

import unicodedata
from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Profile, User
from streams.models import Block, Byline, Entry, Follow, Membership, Publisher, Source, Stream

PASSWORD = "pressimus-demo"
DEMO_EMAILS = [
    "admin@pressimus.test",
    "staff@pressimus.test",
    "editor@pressimus.test",
    "editor2@pressimus.test",
    "writer@pressimus.test",
    "reader@pressimus.test",
]
MODELS = [
    User,
    Profile,
    EmailAddress,
    Publisher,
    Membership,
    Source,
    Stream,
    Entry,
    Block,
    Byline,
    Follow,
]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> dict[str, list[dict]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


@pytest.mark.django_db
def test_demo_accounts_sign_in_with_the_demo_password():
    seed()
    for email in DEMO_EMAILS:
        user = authenticate(username=email, password=PASSWORD)
        assert user is not None, email
        assert user.profile.handle
    assert User.objects.get(email="admin@pressimus.test").is_superuser
    staff = User.objects.get(email="staff@pressimus.test")
    assert staff.is_staff and not staff.is_superuser
    assert not User.objects.get(email="reader@pressimus.test").is_staff


@pytest.mark.django_db
def test_every_demo_account_has_its_address_verified_so_it_can_sign_in():
    seed()
    for email in DEMO_EMAILS:
        address = EmailAddress.objects.get(user__email=email)
        assert (address.email, address.verified, address.primary) == (email, True, True)


@pytest.mark.django_db
def test_demo_keeps_an_address_that_is_already_verified_and_verifies_one_that_is_not():
    seed()
    EmailAddress.objects.filter(email="reader@pressimus.test").update(verified=False)

    seed()

    assert EmailAddress.objects.filter(email="reader@pressimus.test", verified=True).count() == 1
    assert EmailAddress.objects.count() == len(DEMO_EMAILS)


@pytest.mark.django_db
def test_demo_staff_joins_the_reviewers_group_when_it_exists():
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")

    seed()
    seed()

    assert list(reviewers.user_set.values_list("email", flat=True)) == ["staff@pressimus.test"]


@pytest.mark.django_db
def test_demo_runs_without_a_reviewers_group():
    Group.objects.filter(name="Reviewers").delete()

    seed()

    assert not User.objects.get(email="staff@pressimus.test").groups.exists()


@pytest.mark.django_db
def test_demo_reader_follows_a_stream_and_a_publisher_and_sees_their_entries():
    seed()
    reader = User.objects.get(email="reader@pressimus.test")

    follows = Follow.objects.filter(user=reader)

    assert follows.filter(stream__slug="duma-budget-debate-live").exists()
    assert follows.filter(publisher__slug="harbour-light").exists()
    assert follows.count() == 2
    assert Entry.objects.listed_for(reader).followed_by(reader).count() >= 10


@pytest.mark.django_db
def test_demo_has_a_members_only_stream_that_anonymous_readers_cannot_list():
    seed()
    briefing = Stream.objects.members_only().get()
    reader = User.objects.get(email="reader@pressimus.test")

    assert briefing.entries.published().count() >= 3
    assert not Entry.objects.listed_for(None).filter(stream=briefing).exists()
    assert Entry.objects.listed_for(reader).filter(stream=briefing).exists()


@pytest.mark.django_db
def test_demo_editors_and_writer_belong_to_their_publishers():
    seed()
    roles = {
        (m.user.email, m.publisher.slug, m.role)
        for m in Membership.objects.select_related("user", "publisher")
    }
    first, second = (p.slug for p in Publisher.objects.order_by("pk"))
    assert roles == {
        ("editor@pressimus.test", first, Membership.Role.EDITOR),
        ("writer@pressimus.test", first, Membership.Role.WRITER),
        ("editor2@pressimus.test", second, Membership.Role.EDITOR),
    }
    assert first == "translators-desk"
    assert User.objects.filter(memberships__isnull=False, is_staff=False).count() == 0


@pytest.mark.django_db
def test_demo_fills_publishers_streams_entries_and_sources():
    output = seed()

    assert Publisher.objects.count() == 2
    assert Stream.objects.public().count() == Stream.objects.count() - 1 >= 3
    assert Stream.objects.members_only().count() == 1
    assert Stream.objects.filter(status=Stream.Status.LIVE).exists()
    ended = Stream.objects.filter(status=Stream.Status.ENDED, ended_at__isnull=False)
    assert ended.exists()
    assert Entry.objects.published().count() == Entry.objects.count() >= 25
    assert Entry.objects.exclude(title="").count() == Entry.objects.count()
    assert 1 <= Entry.objects.filter(pinned=True).count() <= 2
    corrected = Entry.objects.exclude(correction_note="")
    assert corrected.exists()
    assert not corrected.filter(updated_at__isnull=True).exists()
    assert Source.objects.values("kind").distinct().count() >= 5
    assert Stream.objects.filter(last_published_at__isnull=True).count() == 0
    assert "pressimus-demo" in output
    assert "editor2@pressimus.test" in output


@pytest.mark.django_db
def test_every_demo_entry_has_text_a_quote_and_a_byline():
    seed()
    entries = Entry.objects.annotate(
        texts=Count("blocks", filter=Q(blocks__kind=Block.Kind.TEXT), distinct=True),
        quotes=Count("blocks", filter=Q(blocks__kind=Block.Kind.QUOTE), distinct=True),
        writers=Count("bylines", distinct=True),
    )
    assert not entries.filter(Q(texts=0) | Q(quotes=0) | Q(writers=0)).exists()
    assert not Block.objects.filter(kind=Block.Kind.QUOTE, source__isnull=True).exists()
    assert Byline.objects.filter(profile__isnull=False).exists()
    assert Byline.objects.filter(profile__isnull=True).exclude(name="").exists()


@pytest.mark.django_db
def test_demo_has_translated_quotes_beside_their_original():
    seed()
    translated = Block.objects.filter(kind=Block.Kind.QUOTE).exclude(original="")
    assert translated.count() >= 2
    assert {"ru", "ar"} <= set(translated.values_list("original_language", flat=True))
    russian = translated.filter(original_language="ru").first()
    assert "<p>" in russian.original
    assert any(unicodedata.name(ch, "").startswith("CYRILLIC") for ch in russian.original)
    assert russian.body != russian.original


@pytest.mark.django_db
def test_demo_has_an_old_stream_and_one_updated_within_the_last_hour():
    seed()
    now = timezone.now()
    newest = Stream.objects.order_by("-last_published_at").first()
    oldest = Stream.objects.order_by("last_published_at").first()
    assert now - newest.last_published_at < timedelta(hours=1)
    assert now - oldest.last_published_at > timedelta(days=365 * 2)


@pytest.mark.django_db
def test_running_the_demo_twice_changes_nothing():
    seed()
    before = snapshot()

    output = seed()

    assert snapshot() == before
    assert "(0 new)" in output


@pytest.mark.django_db
def test_demo_keeps_a_password_the_user_changed():
    seed()
    user = User.objects.get(email="reader@pressimus.test")
    user.set_password("my-own-password-1")
    user.save()

    seed()

    assert authenticate(username="reader@pressimus.test", password="my-own-password-1")


def big_stream_entries(slug: str = "big"):
    return Entry.objects.filter(stream__slug=slug).annotate(
        texts=Count("blocks", filter=Q(blocks__kind=Block.Kind.TEXT), distinct=True),
        quotes=Count("blocks", filter=Q(blocks__kind=Block.Kind.QUOTE), distinct=True),
        writers=Count("bylines", distinct=True),
    )


@pytest.mark.django_db
def test_entries_option_fills_a_public_live_stream():
    seed("--entries", "250", "--stream", "big")

    stream = Stream.objects.get(slug="big")
    assert stream.status == Stream.Status.LIVE
    assert stream.visibility == Stream.Visibility.PUBLIC
    assert stream.publisher.slug == "translators-desk"
    entries = big_stream_entries()
    assert entries.published().count() == entries.count() == 250
    assert not entries.filter(Q(texts=0) | Q(quotes=0) | Q(writers=0)).exists()
    times = list(entries.values_list("published_at", flat=True))
    assert len(set(times)) == 250
    assert stream.last_published_at == max(times)


@pytest.mark.django_db
def test_entries_option_tops_up_with_newer_entries():
    seed("--entries", "250", "--stream", "big")
    newest = Entry.objects.filter(stream__slug="big").latest("published_at").published_at

    seed("--entries", "300", "--stream", "big")

    entries = big_stream_entries()
    assert entries.published().count() == 300
    assert entries.filter(published_at__gt=newest).count() == 50
    assert len(set(entries.values_list("published_at", flat=True))) == 300
    assert not entries.filter(Q(texts=0) | Q(quotes=0) | Q(writers=0)).exists()


@pytest.mark.django_db
def test_entries_option_adds_nothing_when_the_stream_is_full():
    seed("--entries", "20", "--stream", "big")

    output = seed("--entries", "10", "--stream", "big")

    assert Entry.objects.filter(stream__slug="big").count() == 20
    assert "already has 20" in output


@pytest.mark.django_db
def test_entries_option_tops_up_a_demo_stream_and_bylines_demo_writers():
    seed()
    demo_entries = Entry.objects.filter(stream__slug="duma-budget-debate-live").count()

    seed("--entries", str(demo_entries + 10), "--stream", "duma-budget-debate-live")

    assert Entry.objects.filter(stream__slug="duma-budget-debate-live").count() == demo_entries + 10
    assert Byline.objects.filter(
        entry__stream__slug="duma-budget-debate-live", profile__isnull=False
    ).exists()
    assert Source.objects.count() == len({*Source.objects.values_list("slug", flat=True)})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--entries", "10"], "--entries needs --stream"),
        (["--stream", "big"], "--stream needs --entries"),
        (["--entries", "-1", "--stream", "big"], "0 or more"),
        (["--entries", "10", "--stream", "not a slug"], "is not a slug"),
    ],
)
@pytest.mark.django_db
def test_bad_arguments_are_refused_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        seed(*args)
    assert not Stream.objects.exists()
