"""Every reader and account page, with content that shows each of their parts, and the people
who visit them: the tour the accessibility checks (tests/browser/test_accessibility.py) and the
HTML checks (tests/test_html_validity.py) both take."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from api.services import api_token_create
from invitations import services as invitation_services
from notifications.links import unsubscribe_url
from pressimus.lib.images import square_renditions
from streams import services
from streams.models import Entry, Follow, Membership, Stream
from tests import factories
from tests.fixtures_invitations import accept_path, make_request
from tests.test_images import encoded, halves

LOGIN = "/accounts/login/"
MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"
REAUTHENTICATE = "/accounts/reauthenticate/"

# Who visits a page, each signed in (or not) as a person gets there.
ANONYMOUS = "anonymous"
MEMBER = "member"  # signed in with a password, and just confirmed it is them again
MEMBER_WITH_2FA = "member with two-factor"  # signed in with a password and a code
SIGNING_IN = "signing in, at the code step"
INVITEE = "invitee, after accepting"
EDITOR = "editor"
VISITORS = (ANONYMOUS, MEMBER, MEMBER_WITH_2FA, SIGNING_IN, INVITEE, EDITOR)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    visitor: str = ANONYMOUS
    status: int = 200
    # A link that leads on to the page (a password reset link): the page is where it ends.
    redirects: bool = False
    # The page's first form sent with its fields empty (in a test client, this data): the
    # page that shows the form's errors.
    sent_empty: dict[str, str] | None = None
    # What a browser does on the page before it is checked (what scripts add to it).
    clicks: tuple[str, ...] = ()
    keys: str = ""

    @property
    def scripted(self) -> bool:
        """Whether the page is a script's work on another page of the tour."""
        return bool(self.clicks or self.keys)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.visitor}, {self.path})"


@dataclass
class Tour:
    pages: list[Page]
    people: dict[str, User]
    totp_secret: str
    accept_path: str
    stream: Stream
    entry: Entry
    admin_forms: list[Page] = field(default_factory=list)

    def client(self, visitor: str) -> Client:
        """A test client signed in (or not) as ``visitor`` is, with the session to show."""
        client = Client()
        if visitor == ANONYMOUS:
            return client
        if visitor == INVITEE:
            response = client.post(self.accept_path)
            assert response.status_code == 302, response.status_code
            return client
        person = self.people[visitor]
        response = client.post(LOGIN, {"login": person.email, "password": factories.PASSWORD})
        assert response.status_code == 302, response.content.decode()
        if visitor == SIGNING_IN:
            return client
        if visitor == MEMBER_WITH_2FA:
            assert response["Location"] == MFA_AUTHENTICATE
            response = client.post(MFA_AUTHENTICATE, {"code": totp_code(self.totp_secret)})
            assert response.status_code == 302, response.content.decode()
        # allauth asks for the password again before changes to two-factor authentication.
        response = client.post(REAUTHENTICATE, {"password": factories.PASSWORD})
        assert response.status_code == 302, response.content.decode()
        return client

    def by_visitor(self) -> dict[str, list[Page]]:
        grouped: dict[str, list[Page]] = {visitor: [] for visitor in VISITORS}
        for page in self.pages:
            grouped[page.visitor].append(page)
        return {visitor: pages for visitor, pages in grouped.items() if pages}


def totp_code(secret: str) -> str:
    counter = int(datetime.now(tz=UTC).timestamp()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def _person(email: str, name: str, handle: str, **fields) -> User:
    user = factories.UserFactory(email=email, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    account_services.profile_update(
        user=user,
        display_name=name,
        handle=handle,
        bio="Translates Russian and Arabic press; reports from Beirut.",
        website="https://example.org/",
        avatar=square_renditions(io.BytesIO(encoded(halves((300, 300)), "PNG"))),
    )
    return user


def _embed(provider: str, url: str, title: str, author_url: str) -> services.EmbedBlock:
    return services.EmbedBlock(
        url=url,
        provider=provider,
        title=title,
        author_name="Amnesty International",
        author_url=author_url,
        player_url=url,
        thumbnail=encoded(halves((480, 270)), "WEBP"),
        thumbnail_width=480,
        thumbnail_height=270,
    )


def seed_tour() -> Tour:
    """A publisher's live stream with every kind of block, a key event and a correction; a
    members-only stream; the people who visit; every page they see, by path."""
    editor = _person("editor@example.org", "James Miller", "james-miller", is_staff=True)
    member = _person("member@example.org", "Mia Member", "mia")
    member_2fa = _person("guarded@example.org", "Gus Guarded", "gus")
    secret = generate_totp_secret()
    TOTP.activate(member_2fa, secret)
    RecoveryCodes.activate(member_2fa)

    publisher = factories.PublisherFactory(
        name="The Interpreter",
        slug="interpreter",
        website="https://www.interpretermag.example/",
    )
    publisher.logo.save("logo.png", ContentFile(encoded(halves((112, 112)), "PNG")))
    Membership.objects.create(publisher=publisher, user=editor, role=Membership.Role.EDITOR)
    stream = factories.StreamFactory(
        publisher=publisher,
        title="Syria: December 23, 2015",
        slug="syria",
        summary="Russian strikes, Amnesty's report and the Geneva talks, as they happen.",
    )
    members_stream = factories.StreamFactory(
        publisher=publisher,
        title="Inside the newsroom",
        slug="newsroom",
        visibility=Stream.Visibility.MEMBERS,
    )
    ended = factories.StreamFactory(
        publisher=publisher, title="Paris climate talks", slug="cop21", status=Stream.Status.ENDED
    )
    amnesty = factories.SourceFactory(
        name="Amnesty International", slug="amnesty", home_page="https://www.amnesty.org/"
    )
    sputnik = factories.SourceFactory(
        name="Sputnik", slug="sputnik", home_page="https://sputniknews.example/"
    )
    editor_profile = editor.profile

    def publish(target, title, *blocks, pinned=False, bylines=(editor_profile,)):
        return services.entry_compose(
            stream=target,
            by=editor,
            action="publish",
            title=title,
            blocks=list(blocks),
            bylines=list(bylines),
            pinned=pinned,
        )

    publish(
        stream,
        "Russia denies striking civilians",
        services.TextBlock("<p>Moscow answered the report within the hour.</p>"),
        services.QuoteBlock(
            source=sputnik,
            body="<p>The ministry called the report <em>fabricated</em>.</p>",
            cited_url="https://sputniknews.example/world/20151223/report.html",
            original="<p>Министерство назвало доклад сфабрикованным.</p>",
            original_language="ru",
        ),
        pinned=True,
    )
    publish(
        stream,
        "",
        services.TextBlock("<p>A picture from Idlib, and the video Amnesty published:</p>"),
        services.ImageBlock(
            alt_text="Rescue workers search the rubble of a market in Idlib",
            caption="The market after the strike.",
            credit="Amnesty International",
            upload=io.BytesIO(encoded(halves((1200, 800)), "JPEG")),
        ),
        _embed(
            "youtube",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "Aleppo: the evacuation convoy reaches the city",
            "https://www.youtube.com/@amnesty",
        ),
        _embed(
            "x",
            "https://x.com/amnesty/status/679679679679679679",
            "Russia's claims that it is not killing civilians are false.",
            "https://x.com/amnesty",
        ),
        bylines=(editor_profile, "Anna Guest"),
    )
    corrected = publish(
        stream,
        "Amnesty International 'Unmasks' Russian Claims That It's Not Killing Civilians",
        services.TextBlock("<p>Russian strikes killed 10 civilians in Idlib.</p>"),
        services.QuoteBlock(
            source=amnesty,
            body="<p>We counted the dead at the market.</p>",
            cited_url="https://www.amnesty.org/en/latest/news/2015/12/syria/",
        ),
    )
    corrected = services.entry_compose(
        stream=stream,
        by=editor,
        action="save",
        entry=corrected,
        expected_revision=corrected.revision,
        title=corrected.title,
        blocks=[
            services.TextBlock("<p>Russian strikes killed 12 civilians in Idlib.</p>"),
            services.QuoteBlock(
                source=amnesty,
                body="<p>We counted the dead at the market.</p>",
                cited_url="https://www.amnesty.org/en/latest/news/2015/12/syria/",
            ),
        ],
        bylines=[editor_profile],
        correction="The toll was 12, not 10.",
    )
    # The desk's queue, drafts and schedule.
    writer = _person("writer@example.org", "Wren Writer", "wren")
    Membership.objects.create(publisher=publisher, user=writer, role=Membership.Role.WRITER)
    services.entry_compose(
        stream=stream,
        by=writer,
        action="submit",
        title="Geneva talks postponed",
        blocks=[services.TextBlock("<p>The talks move to January.</p>")],
        bylines=[writer.profile],
    )
    services.entry_compose(
        stream=stream,
        by=editor,
        action="draft",
        blocks=[services.TextBlock("<p>Waiting for a second source.</p>")],
    )
    services.entry_compose(
        stream=stream,
        by=editor,
        action="schedule",
        title="Morning summary",
        blocks=[services.TextBlock("<p>What happened overnight.</p>")],
        at=datetime.now(tz=UTC) + timedelta(days=1),
    )
    publish(
        members_stream,
        "What we know so far",
        services.TextBlock("<p>Notes for members on how we verify the footage.</p>"),
    )
    factories.EntryFactory(
        stream=ended,
        title="Agreement reached",
        published_at=datetime.now(tz=UTC) - timedelta(days=400),
        quotes=[amnesty],
        bylines=[editor_profile],
    )

    follow = Follow.objects.create(user=member, stream=stream)
    Follow.objects.create(user=member, publisher=publisher)
    api_token_create(user=member, name="My feed reader")

    invitation_services.invitation_approve(
        request=make_request(), reviewer=None, base_url="http://testserver"
    )
    invitation_accept = accept_path(mail.outbox[-1])
    reset_key = default_token_generator.make_token(member)
    reset_link = f"/accounts/password/reset/key/{user_pk_to_url_str(member)}-{reset_key}/"
    unsubscribe = unsubscribe_url(user_id=member.pk, follow_ids=[follow.pk])
    unsubscribe = unsubscribe.split("://", 1)[-1].split("/", 1)[-1]

    entry_path = corrected.get_absolute_url()
    desk = reverse("admin:streams_stream_desk", args=[stream.pk])
    pages = [
        Page("home", "/"),
        Page("about", "/about/"),
        Page("stream", stream.get_absolute_url()),
        Page("stream, with the reading keys shown", stream.get_absolute_url(), keys="?"),
        Page("stream, oldest first", stream.get_absolute_url() + "?order=oldest"),
        Page("stream embedded", reverse("streams:embed", kwargs={"slug": stream.slug})),
        Page("entry", entry_path),
        Page("what changed", entry_path + "changes/"),
        # After another page: a link within the page just loaded would not load it again.
        Page("stream, an entry linked", f"{stream.get_absolute_url()}#entry-{corrected.pk}"),
        Page("publisher", publisher.get_absolute_url()),
        Page("source", amnesty.get_absolute_url()),
        Page("profile", "/people/james-miller/"),
        Page("search", "/search/?q=Russian+strikes"),
        Page("search without results", "/search/?q=nothing-matches-this"),
        Page("search, empty", "/search/"),
        Page("not found", "/no-such-page/", status=404),
        Page("invitation request", "/invitations/request/"),
        Page("invitation request with errors", "/invitations/request/", sent_empty={}),
        Page("invitation request sent", "/invitations/request/sent/"),
        Page("invitation", invitation_accept),
        Page("invitation link unknown", "/invitations/accept/not-a-token/", status=404),
        Page("sign in", LOGIN),
        Page("sign in with errors", LOGIN, sent_empty={}),
        Page("password reset", "/accounts/password/reset/"),
        Page("password reset sent", "/accounts/password/reset/done/"),
        Page("new password", reset_link, redirects=True),
        Page("new password set", "/accounts/password/reset/key/done/"),
        Page("password reset link expired", "/accounts/password/reset/key/1-nope/"),
        Page("unsubscribe", "/" + unsubscribe),
        Page("code at sign-in", MFA_AUTHENTICATE, SIGNING_IN),
        Page("sign up", "/accounts/signup/", INVITEE),
        Page("home of a member", "/", MEMBER),
        Page("account menu", "/settings/", MEMBER, clicks=("[data-account-menu] summary",)),
        Page("stream, as a member", stream.get_absolute_url(), MEMBER),
        Page("members-only stream", members_stream.get_absolute_url(), MEMBER),
        Page("settings", "/settings/", MEMBER),
        Page("settings with errors", "/settings/", MEMBER, sent_empty={"form": "profile"}),
        Page("leave Pressimus", "/settings/delete/", MEMBER),
        Page("e-mail address", "/accounts/email/", MEMBER),
        Page("change password", "/accounts/password/change/", MEMBER),
        Page("sign out", "/accounts/logout/", MEMBER),
        Page("confirm it is you", REAUTHENTICATE, MEMBER),
        Page("two-factor", "/accounts/2fa/", MEMBER),
        Page("activate an authenticator", "/accounts/2fa/totp/activate/", MEMBER),
        Page("add a security key", "/accounts/2fa/webauthn/add/", MEMBER),
        Page("two-factor, active", "/accounts/2fa/", MEMBER_WITH_2FA),
        Page("recovery codes", "/accounts/2fa/recovery-codes/", MEMBER_WITH_2FA),
        Page("new recovery codes", "/accounts/2fa/recovery-codes/generate/", MEMBER_WITH_2FA),
        Page("deactivate the authenticator", "/accounts/2fa/totp/deactivate/", MEMBER_WITH_2FA),
        Page("desk", desk, EDITOR),
        Page("desk, correcting an entry", f"{desk}?edit={corrected.pk}", EDITOR),
        Page(
            "desk, with a block of each kind",
            desk,
            EDITOR,
            clicks=tuple(f"[data-add={kind}]" for kind in ("quote", "image", "embed", "text")),
        ),
    ]
    admin_forms = [
        Page("entry form, new", reverse("admin:streams_entry_add"), EDITOR),
        Page("entry form", reverse("admin:streams_entry_change", args=[corrected.pk]), EDITOR),
        Page("stream form", reverse("admin:streams_stream_change", args=[stream.pk]), EDITOR),
        Page("source form, new", reverse("admin:streams_source_add"), EDITOR),
        Page("source form", reverse("admin:streams_source_change", args=[amnesty.pk]), EDITOR),
    ]
    return Tour(
        pages=pages,
        people={
            MEMBER: member,
            MEMBER_WITH_2FA: member_2fa,
            SIGNING_IN: member_2fa,
            EDITOR: editor,
        },
        totp_secret=secret,
        accept_path=invitation_accept,
        stream=stream,
        entry=corrected,
        admin_forms=admin_forms,
    )
