from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Profile, User
from streams import demo
from streams.demo import DemoDataError, load_demo
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


# The demo as streams/demo_content.py wrote it before it moved to seed_demo.toml.
DEMO_STREAMS = [
    ("syria-november-9-2015", 10),
    ("duma-budget-debate-live", 9),
    ("arden-valley-floods", 9),
    ("arden-valley-by-election-count", 4),
    ("members-briefing-the-budget-behind-closed-doors", 3),
]
MINISTRY_URL = "https://mil.ru/news/brifing-ob-operatsii-v-sirii-9-noyabrya"
# Cyrillic, as the ministry published it.
MINISTRY_ORIGINAL = (
    "<p>За прошедшие сутки самолёты Су-24М и Су-34 авиагруппы в Сирии выполнили 71 боевой "  # noqa: RUF001
    "вылет и поразили 94 объекта террористической инфраструктуры в провинциях Хама, Идлиб, "
    "Латакия и Алеппо. Удары наносятся только по разведанным целям, удалённым от населённых "
    "пунктов.</p>"
)
KOMMERSANT_CORRECTION = (
    "An earlier version of this entry gave Kommersant's estimate as 1.5 billion roubles a day. "
    "The estimate is 150 million roubles a day: we misplaced a decimal point in translation."
)


def test_the_data_file_holds_the_demo_content():
    content = load_demo()
    now = timezone.now()

    assert content.password == PASSWORD
    assert [spec.email for spec in content.accounts] == DEMO_EMAILS
    assert [spec.slug for spec in content.publishers] == ["translators-desk", "harbour-light"]
    assert len(content.sources) == 16
    assert [(spec.slug, len(spec.entries)) for spec in content.streams] == DEMO_STREAMS
    syria, duma, *_ = content.streams
    assert syria.started(now) == datetime(2015, 11, 9, 5, 45, tzinfo=UTC)
    assert syria.ended(now) == datetime(2015, 11, 9, 23, 45, tzinfo=UTC)
    assert (duma.started(now), duma.ended(now)) == (now - timedelta(hours=14), None)
    assert [entry.minute for entry in duma.entries] == [0, 80, 180, 300, 420, 540, 660, 800, 837]
    quote = syria.entries[1].blocks[1]
    assert (quote.source, quote.cited_url, quote.original_language) == (
        "russian-ministry-of-defence",
        MINISTRY_URL,
        "ru",
    )
    assert quote.original == MINISTRY_ORIGINAL
    kommersant = syria.entries[7]
    assert (kommersant.title, kommersant.correction, kommersant.corrected_after) == (
        "Kommersant Puts a Price on the Campaign",
        KOMMERSANT_CORRECTION,
        45,
    )
    bulk = content.bulk
    assert (len(bulk.titles), len(bulk.texts), len(bulk.quotes), len(bulk.guests)) == (
        11,
        29,
        13,
        5,
    )


@pytest.mark.django_db
def test_demo_writes_the_content_of_the_data_file():
    seed()

    streams = Stream.objects.order_by("pk").annotate(count=Count("entries"))
    assert list(streams.values_list("slug", "count")) == DEMO_STREAMS
    quotes = Block.objects.filter(kind=Block.Kind.QUOTE)
    assert (Block.objects.count(), quotes.count(), quotes.exclude(original="").count()) == (
        89,
        36,
        10,
    )
    assert (Byline.objects.count(), Byline.objects.filter(profile__isnull=True).count()) == (
        42,
        14,
    )
    assert set(Entry.objects.filter(pinned=True).values_list("title", flat=True)) == {
        "Budget Passes Its First Reading",
        "Overnight, the River Peaked Just Below Its 2007 Level",
    }
    ministry = quotes.get(cited_url=MINISTRY_URL)
    assert (ministry.source.name, ministry.original) == (
        "Russian Ministry of Defence",
        MINISTRY_ORIGINAL,
    )
    kommersant = Entry.objects.get(title="Kommersant Puts a Price on the Campaign")
    assert kommersant.correction_note == KOMMERSANT_CORRECTION
    assert kommersant.updated_at == kommersant.published_at + timedelta(minutes=45)
    assert kommersant.published_at == datetime(2015, 11, 9, 15, 5, tzinfo=UTC)


def with_typo(tmp_path, typo: str, written: str):
    """A copy of the demo data file with its first ``typo`` written as ``written``."""
    text = demo.DEMO_FILE.read_text(encoding="utf-8")
    assert typo in text
    path = tmp_path / "seed_demo.toml"
    path.write_text(text.replace(typo, written, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("typo", "written", "message"),
    [
        (
            'source = "kommersant"',
            'source = "komersant"',
            "streams[0] (syria-november-9-2015) > entries[7] (Kommersant Puts a Price on the "
            "Campaign) > blocks[1] > source: 'komersant' is not a source in this file",
        ),
        (
            'cited_url = "https://mil.ru/news/brifing',
            'cited_ulr = "https://mil.ru/news/brifing',
            "streams[0] (syria-november-9-2015) > entries[1] (Defence Ministry Claims 94 Targets "
            "Hit Overnight) > blocks[1]: unknown key 'cited_ulr'",
        ),
        (
            'bylines = ["Daniel Hartley"]',
            'bylines = ["Daniel Hartly"]',
            "> bylines[0]: 'Daniel Hartly' is not an account or a guest writer in this file",
        ),
        (
            'status = "ended"',
            'status = "finished"',
            "streams[0] (syria-november-9-2015) > status: 'finished' is not one of",
        ),
        (
            "started_ago = { hours = 14 }",
            "started_ago = { hour = 14 }",
            "streams[1] (duma-budget-debate-live) > started_ago: unknown unit 'hour'",
        ),
        (
            "minute = 35",
            'minute = "35"',
            "> entries[1] (Defence Ministry Claims 94 Targets Hit Overnight) > minute: should be "
            "a whole number, not the string '35'",
        ),
        (
            'role = "writer"',
            'role = "author"',
            "accounts[4] (writer@pressimus.test) > role: 'author' is not one of 'editor', 'writer'",
        ),
        ("[bulk]", "[bulks]", "top level: unknown key 'bulks'"),
        ('password = "pressimus-demo"', "password = pressimus-demo", "Invalid value (at line"),
    ],
)
def test_a_typo_in_the_data_file_names_the_file_the_place_and_the_problem(
    tmp_path, typo, written, message
):
    path = with_typo(tmp_path, typo, written)

    with pytest.raises(DemoDataError) as raised:
        load_demo(path)

    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


@pytest.mark.django_db
def test_demo_refuses_a_data_file_with_a_typo_and_writes_nothing(tmp_path, monkeypatch):
    path = with_typo(tmp_path, 'kind = "ngo"', 'kind = "charity"')
    monkeypatch.setattr(demo, "DEMO_FILE", path)

    with pytest.raises(CommandError, match=r"sources\[0\] \(amnesty-international\) > kind"):
        seed()
    with pytest.raises(CommandError, match="'charity' is not one of"):
        seed("--entries", "10", "--stream", "big")

    assert not User.objects.exists()
    assert not Stream.objects.exists()
