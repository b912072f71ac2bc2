"""Posts and videos from other sites, for embed blocks: recognised, looked up, fetched safely.

Live blogs quote posts and videos besides text. An embed block keeps what a card of ours needs
(title, author, a thumbnail we re-encode and serve) and the address of the provider's player,
built here from the provider's id. Nothing a provider answers is rendered as markup or run:
its oEmbed HTML is only read for words and ids.

Every request goes through ``fetch``: HTTPS to allowlisted hosts only; redirects followed by
hand, and only to allowlisted HTTPS hosts; every address a host resolves to checked (no private,
loopback, link-local or reserved network) and the connection made to the address checked, so
that a second DNS answer cannot send it elsewhere; a few seconds to answer; and an answer over
its size cap is dropped while it streams in, never read whole.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
import time
from collections.abc import Collection
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit, urlunsplit

# httpcore, the HTTP engine under httpx (same maintainers): its network backend is a public
# interface, so the connection goes to the very address we checked while TLS still verifies the
# host name. httpx would need its private connection pool swapped out for that.
import httpcore
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from pressimus.lib.fields import one_line

logger = logging.getLogger(__name__)

MB = 1024 * 1024
MAX_ANSWER_BYTES = 1 * MB
MAX_THUMBNAIL_BYTES = 10 * MB
MAX_REDIRECTS = 3
# Seconds for each step; the deadline bounds a whole fetch, so that a server dripping one byte
# at a time cannot hold an editor's save for long. (Name resolution uses the system's own.)
TIMEOUTS = {"connect": 3.0, "read": 5.0, "write": 5.0, "pool": 3.0}
DEADLINE = 12.0
USER_AGENT = "Mozilla/5.0 (compatible; Pressimus embeds)"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# What providers answer for a post or video that is gone, private or not to be embedded.
UNAVAILABLE_STATUSES = {401, 403, 404, 410}

TITLE_MAX = 300
AUTHOR_MAX = 200
URL_MAX = 1000

NOT_A_PROVIDER = (
    "That address is not from a provider we embed (YouTube, Vimeo, X, Bluesky, Mastodon, Telegram)."
)


def timed_out(name: str) -> str:
    return f"{name} did not answer in time; try again."


def unreachable(name: str) -> str:
    return f"{name} could not be reached; try again."


def unusable(name: str, what: str = "answer") -> str:
    return f"{name}'s {what} was not an embed we can use."


def too_large(name: str, what: str = "answer") -> str:
    return f"{name}'s {what} was too large."


def unavailable(name: str) -> str:
    return f"{name} has no public post or video at that address that may be embedded."


def thumbnail_unusable(name: str) -> str:
    return f"{name}'s thumbnail was not an image we can use."


# Providers ------------------------------------------------------------------------------------

VIDEO, POST = "video", "post"


@dataclass(frozen=True)
class PlayerFrame:
    """What the player's frame may do: as little as each provider's player works with.

    Scripts run in the provider's own origin (never ours: the frame is cross-origin, so
    ``allow-same-origin`` only keeps its own storage working); popups are for its "watch on"
    and profile links, and leave the sandbox so that the provider's site works in them.
    """

    sandbox: str
    allow: str = ""
    # Players that check which site embeds them (YouTube refuses to play without) get our
    # origin, never the page's path; the others get nothing.
    referrer_policy: str = "no-referrer"


_VIDEO_FRAME = PlayerFrame(
    sandbox="allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox",
    allow="autoplay; encrypted-media; fullscreen; picture-in-picture",
    referrer_policy="strict-origin-when-cross-origin",
)
_POST_FRAME = PlayerFrame(
    sandbox="allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"
)


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    shape: str
    frame: PlayerFrame
    # Where its pages, profiles and answers live: author links must point there.
    site_hosts: frozenset[str]
    # Where its thumbnails may be downloaded from; ".example.org" admits its subdomains.
    thumbnail_hosts: frozenset[str] = frozenset()


YOUTUBE = Provider(
    "youtube",
    "YouTube",
    VIDEO,
    _VIDEO_FRAME,
    frozenset({"www.youtube.com", "youtube.com", "m.youtube.com"}),
    frozenset({".ytimg.com", "img.youtube.com"}),
)
VIMEO = Provider(
    "vimeo",
    "Vimeo",
    VIDEO,
    _VIDEO_FRAME,
    frozenset({"vimeo.com", "www.vimeo.com"}),
    frozenset({".vimeocdn.com"}),
)
X = Provider(
    "x",
    "X",
    POST,
    _POST_FRAME,
    frozenset({"x.com", "twitter.com", "www.twitter.com", "publish.twitter.com", "publish.x.com"}),
)
BLUESKY = Provider(
    "bluesky", "Bluesky", POST, _POST_FRAME, frozenset({"bsky.app", "embed.bsky.app"})
)
# A Mastodon server's own host is added to its site hosts per post (see ``_mastodon``).
MASTODON = Provider("mastodon", "Mastodon", POST, _POST_FRAME, frozenset())
TELEGRAM = Provider(
    "telegram",
    "Telegram",
    POST,
    _POST_FRAME,
    frozenset({"t.me"}),
    frozenset({".telesco.pe", ".telegram-cdn.org", "telegram.org"}),
)

PROVIDERS = {
    provider.key: provider for provider in (YOUTUBE, VIMEO, X, BLUESKY, MASTODON, TELEGRAM)
}
PROVIDER_CHOICES = [(provider.key, provider.name) for provider in PROVIDERS.values()]


def mastodon_instances() -> list[str]:
    """The Mastodon servers whose posts we embed (settings.EMBED_MASTODON_INSTANCES)."""
    return [host.lower() for host in settings.EMBED_MASTODON_INSTANCES]


def player_origins() -> list[str]:
    """Every origin a player's frame may load from: what the CSP's frame-src must allow."""
    fixed = [
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
        "https://platform.twitter.com",
        "https://embed.bsky.app",
        "https://t.me",
    ]
    return [*fixed, *(f"https://{host}" for host in mastodon_instances())]


# Recognising addresses ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A post or video recognised from its address, before its provider is asked about it."""

    provider: Provider
    # The address normalised: what the block keeps, and readers follow to the original.
    url: str
    # What to ask about it: an oEmbed endpoint, or (Telegram) the page whose tags describe it.
    lookup_url: str
    lookup_hosts: frozenset[str]
    # Built from the provider's id; empty while the id needed is not known yet (a Bluesky post
    # addressed by its author's handle: the oEmbed answer names the account's DID).
    player_url: str
    site_hosts: frozenset[str]
    reads_open_graph: bool = False
    # For Bluesky: the post's record key, to check against the answer.
    record_key: str = ""


_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_PATH = re.compile(r"/(?:shorts|embed|live|v)/([A-Za-z0-9_-]{11})/?")
_VIMEO_PATH = re.compile(
    r"/(?:video/|channels/[\w-]+/|groups/[\w-]+/videos/)?(\d{1,12})(?:/([0-9a-f]{6,20}))?/?"
)
_X_PATH = re.compile(r"/(?:([A-Za-z0-9_]{1,15})|i/web)/status(?:es)?/(\d{1,20})(?:/.*)?")
_BLUESKY_PATH = re.compile(
    r"/profile/((?:did:plc:[a-z2-7]{24})|(?:did:web:[a-z0-9.-]+)|(?:[a-z0-9][a-z0-9.-]{0,252}))"
    r"/post/([A-Za-z0-9._~:-]{1,512})/?"
)
_DID = re.compile(r"did:plc:[a-z2-7]{24}|did:web:[a-z0-9.-]{1,253}")
_MASTODON_PATH = re.compile(
    r"/(?:@([A-Za-z0-9_]{1,30})|users/([A-Za-z0-9_]{1,30})/statuses)/(\d{1,20})(?:/embed)?/?"
)
_TELEGRAM_PATH = re.compile(r"/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/(\d{1,12})/?")


def _split(url: str):
    """The parts of a pasted address, with https assumed when it has no scheme."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(NOT_A_PROVIDER, code="not_a_provider") from None
    if parts.scheme not in ("http", "https") or parts.username or port not in (None, 80, 443):
        raise ValidationError(NOT_A_PROVIDER, code="not_a_provider")
    return parts


def _query(parts, name: str) -> str:
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            return value
    return ""


def _oembed(endpoint: str, url: str, **extra: str) -> str:
    return f"{endpoint}?{urlencode({'url': url, 'format': 'json', **extra})}"


def _youtube(host: str, parts) -> Target | None:
    if host in ("youtu.be", "www.youtu.be"):
        video = parts.path.strip("/")
    elif host in ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com") or (
        host in ("youtube-nocookie.com", "www.youtube-nocookie.com")
    ):
        match = _YOUTUBE_PATH.fullmatch(parts.path)
        video = match[1] if match else (_query(parts, "v") if parts.path == "/watch" else "")
    else:
        return None
    if not _YOUTUBE_ID.fullmatch(video):
        return None
    url = f"https://www.youtube.com/watch?v={video}"
    return Target(
        provider=YOUTUBE,
        url=url,
        lookup_url=_oembed("https://www.youtube.com/oembed", url),
        lookup_hosts=YOUTUBE.site_hosts,
        # The privacy-enhanced player: no cookies until the reader plays the video.
        player_url=f"https://www.youtube-nocookie.com/embed/{video}?autoplay=1",
        site_hosts=YOUTUBE.site_hosts,
    )


def _vimeo(host: str, parts) -> Target | None:
    if host not in ("vimeo.com", "www.vimeo.com", "player.vimeo.com"):
        return None
    match = _VIMEO_PATH.fullmatch(parts.path)
    if not match or (host == "player.vimeo.com") != parts.path.startswith("/video/"):
        return None
    video = match[1]
    # An unlisted video's address carries its hash, which the player needs too.
    unlisted = match[2] or (_query(parts, "h") if host == "player.vimeo.com" else "")
    if unlisted and not re.fullmatch(r"[0-9a-f]{6,20}", unlisted):
        return None
    url = f"https://vimeo.com/{video}" + (f"/{unlisted}" if unlisted else "")
    player = {"h": unlisted} if unlisted else {}
    return Target(
        provider=VIMEO,
        url=url,
        lookup_url=_oembed("https://vimeo.com/api/oembed.json", url),
        lookup_hosts=VIMEO.site_hosts,
        # dnt: Vimeo's player then tracks nothing of the reader.
        player_url="https://player.vimeo.com/video/"
        f"{video}?{urlencode({**player, 'dnt': 1, 'autoplay': 1})}",
        site_hosts=VIMEO.site_hosts,
    )


def _x(host: str, parts) -> Target | None:
    if host.removeprefix("www.").removeprefix("mobile.") not in ("x.com", "twitter.com"):
        return None
    match = _X_PATH.fullmatch(parts.path)
    if not match:
        return None
    user, post = match[1], match[2]
    path = f"/{user}/status/{post}" if user else f"/i/web/status/{post}"
    return Target(
        provider=X,
        url=f"https://x.com{path}",
        # omit_script: we never run their widget script anyway; dnt: no personalisation.
        lookup_url=_oembed(
            "https://publish.twitter.com/oembed",
            f"https://twitter.com{path}",
            omit_script="1",
            dnt="true",
        ),
        lookup_hosts=frozenset({"publish.twitter.com", "publish.x.com"}),
        player_url=f"https://platform.twitter.com/embed/Tweet.html?{urlencode({'id': post})}"
        "&dnt=true",
        site_hosts=X.site_hosts,
    )


def _bluesky_player(did: str, record_key: str) -> str:
    return f"https://embed.bsky.app/embed/{did}/app.bsky.feed.post/{quote(record_key, safe='')}"


def _bluesky(host: str, parts) -> Target | None:
    if host not in ("bsky.app", "www.bsky.app"):
        return None
    match = _BLUESKY_PATH.fullmatch(parts.path)
    if not match:
        return None
    actor, record_key = match[1], match[2]
    url = f"https://bsky.app/profile/{actor}/post/{record_key}"
    return Target(
        provider=BLUESKY,
        url=url,
        lookup_url=_oembed("https://embed.bsky.app/oembed", url),
        lookup_hosts=frozenset({"embed.bsky.app"}),
        player_url=_bluesky_player(actor, record_key) if _DID.fullmatch(actor) else "",
        site_hosts=BLUESKY.site_hosts,
        record_key=record_key,
    )


def _mastodon(host: str, parts) -> Target | None:
    match = _MASTODON_PATH.fullmatch(parts.path)
    if not match or host not in mastodon_instances():
        return None
    user, post = match[1] or match[2], match[3]
    url = f"https://{host}/@{user}/{post}"
    hosts = frozenset({host})
    return Target(
        provider=MASTODON,
        url=url,
        lookup_url=f"https://{host}/api/oembed?{urlencode({'url': url})}",
        lookup_hosts=hosts,
        player_url=f"{url}/embed",
        site_hosts=hosts,
    )


def _telegram(host: str, parts) -> Target | None:
    if host not in ("t.me", "www.t.me", "telegram.me", "www.telegram.me"):
        return None
    match = _TELEGRAM_PATH.fullmatch(parts.path)
    if not match:
        return None
    channel, post = match[1], match[2]
    url = f"https://t.me/{channel}/{post}"
    return Target(
        provider=TELEGRAM,
        url=url,
        # Telegram has no oEmbed: the post's page describes it in its Open Graph tags.
        lookup_url=url,
        lookup_hosts=TELEGRAM.site_hosts,
        player_url=f"{url}?embed=1",
        site_hosts=TELEGRAM.site_hosts,
        reads_open_graph=True,
    )


_RECOGNISERS = (_youtube, _vimeo, _x, _bluesky, _mastodon, _telegram)


def recognise(url: str) -> Target:
    """What ``url`` is, if it is a post or video of a provider we embed.

    Raises ``ValidationError`` (in words for the editor) for any other address.
    """
    parts = _split(url)
    host = (parts.hostname or "").lower().rstrip(".")
    for recogniser in _RECOGNISERS:
        if (target := recogniser(host, parts)) is not None:
            return target
    if _MASTODON_PATH.fullmatch(parts.path):
        raise ValidationError(
            f"{host} is not among the Mastodon servers we embed posts from "
            f"({', '.join(mastodon_instances())}); an administrator can add it.",
            code="not_a_provider",
        )
    raise ValidationError(NOT_A_PROVIDER, code="not_a_provider")


# Fetching --------------------------------------------------------------------------------------


class AddressRefused(httpcore.ConnectError):
    """A host resolved to an address we never connect to (private, loopback, reserved…)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 one reaches through a translation mechanism."""
    found = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.append(address.teredo[1])
    # NAT64's well-known prefix: a gateway would connect to the IPv4 address in its last bits.
    if address in ipaddress.ip_network("64:ff9b::/96"):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public_address(address: str) -> bool:
    """Whether ``address`` is on the public internet: not private, loopback, link-local,
    shared, reserved, multicast or unspecified, nor an IPv6 way to one of those."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    # is_global is false for every special-purpose block (RFC 6890), 100.64/10 included.
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return all(is_public_address(str(inner)) for inner in _embedded_ipv4(ip))
    return True


def public_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, when all of them are public.

    Raises ``AddressRefused`` when any one is not: a name with one private address among
    public ones is not a provider's. Raises ``httpcore.ConnectError`` when it does not resolve.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise httpcore.ConnectError(f"{host} does not resolve: {error}") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    refused = [address for address in addresses if not is_public_address(address)]
    if refused or not addresses:
        raise AddressRefused(f"{host} resolves to {', '.join(refused) or 'nothing'}")
    return addresses


def stand_in_server() -> tuple[str, int] | None:
    """Tests only: the local HTTP server standing in for every provider, as (address, port).

    Set by tests through ``settings.EMBED_TEST_SERVER`` ("127.0.0.1:port"); never read from
    the environment. Requests meant for an allowlisted host then go to it over plain HTTP,
    and the address check admits that one loopback address and port.
    """
    value = getattr(settings, "EMBED_TEST_SERVER", None)
    if not value:
        return None
    address, _, port = value.rpartition(":")
    if not (port.isdigit() and address and ipaddress.ip_address(address).is_loopback):
        raise ImproperlyConfigured(f"EMBED_TEST_SERVER must be 127.0.0.1:port, not {value!r}.")
    return address, int(port)


class _CheckedBackend(httpcore.SyncBackend):
    """Connects only to public addresses, and to exactly the address it checked."""

    def __init__(self, stand_in: tuple[str, int] | None) -> None:
        super().__init__()
        self._stand_in = stand_in

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if self._stand_in is not None and (host, port) == self._stand_in:
            addresses = [host]
        else:
            addresses = public_addresses(host, port)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                # The address, not the name: no second lookup can answer differently. TLS is
                # started afterwards with the name, which the certificate must match.
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None
        raise failure


def host_allowed(host: str, hosts: Collection[str]) -> bool:
    """Whether ``host`` is one of ``hosts``, where ".example.org" admits its subdomains."""
    return any(
        host == allowed or (allowed.startswith(".") and host.endswith(allowed)) for allowed in hosts
    )


def _fetchable(url: str, hosts: Collection[str], stand_in: tuple[str, int] | None) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if stand_in is not None and parts.scheme == "http" and (host, port) == stand_in:
        return True
    return (
        parts.scheme == "https"
        and not parts.username
        and port in (None, 443)
        and host_allowed(host, hosts)
    )


def _connection_url(url: str, stand_in: tuple[str, int] | None) -> str:
    """Where to send the request for ``url``: there, or to the stand-in server in tests."""
    if stand_in is None:
        return url
    parts = urlsplit(url)
    address, port = stand_in
    return urlunsplit(("http", f"{address}:{port}", parts.path or "/", parts.query, ""))


def _header(response: httpcore.Response, name: bytes) -> str:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return ""


def _timeouts(deadline: float) -> dict[str, float]:
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("deadline passed")
    return {step: min(seconds, left) for step, seconds in TIMEOUTS.items()}


def _read_capped(
    response: httpcore.Response, max_bytes: int, deadline: float, message: str
) -> bytes:
    declared = _header(response, b"content-length")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ValidationError(message, code="too_large")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_stream():
        size += len(chunk)
        if size > max_bytes:
            # Leaving the response unread closes the connection: the rest is never received.
            raise ValidationError(message, code="too_large")
        if time.monotonic() > deadline:
            raise httpcore.ReadTimeout("deadline passed")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(
    url: str, *, hosts: Collection[str], max_bytes: int, name: str, what: str = "answer"
) -> bytes:
    """The body of ``url``, fetched over HTTPS from one of ``hosts``, at most ``max_bytes``.

    Redirects are followed (a few) when they lead to ``hosts`` over HTTPS. Raises
    ``ValidationError`` in words for the editor, naming the provider ``name`` and ``what``
    was asked for ("answer", "thumbnail").
    """
    stand_in = stand_in_server()
    deadline = time.monotonic() + DEADLINE
    headers = [
        (b"User-Agent", USER_AGENT.encode()),
        # httpcore does not decompress, and a compressed answer could hide its size.
        (b"Accept-Encoding", b"identity"),
    ]
    with httpcore.ConnectionPool(network_backend=_CheckedBackend(stand_in), retries=0) as pool:
        for _hop in range(MAX_REDIRECTS + 1):
            if not _fetchable(url, hosts, stand_in):
                logger.warning("embed: %s refused to fetch %s (not an allowlisted host)", name, url)
                raise ValidationError(unusable(name, what), code="not_allowed")
            try:
                with pool.stream(
                    "GET",
                    _connection_url(url, stand_in),
                    headers=headers,
                    extensions={"timeout": _timeouts(deadline)},
                ) as response:
                    if response.status in REDIRECT_STATUSES:
                        location = _header(response, b"location")
                        if not location:
                            raise ValidationError(unusable(name, what), code="bad_redirect")
                        url = urljoin(url, location)
                        continue
                    if response.status in UNAVAILABLE_STATUSES:
                        message = unavailable(name) if what == "answer" else unusable(name, what)
                        raise ValidationError(message, code="unavailable")
                    if response.status != 200:
                        logger.warning("embed: %s answered %s for %s", name, response.status, url)
                        raise ValidationError(unusable(name, what), code="bad_status")
                    return _read_capped(response, max_bytes, deadline, too_large(name, what))
            except httpcore.TimeoutException:
                raise ValidationError(timed_out(name), code="timed_out") from None
            except AddressRefused as error:
                logger.warning("embed: %s refused to connect: %s", name, error)
                raise ValidationError(unusable(name, what), code="address_refused") from None
            except (httpcore.NetworkError, httpcore.ProtocolError) as error:
                logger.info("embed: %s could not be fetched from %s: %r", name, url, error)
                raise ValidationError(unreachable(name), code="unreachable") from None
    raise ValidationError(unusable(name, what), code="too_many_redirects")


# Reading answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Embed:
    """A post or video as its provider describes it, with the player's address built by us."""

    provider: str
    url: str
    title: str
    author_name: str
    author_url: str
    player_url: str
    # Empty when the provider gave none, or gave one from a host we do not download from.
    thumbnail_url: str = ""

    @property
    def provider_name(self) -> str:
        return PROVIDERS[self.provider].name


def _shortened(text: str, limit: int) -> str:
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    head, space, _ = cut.rpartition(" ")
    return (head if space and len(head) > limit // 2 else cut).rstrip(" ,.;:") + "…"


def _string(data: dict, key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


class _FirstParagraph(HTMLParser):
    """The words of the first <p> of a provider's HTML: an X, Bluesky or Mastodon post's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.done = False
        self.words: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "p":
            self.depth += 1
        elif tag == "br" and self.depth:
            self.words.append(" ")

    def handle_endtag(self, tag):
        if tag == "p" and self.depth:
            self.depth -= 1
            self.done = self.depth == 0

    def handle_data(self, data):
        if self.depth and not self.done:
            self.words.append(data)


def first_paragraph(html: str) -> str:
    parser = _FirstParagraph()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", one_line("".join(parser.words)))


class _OpenGraph(HTMLParser):
    """The Open Graph properties in a page's <meta> tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.properties: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        if tag != "meta":
            return
        values = dict(attrs)
        key = values.get("property") or ""
        if key.startswith("og:") and key not in self.properties:
            self.properties[key] = values.get("content") or ""


def open_graph(html: str) -> dict[str, str]:
    parser = _OpenGraph()
    parser.feed(html)
    parser.close()
    return parser.properties


def _link(url: str, hosts: Collection[str]) -> str:
    """``url`` when it is an https address on one of ``hosts``, else nothing."""
    return url if len(url) <= URL_MAX and _fetchable(url, hosts, None) else ""


def _thumbnail(url: str, provider: Provider) -> str:
    if not url:
        return ""
    if len(url) <= URL_MAX and _fetchable(url, provider.thumbnail_hosts, stand_in_server()):
        return url
    logger.info("embed: %s thumbnail from a host we do not download from: %s", provider.name, url)
    return ""


def _decoded(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _from_oembed(target: Target, body: bytes) -> Embed:
    provider = target.provider
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(unusable(provider.name), code="not_json") from None
    if not isinstance(data, dict) or data.get("type") not in ("video", "rich", "photo", "link"):
        raise ValidationError(unusable(provider.name), code="not_oembed")
    html = _string(data, "html")
    player_url = target.player_url
    if not player_url and provider is BLUESKY:
        # The answer's blockquote names the post's record as at://<did>/app.bsky.feed.post/<key>.
        found = re.search(r'data-bluesky-uri="at://([^"/]+)/app\.bsky\.feed\.post/([^"/]+)"', html)
        if not found or not _DID.fullmatch(found[1]) or found[2] != target.record_key:
            raise ValidationError(unusable(provider.name), code="no_id")
        player_url = _bluesky_player(found[1], target.record_key)
    author_name = _shortened(_string(data, "author_name"), AUTHOR_MAX)
    # Posts have no title of their own (Mastodon's is a mere "New status by …"): their words
    # are one, or failing those (Mastodon's newer answers hold none), who wrote them.
    if provider.shape == POST:
        title = first_paragraph(html) or f"Post by {author_name or provider.name}"
    else:
        title = _string(data, "title") or f"Video by {author_name or provider.name}"
    title = _shortened(title, TITLE_MAX)
    return Embed(
        provider=provider.key,
        url=target.url,
        title=title,
        author_name=author_name,
        author_url=_link(_string(data, "author_url"), target.site_hosts),
        player_url=player_url,
        thumbnail_url=_thumbnail(_string(data, "thumbnail_url"), provider),
    )


def _from_open_graph(target: Target, body: bytes) -> Embed:
    provider = target.provider
    tags = open_graph(_decoded(body))
    channel = _shortened(tags.get("og:title", ""), AUTHOR_MAX)
    if not channel:
        raise ValidationError(unusable(provider.name), code="no_tags")
    return Embed(
        provider=provider.key,
        url=target.url,
        title=_shortened(tags.get("og:description", "") or f"Post by {channel}", TITLE_MAX),
        author_name=channel,
        author_url=target.url.rsplit("/", 1)[0],
        player_url=target.player_url,
        thumbnail_url=_thumbnail(tags.get("og:image", ""), provider),
    )


def lookup(url: str) -> Embed:
    """The post or video at ``url``, as its provider describes it.

    Raises ``ValidationError`` in words for the editor: an address of no provider we embed,
    a provider that does not answer in time, or answers something we cannot use.
    """
    target = recognise(url)
    body = fetch(
        target.lookup_url,
        hosts=target.lookup_hosts,
        max_bytes=MAX_ANSWER_BYTES,
        name=target.provider.name,
    )
    read = _from_open_graph if target.reads_open_graph else _from_oembed
    return read(target, body)


def thumbnail_fetch(embed: Embed) -> bytes:
    """The bytes of ``embed``'s thumbnail (not yet checked as an image), or b"" without one."""
    if not embed.thumbnail_url:
        return b""
    provider = PROVIDERS[embed.provider]
    return fetch(
        embed.thumbnail_url,
        hosts=provider.thumbnail_hosts,
        max_bytes=MAX_THUMBNAIL_BYTES,
        name=provider.name,
        what="thumbnail",
    )
