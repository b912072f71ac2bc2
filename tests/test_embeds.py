"""Embed blocks: posts and videos from YouTube, Vimeo, X, Bluesky, Mastodon and Telegram.

A real HTTP server on 127.0.0.1 answers in the providers' place (nothing outside this machine
is reachable): settings.EMBED_TEST_SERVER points every request for an allowlisted host at it.
"""

from __future__ import annotations

import html
import io
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from pressimus.lib import oembed
from streams import search, seo, services
from streams.admin import embeds_prefetch
from streams.models import EMBED_MISSING, Block, Entry
from tests.admin_forms import entry_form
from tests.providers import (
    PLAYER_URL,
    VIDEO_ID,
    VIDEO_TITLE,
    VIDEO_URL,
    answer,
    picture,
    redirect,
    youtube_answer,
    youtube_routes,
)
from tests.test_admin_workflow import change_url, edit_form
from tests.test_settings import manage

MB = 1024 * 1024
ADD_URL = reverse("admin:streams_entry_add")


def refusal(url: str) -> str:
    with pytest.raises(ValidationError) as caught:
        services.embed_fetch(url=url)
    return caught.value.messages[0]


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return [str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()]


def embed_entry(stream, url: str = VIDEO_URL, **fields) -> Entry:
    return services.entry_create(
        stream=stream,
        title=fields.pop("title", "The convoy arrives"),
        blocks=[
            services.TextBlock("<p>Amnesty filmed the arrival:</p>"),
            services.embed_fetch(url=url),
        ],
        **fields,
    )


# Recognising addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
        f"https://www.youtube.com/watch?v={VIDEO_ID}&t=42s&si=tracking",
        f"http://youtube.com/watch?feature=share&v={VIDEO_ID}",
        f"https://m.youtube.com/watch?v={VIDEO_ID}",
        f"https://youtu.be/{VIDEO_ID}?si=tracking",
        f"youtu.be/{VIDEO_ID}",
        f"https://www.youtube.com/shorts/{VIDEO_ID}",
        f"https://www.youtube.com/live/{VIDEO_ID}",
        f"https://www.youtube.com/embed/{VIDEO_ID}",
        f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}",
        f"  https://WWW.YouTube.com/watch?v={VIDEO_ID}  ",
    ],
)
def test_youtube_addresses_in_every_form_give_the_privacy_enhanced_player(url):
    target = oembed.recognise(url)

    assert target.provider is oembed.YOUTUBE
    assert target.url == f"https://www.youtube.com/watch?v={VIDEO_ID}"
    assert target.player_url == PLAYER_URL
    assert target.lookup_url.startswith("https://www.youtube.com/oembed?url=")


@pytest.mark.parametrize(
    ("url", "normalised", "player"),
    [
        (
            "https://vimeo.com/76979871",
            "https://vimeo.com/76979871",
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1",
        ),
        (
            "https://vimeo.com/channels/staffpicks/76979871",
            "https://vimeo.com/76979871",
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1",
        ),
        (
            "https://player.vimeo.com/video/76979871",
            "https://vimeo.com/76979871",
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1",
        ),
        (
            "https://vimeo.com/76979871/8272103f6e",
            "https://vimeo.com/76979871/8272103f6e",
            "https://player.vimeo.com/video/76979871?h=8272103f6e&dnt=1&autoplay=1",
        ),
        (
            "https://player.vimeo.com/video/76979871?h=8272103f6e",
            "https://vimeo.com/76979871/8272103f6e",
            "https://player.vimeo.com/video/76979871?h=8272103f6e&dnt=1&autoplay=1",
        ),
    ],
)
def test_vimeo_addresses_give_the_do_not_track_player_with_an_unlisted_videos_hash(
    url, normalised, player
):
    target = oembed.recognise(url)

    assert (target.provider, target.url, target.player_url) == (oembed.VIMEO, normalised, player)


@pytest.mark.parametrize(
    "url",
    [
        "https://twitter.com/Interior/status/507185938620219395",
        "https://x.com/Interior/status/507185938620219395?s=20&t=tracking",
        "https://mobile.twitter.com/Interior/status/507185938620219395",
        "https://www.x.com/Interior/status/507185938620219395/photo/1",
    ],
)
def test_x_and_twitter_addresses_give_the_tweet_frame_built_from_the_posts_id(url):
    target = oembed.recognise(url)

    assert target.provider is oembed.X
    assert target.url == "https://x.com/Interior/status/507185938620219395"
    assert target.player_url == (
        "https://platform.twitter.com/embed/Tweet.html?id=507185938620219395&dnt=true"
    )
    assert parse_qs(urlsplit(target.lookup_url).query)["url"] == [
        "https://twitter.com/Interior/status/507185938620219395"
    ]


def test_a_bluesky_post_by_did_gets_its_player_at_once_and_one_by_handle_after_the_lookup():
    by_did = oembed.recognise(
        "https://bsky.app/profile/did:plc:tjf4apt65s75xiojhiqzvcan/post/3kqmooj3ems2w"
    )
    by_handle = oembed.recognise("https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w")

    assert by_did.player_url == (
        "https://embed.bsky.app/embed/did:plc:tjf4apt65s75xiojhiqzvcan/app.bsky.feed.post/"
        "3kqmooj3ems2w"
    )
    assert by_handle.provider is oembed.BLUESKY
    assert by_handle.player_url == ""
    assert by_handle.url == "https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w"


@pytest.mark.parametrize(
    "url",
    [
        "https://mastodon.social/@Gargron/109318821117356215",
        "https://mastodon.social/users/Gargron/statuses/109318821117356215",
        "https://mastodon.social/@Gargron/109318821117356215/embed",
    ],
)
def test_mastodon_posts_on_an_allowlisted_server_give_that_servers_embed_page(url):
    target = oembed.recognise(url)

    assert target.provider is oembed.MASTODON
    assert target.url == "https://mastodon.social/@Gargron/109318821117356215"
    assert target.player_url == "https://mastodon.social/@Gargron/109318821117356215/embed"
    assert target.lookup_url.startswith("https://mastodon.social/api/oembed?url=")


def test_a_mastodon_server_the_operator_added_is_recognised_and_others_are_named(settings):
    settings.EMBED_MASTODON_INSTANCES = [*settings.EMBED_MASTODON_INSTANCES, "social.example.org"]

    assert oembed.recognise("https://social.example.org/@desk/1").provider is oembed.MASTODON
    with pytest.raises(ValidationError) as caught:
        oembed.recognise("https://toot.example.net/@desk/1")
    assert caught.value.messages[0].startswith(
        "toot.example.net is not among the Mastodon servers we embed posts from (mastodon.social"
    )


@pytest.mark.parametrize(
    "url",
    ["https://t.me/telegram/83", "https://t.me/s/telegram/83", "https://telegram.me/telegram/83"],
)
def test_telegram_public_channel_posts_give_the_posts_widget(url):
    target = oembed.recognise(url)

    assert target.provider is oembed.TELEGRAM
    assert target.url == "https://t.me/telegram/83"
    assert target.player_url == "https://t.me/telegram/83?embed=1"
    assert target.reads_open_graph


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.example.org/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/channel/UCxyz",
        "https://www.youtube.com/watch?v=short",
        "https://vimeo.com/about",
        "https://x.com/Interior",
        "https://t.me/c/1234567/89",
        "https://t.me/joinchat/AAAAAE",
        "ftp://youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com:8443/watch?v=dQw4w9WgXcQ",
        "https://someone@youtube.com/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)",
        "",
    ],
)
def test_addresses_of_anything_else_are_refused_in_words(url):
    with pytest.raises(ValidationError) as caught:
        oembed.recognise(url)

    assert caught.value.messages == [
        "That address is not from a provider we embed (YouTube, Vimeo, X, Bluesky, Mastodon, "
        "Telegram)."
    ]


def test_mastodon_servers_the_operator_adds_are_embedded_and_framed():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.EMBED_MASTODON_INSTANCES[-2:]); "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-src'][-2:])",
        DEBUG="true",
        EMBED_MASTODON_INSTANCES="social.example.org, Toot.Example.NET",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "['social.example.org', 'toot.example.net']",
        "['https://social.example.org', 'https://toot.example.net']",
    ]


@pytest.mark.parametrize("value", ["https://social.example.org", "social.example.org:8443", "x"])
def test_a_mastodon_server_that_is_not_a_host_name_stops_the_site_from_starting(value):
    result = manage("check", DEBUG="true", EMBED_MASTODON_INSTANCES=value)

    assert result.returncode != 0
    assert "EMBED_MASTODON_INSTANCES must list host names such as social.example.org" in (
        result.stderr
    )


def test_the_policy_frames_exactly_the_players_we_build():
    policy = django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    built = [
        oembed.recognise(url).player_url
        for url in (
            VIDEO_URL,
            "https://vimeo.com/76979871",
            "https://x.com/Interior/status/507185938620219395",
            "https://bsky.app/profile/did:plc:tjf4apt65s75xiojhiqzvcan/post/3kqmooj3ems2w",
            "https://t.me/telegram/83",
            *(f"https://{host}/@someone/1" for host in oembed.mastodon_instances()),
        )
    ]
    origins = {"https://" + urlsplit(url).hostname for url in built}

    assert set(policy["frame-src"]) == origins == set(oembed.player_origins())
    assert len(policy["frame-src"]) == len(origins)


# The address check -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.10", "::1", "::",
        "fe80::1", "fd00::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
        "2002:0a00:0001::1", "64:ff9b::a9fe:a9fe", "not an address",
    ],
)  # fmt: skip
def test_private_loopback_link_local_and_reserved_addresses_are_never_public(address):
    assert not oembed.is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "151.101.1.140", "2606:4700:4700::1111"])
def test_addresses_on_the_internet_are_public(address):
    assert oembed.is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/oembed",
        "https://10.0.0.8/oembed",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/oembed",
    ],
)
def test_an_allowlisted_host_with_a_private_address_is_never_connected_to(url):
    # Allowlisted on purpose (as an operator's mistaken Mastodon server would be): the address
    # check alone stands in the way, before any connection is tried.
    host = urlsplit(url).hostname

    with pytest.raises(ValidationError) as caught:
        oembed.fetch(url, hosts={host}, max_bytes=MB, name="Mastodon")

    assert caught.value.code == "address_refused"
    assert caught.value.messages == ["Mastodon's answer was not an embed we can use."]


# Fetching and keeping an embed -------------------------------------------------------------------


def test_a_good_answer_gives_an_embed_with_a_thumbnail_we_reencoded(provider):
    youtube_routes(provider)

    embed = services.embed_fetch(url=VIDEO_URL)

    assert provider.requests[0].startswith("/oembed?")
    asked = parse_qs(urlsplit(provider.requests[0]).query)
    assert asked == {"url": [f"https://www.youtube.com/watch?v={VIDEO_ID}"], "format": ["json"]}
    assert (embed.provider, embed.url, embed.player_url) == (
        "youtube",
        f"https://www.youtube.com/watch?v={VIDEO_ID}",
        PLAYER_URL,
    )
    assert (embed.title, embed.author_name, embed.author_url) == (
        VIDEO_TITLE,
        "Amnesty International",
        "https://www.youtube.com/@amnesty",
    )
    thumbnail = Image.open(io.BytesIO(embed.thumbnail))
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (embed.thumbnail_width, embed.thumbnail_height) == (960, 540)


def test_an_entry_with_an_embed_stores_the_block_and_its_thumbnail_under_media(
    provider, stream_a, settings
):
    youtube_routes(provider)

    entry = embed_entry(stream_a)

    block = entry.blocks.get(kind=Block.Kind.EMBED)
    assert block.position == 1
    assert block.embed_player_url == PLAYER_URL
    assert block.embed_thumbnail.name.startswith("embeds/")
    assert block.embed_thumbnail.name.endswith(".webp")
    assert default_storage.exists(block.embed_thumbnail.name)
    assert (block.embed_thumbnail_width, block.embed_thumbnail_height) == (960, 540)
    assert stored_files(settings) == [block.embed_thumbnail.name]


def test_an_address_from_another_host_is_refused_before_anything_is_fetched(provider):
    youtube_routes(provider)

    message = refusal(f"https://www.youtube.com.evil.example/watch?v={VIDEO_ID}")

    assert message == oembed.NOT_A_PROVIDER
    assert provider.requests == []


def test_a_provider_that_does_not_answer_in_time_is_refused_in_words(provider, monkeypatch):
    monkeypatch.setattr(oembed, "TIMEOUTS", {**oembed.TIMEOUTS, "read": 0.3})

    def asleep(handler):
        time.sleep(2)
        answer(youtube_answer())(handler)

    provider.routes["/oembed"] = asleep
    started = time.monotonic()

    message = refusal(VIDEO_URL)

    assert message == "YouTube did not answer in time; try again."
    assert time.monotonic() - started < 1.5


def test_a_provider_dripping_its_answer_is_cut_off_at_the_deadline(provider, monkeypatch):
    monkeypatch.setattr(oembed, "DEADLINE", 0.6)

    def drip(handler):
        handler.send_response(200)
        handler.end_headers()
        for _ in range(40):
            handler.wfile.write(b" ")
            time.sleep(0.05)

    provider.routes["/oembed"] = drip
    started = time.monotonic()

    assert refusal(VIDEO_URL) == "YouTube did not answer in time; try again."
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "body",
    [
        b"<!doctype html><title>Sign in to continue</title>",
        b'["not", "an", "object"]',
        b'{"type": "something else", "title": "x"}',
        b'{"title": "no type"',
        b"\xff\xfe\x00garbage",
    ],
    ids=["html", "list", "wrong-type", "cut-short", "bytes"],
)
def test_an_answer_that_is_not_oembed_json_is_refused(provider, body):
    provider.routes["/oembed"] = answer(body)

    assert refusal(VIDEO_URL) == "YouTube's answer was not an embed we can use."


@pytest.mark.parametrize("announced", [False, True], ids=["streamed", "announced"])
def test_a_10_mb_answer_is_refused_without_being_read_whole(provider, announced):
    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if announced:
            handler.send_header("Content-Length", str(10 * MB))
        handler.end_headers()
        sent = 0
        try:
            while sent < 10 * MB:
                handler.wfile.write(b" " * 65536)
                sent += 65536
        except OSError:
            provider.notes.append(f"cut off after {sent // MB} MB")
        else:
            provider.notes.append("sent it all")

    provider.routes["/oembed"] = endless

    assert refusal(VIDEO_URL) == "YouTube's answer was too large."
    assert provider.wait_for_note().startswith("cut off")


@pytest.mark.parametrize(
    "location",
    [
        "https://127.0.0.1/oembed",
        "https://10.0.0.8/oembed",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/oembed",
        "http://127.0.0.1:1/oembed",
        "http://www.youtube.com/oembed",
        "https://youtube.evil.example/oembed",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_off_the_provider_or_to_a_private_address_is_refused(provider, location):
    provider.routes["/oembed"] = redirect(location)

    assert refusal(VIDEO_URL) == "YouTube's answer was not an embed we can use."
    assert len(provider.requests) == 1


def test_a_redirect_within_the_provider_is_followed(provider):
    youtube_routes(provider)
    provider.routes["/oembed"] = redirect("https://youtube.com/oembed/moved", status=301)
    provider.routes["/oembed/moved"] = answer(youtube_answer())

    assert services.embed_fetch(url=VIDEO_URL).title == VIDEO_TITLE


def test_a_provider_redirecting_in_circles_is_refused(provider):
    provider.routes["/oembed"] = redirect("/oembed")

    assert refusal(VIDEO_URL) == "YouTube's answer was not an embed we can use."
    assert len(provider.requests) == oembed.MAX_REDIRECTS + 1


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_private_or_missing_video_is_refused_as_unavailable(provider, status):
    provider.routes["/oembed"] = answer(b"Not Found", status=status, content_type="text/plain")

    assert refusal(VIDEO_URL) == (
        "YouTube has no public post or video at that address that may be embedded."
    )


def test_a_provider_that_cannot_be_reached_is_refused_in_words(settings):
    # Nothing listens on port 1 of this machine.
    settings.EMBED_TEST_SERVER = "127.0.0.1:1"

    assert refusal(VIDEO_URL) == "YouTube could not be reached; try again."


@pytest.mark.parametrize(
    "data",
    [
        b"Just some text, not a picture at all.",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        picture()[:2000],
    ],
    ids=["text", "svg", "truncated"],
)
def test_a_thumbnail_that_is_not_an_image_is_refused(provider, data, settings):
    youtube_routes(provider)
    provider.routes[f"/vi/{VIDEO_ID}/hqdefault.jpg"] = answer(data, content_type="image/jpeg")

    assert refusal(VIDEO_URL) == "YouTube's thumbnail was not an image we can use."
    assert stored_files(settings) == []


def test_a_thumbnail_over_10_mb_is_refused(provider):
    youtube_routes(provider)
    provider.routes[f"/vi/{VIDEO_ID}/hqdefault.jpg"] = answer(b"\xff" * (10 * MB + 1))

    assert refusal(VIDEO_URL) == "YouTube's thumbnail was too large."


def test_a_thumbnail_the_provider_no_longer_has_is_left_out(provider):
    youtube_routes(provider)
    del provider.routes[f"/vi/{VIDEO_ID}/hqdefault.jpg"]

    embed = services.embed_fetch(url=VIDEO_URL)

    assert (embed.thumbnail, embed.thumbnail_width, embed.title) == (b"", None, VIDEO_TITLE)


def test_a_thumbnail_from_a_host_we_do_not_download_from_is_left_out(provider):
    youtube_routes(provider, thumbnail_url="https://tracker.example/pixel.jpg")

    embed = services.embed_fetch(url=VIDEO_URL)

    assert (embed.thumbnail, embed.title) == (b"", VIDEO_TITLE)
    assert not any("pixel" in path for path in provider.requests)


def test_a_rolled_back_entry_leaves_no_thumbnail_behind(provider, stream_a, settings):
    youtube_routes(provider)
    embed = services.embed_fetch(url=VIDEO_URL)

    with pytest.raises(ValidationError):
        services.entry_create(stream=stream_a, blocks=[embed, services.TextBlock("<p> </p>")])

    assert stored_files(settings) == []
    assert not Block.objects.exists()


def test_an_embed_block_that_was_never_fetched_is_refused_by_its_own_check(stream_a):
    entry = Entry.objects.create(stream=stream_a)
    block = Block(entry=entry, kind=Block.Kind.EMBED, embed_url=VIDEO_URL)

    with pytest.raises(ValidationError) as caught:
        block.full_clean()

    assert caught.value.message_dict == {"embed_url": [EMBED_MISSING]}


# Every provider ----------------------------------------------------------------------------------

TWEET_HTML = (
    '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Sunsets don&#39;t get much '
    'better than this one over <a href="https://twitter.com/GrandTetonNPS">@GrandTetonNPS</a>.'
    '<br><a href="https://t.co/x">#nature</a></p>&mdash; US Department of the Interior '
    '(@Interior) <a href="https://twitter.com/Interior/status/463440424141459456">May 5, 2014</a>'
    '</blockquote>\n<script async src="https://platform.twitter.com/widgets.js"></script>'
)
BLUESKY_HTML = (
    '<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:tjf4apt65s75xiojhiqzvcan/'
    'app.bsky.feed.post/3kqmooj3ems2w" data-bluesky-cid="bafyrei"><p lang="en">Today&#39;s '
    'release: embeds follow redirects now.<br><br><a href="https://bsky.app/x">[image or '
    'embed]</a></p>&mdash; Kazuya (<a href="https://bsky.app/profile/did:plc:x">@attakei.dev</a>)'
    '</blockquote><script async src="https://embed.bsky.app/static/embed.js"></script>'
)
TELEGRAM_PAGE = (
    "<!doctype html><html><head>"
    '<meta property="og:title" content="Telegram News">'
    '<meta property="og:image" content="https://cdn4.telesco.pe/file/channel-photo.jpg">'
    '<meta property="og:description" content="Bonus track. An embeddable widget is now '
    'available for all messages in public channels.">'
    '<script>alert("never run")</script></head><body>…</body></html>'
)

PROVIDER_CASES = {
    "vimeo": (
        "https://vimeo.com/76979871",
        {
            "/api/oembed.json": answer(
                {
                    "type": "video",
                    "title": "The New Vimeo Player (You Know, For Videos)",
                    "author_name": "Vimeo Staff",
                    "author_url": "https://vimeo.com/staff",
                    "thumbnail_url": "https://i.vimeocdn.com/video/452001751-d_640",
                    "video_id": 76979871,
                }
            ),
            "/video/452001751-d_640": answer(picture((640, 360)), content_type="image/jpeg"),
        },
        (
            "The New Vimeo Player (You Know, For Videos)",
            "Vimeo Staff",
            "https://vimeo.com/staff",
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1",
            (640, 360),
        ),
    ),
    "x": (
        "https://x.com/Interior/status/463440424141459456",
        {
            "/oembed": answer(
                {
                    "type": "rich",
                    "url": "https://twitter.com/Interior/status/463440424141459456",
                    "author_name": "US Department of the Interior",
                    "author_url": "https://twitter.com/Interior",
                    "html": TWEET_HTML,
                }
            )
        },
        (
            "Sunsets don't get much better than this one over @GrandTetonNPS. #nature",
            "US Department of the Interior",
            "https://twitter.com/Interior",
            "https://platform.twitter.com/embed/Tweet.html?id=463440424141459456&dnt=true",
            None,
        ),
    ),
    "bluesky": (
        "https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w",
        {
            "/oembed": answer(
                {
                    "type": "rich",
                    "version": "1.0",
                    "author_name": "Kazuya",
                    "author_url": "https://bsky.app/profile/did:plc:tjf4apt65s75xiojhiqzvcan",
                    "html": BLUESKY_HTML,
                }
            )
        },
        (
            "Today's release: embeds follow redirects now. [image or embed]",
            "Kazuya",
            "https://bsky.app/profile/did:plc:tjf4apt65s75xiojhiqzvcan",
            "https://embed.bsky.app/embed/did:plc:tjf4apt65s75xiojhiqzvcan/app.bsky.feed.post/"
            "3kqmooj3ems2w",
            None,
        ),
    ),
    "mastodon": (
        "https://mastodon.social/@trwnh/99664077509711321",
        {
            "/api/oembed": answer(
                {
                    "type": "rich",
                    "version": "1.0",
                    "title": "New status by trwnh",
                    "author_name": "infinite love ⴳ",
                    "author_url": "https://mastodon.social/@trwnh",
                    "html": '<iframe src="https://mastodon.social/@trwnh/99664077509711321/embed">'
                    '</iframe><script src="https://mastodon.social/embed.js"></script>',
                }
            )
        },
        (
            "Post by infinite love ⴳ",
            "infinite love ⴳ",
            "https://mastodon.social/@trwnh",
            "https://mastodon.social/@trwnh/99664077509711321/embed",
            None,
        ),
    ),
    "telegram": (
        "https://t.me/telegram/83",
        {
            "/telegram/83": answer(TELEGRAM_PAGE.encode(), content_type="text/html"),
            "/file/channel-photo.jpg": answer(picture((320, 320)), content_type="image/jpeg"),
        },
        (
            "Bonus track. An embeddable widget is now available for all messages in public "
            "channels.",
            "Telegram News",
            "https://t.me/telegram",
            "https://t.me/telegram/83?embed=1",
            (320, 320),
        ),
    ),
}


@pytest.mark.parametrize("case", PROVIDER_CASES, ids=list(PROVIDER_CASES))
def test_each_provider_answer_gives_words_author_and_a_player_we_built(provider, case):
    url, routes, expected = PROVIDER_CASES[case]
    provider.routes.update(routes)

    embed = services.embed_fetch(url=url)

    size = (embed.thumbnail_width, embed.thumbnail_height) if embed.thumbnail else None
    assert (embed.title, embed.author_name, embed.author_url, embed.player_url, size) == expected
    assert embed.provider == case


def test_an_author_link_off_the_providers_site_is_dropped(provider):
    youtube_routes(provider, author_url="javascript:alert(1)")

    assert services.embed_fetch(url=VIDEO_URL).author_url == ""


def test_a_bluesky_answer_about_another_post_is_refused(provider):
    provider.routes["/oembed"] = answer(
        {"type": "rich", "html": BLUESKY_HTML.replace("3kqmooj3ems2w", "3kother00000a")}
    )

    assert refusal("https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w") == (
        "Bluesky's answer was not an embed we can use."
    )


def test_a_very_long_post_is_shortened_to_a_title_at_a_word(provider):
    words = "Shelling resumed near the northern checkpoint at dawn. " * 20
    provider.routes["/oembed"] = answer(
        {"type": "rich", "author_name": "Desk", "html": f"<blockquote><p>{words}</p></blockquote>"}
    )

    title = services.embed_fetch(url="https://x.com/desk/status/1").title

    assert len(title) <= 300 and title.endswith("…")
    assert words.startswith(title.removesuffix("…"))


# Readers -----------------------------------------------------------------------------------------

TEMPLATE = re.compile(r"<template\b.*?</template>", re.DOTALL)


@pytest.fixture
def video_entry(provider, stream_a):
    youtube_routes(provider)
    return embed_entry(stream_a)


def test_the_stream_page_shows_a_card_and_no_frame_until_asked(client, video_entry):
    page = client.get(video_entry.stream.get_absolute_url()).content.decode()
    block = video_entry.blocks.get(kind=Block.Kind.EMBED)

    assert 'class="block block--embed embed-card embed-card--video embed-card--youtube"' in page
    assert f'src="{block.embed_thumbnail.url}"' in page
    assert f'<a href="https://www.youtube.com/watch?v={VIDEO_ID}" rel="nofollow noopener">' in page
    assert 'href="https://www.youtube.com/@amnesty"' in page
    assert "Play video" in page and "/static/js/embed-player.js" in page
    # The one frame is the player kept inert in its <template> until the reader asks.
    templates = TEMPLATE.findall(page)
    assert len(templates) == 1
    assert f'<iframe class="embed-card__frame" src="{html.escape(PLAYER_URL)}"' in templates[0]
    assert 'sandbox="allow-scripts allow-same-origin allow-popups ' in templates[0]
    assert 'referrerpolicy="strict-origin-when-cross-origin" loading="lazy"' in templates[0]
    assert "<iframe" not in TEMPLATE.sub("", page)
    assert "ytimg.com" not in page


def test_a_post_card_offers_show_post_and_the_original(client, provider, stream_a):
    url, routes, _ = PROVIDER_CASES["x"]
    provider.routes.update(routes)
    entry = embed_entry(stream_a, url)

    page = client.get(entry.get_absolute_url()).content.decode()

    assert "embed-card--post embed-card--x" in page
    assert "Show post" in page
    assert "View the post on X" in page
    assert 'referrerpolicy="no-referrer"' in page
    assert "platform.twitter.com/widgets.js" not in page


def test_words_from_a_provider_are_escaped_on_the_card(client, provider, stream_a):
    youtube_routes(provider, title='<script>alert("title")</script>', author_name="<b>A</b>")
    entry = embed_entry(stream_a)

    page = client.get(entry.get_absolute_url()).content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in page
    assert "<b>A</b>" not in page


def test_embed_blocks_cost_no_extra_query_on_the_stream_page(
    client, provider, stream_a, django_assert_max_num_queries
):
    youtube_routes(provider)
    for _ in range(3):
        embed_entry(stream_a)

    with django_assert_max_num_queries(7):
        response = client.get(stream_a.get_absolute_url())

    assert response.content.decode().count("embed-card--youtube") == 3


def test_feeds_carry_an_embed_as_a_link_with_its_title(client, video_entry):
    feed = feedparser.parse(client.get(f"/streams/{video_entry.stream.slug}/feed/").content)

    content = feed.entries[0].content[0].value
    assert (
        f'<a href="https://www.youtube.com/watch?v={VIDEO_ID}">{VIDEO_TITLE}</a> — '
        "Amnesty International on YouTube"
    ) in content
    assert "iframe" not in content and "youtube-nocookie" not in content


def test_structured_data_cites_an_embed_as_a_link_with_its_title(video_entry):
    entry = Entry.objects.for_display().get(pk=video_entry.pk)

    data = seo.blog_posting(entry, lambda path: f"https://news.example.org{path}")

    assert {
        "@type": "CreativeWork",
        "name": VIDEO_TITLE,
        "url": f"https://www.youtube.com/watch?v={VIDEO_ID}",
    } in data["citation"]
    assert "nocookie" not in json.dumps(data)


def test_search_finds_an_entry_by_its_embeds_title_and_author(client, video_entry):
    search.entry_search_document_refresh([video_entry.pk])
    video_entry.refresh_from_db()

    assert f"Amnesty International: {VIDEO_TITLE}" in video_entry.search_document
    for words in ("evacuation convoy", "Amnesty"):
        response = client.get("/search/", {"q": words})
        assert video_entry.get_absolute_url() in response.content.decode()


def test_a_title_with_markup_characters_is_searched_as_written(provider, stream_a):
    youtube_routes(provider, title="Tanks <near> the A&B road")
    entry = embed_entry(stream_a)

    search.entry_search_document_refresh([entry.pk])

    assert "Tanks <near> the A&B road" in Entry.objects.get(pk=entry.pk).search_document


# The admin ---------------------------------------------------------------------------------------


def embed_errors(response) -> list[str]:
    return response.context["inline_admin_formsets"][0].formset.errors[0].get("embed_url", [])


def test_an_editor_adds_an_embed_block_and_it_is_fetched_and_stored(
    client_as, editor_a, stream_a, provider
):
    youtube_routes(provider)
    data = entry_form(
        stream_a, [{"kind": "embed", "embed_url": f"youtu.be/{VIDEO_ID}"}], action="publish"
    )

    response = client_as(editor_a).post(ADD_URL, data)

    assert response.status_code == 302
    block = Block.objects.get()
    assert block.entry.status == Entry.Status.PUBLISHED
    assert block.embed_url == f"https://www.youtube.com/watch?v={VIDEO_ID}"
    assert (block.embed_provider, block.embed_title) == ("youtube", VIDEO_TITLE)
    assert block.embed_player_url == PLAYER_URL
    assert default_storage.exists(block.embed_thumbnail.name)
    change = client_as(editor_a).get(reverse("admin:streams_entry_change", args=[block.entry_id]))
    assert block.embed_thumbnail.url in change.content.decode()
    assert "block-embed-fields" in change.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://example.org/video/1", oembed.NOT_A_PROVIDER),
        ("", EMBED_MISSING),
    ],
)
def test_a_bad_embed_address_is_refused_beside_the_field_and_nothing_is_saved(
    client_as, editor_a, stream_a, provider, settings, url, message
):
    data = entry_form(stream_a, [{"kind": "embed", "embed_url": url}], action="publish")

    response = client_as(editor_a).post(ADD_URL, data)

    assert response.status_code == 200
    assert embed_errors(response) == [message]
    assert html.escape(message) in response.content.decode()
    assert not Entry.objects.exists() and not Block.objects.exists()
    assert stored_files(settings) == []
    assert provider.requests == []


def test_a_provider_that_times_out_in_the_admin_saves_nothing(
    client_as, editor_a, stream_a, provider, settings, monkeypatch
):
    monkeypatch.setattr(oembed, "TIMEOUTS", {**oembed.TIMEOUTS, "read": 0.3})
    provider.routes["/oembed"] = lambda handler: time.sleep(1)
    data = entry_form(
        stream_a,
        [{"body": "<p>Watch this:</p>"}, {"kind": "embed", "embed_url": VIDEO_URL}],
        action="publish",
    )

    response = client_as(editor_a).post(ADD_URL, data)

    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors[1]["embed_url"] == ["YouTube did not answer in time; try again."]
    assert not Entry.objects.exists() and not Block.objects.exists()
    assert stored_files(settings) == []


def test_a_thumbnail_refused_in_the_admin_is_shown_beside_the_field(
    client_as, editor_a, stream_a, provider
):
    youtube_routes(provider)
    provider.routes[f"/vi/{VIDEO_ID}/hqdefault.jpg"] = answer(b"<?php echo 1; ?>")
    data = entry_form(stream_a, [{"kind": "embed", "embed_url": VIDEO_URL}])

    response = client_as(editor_a).post(ADD_URL, data)

    assert embed_errors(response) == ["YouTube's thumbnail was not an image we can use."]
    assert not Entry.objects.exists()


def test_saving_an_entry_again_does_not_fetch_its_embed_again(
    client_as, editor_a, stream_a, provider
):
    youtube_routes(provider)
    entry = embed_entry(stream_a)
    asked = len(provider.requests)
    block = entry.blocks.get(kind=Block.Kind.EMBED)
    data = edit_form(
        entry, title="The convoy arrives in Aleppo", **{"blocks-1-embed_url": block.embed_url}
    )

    response = client_as(editor_a).post(change_url(entry), data)

    assert response.status_code == 302
    assert len(provider.requests) == asked
    assert Entry.objects.get(pk=entry.pk).title == "The convoy arrives in Aleppo"
    assert Block.objects.get(pk=block.pk).embed_thumbnail.name == block.embed_thumbnail.name


def test_clearing_a_stored_embeds_address_is_refused_beside_the_field(
    client_as, editor_a, stream_a, provider
):
    youtube_routes(provider)
    entry = embed_entry(stream_a)
    block = entry.blocks.get(kind=Block.Kind.EMBED)

    response = client_as(editor_a).post(change_url(entry), edit_form(entry))

    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors[1] == {"embed_url": [EMBED_MISSING]}
    assert Block.objects.get(pk=block.pk).embed_url == block.embed_url


def test_embeds_are_fetched_before_the_admins_transaction_when_asked(provider, editor_a, stream_a):
    youtube_routes(provider)
    entry = embed_entry(stream_a)
    stored = entry.blocks.get(kind=Block.Kind.EMBED)
    asked = len(provider.requests)
    request = RequestFactory().post(
        ADD_URL,
        {
            "blocks-0-kind": "embed",
            "blocks-0-embed_url": VIDEO_URL,
            "blocks-1-kind": "embed",
            "blocks-1-embed_url": "https://example.org/nothing",
            "blocks-2-kind": "text",
            "blocks-2-embed_url": "https://vimeo.com/1",
            "blocks-3-kind": "embed",
            "blocks-3-id": stored.pk,
            "blocks-3-embed_url": stored.embed_url,
        },
    )

    embeds_prefetch(request)

    found = request.prefetched_embeds
    assert set(found) == {VIDEO_URL, "https://example.org/nothing"}
    assert found[VIDEO_URL].title == VIDEO_TITLE
    assert isinstance(found["https://example.org/nothing"], ValidationError)
    # One look-up and one thumbnail for the new address; nothing for the stored one.
    assert len(provider.requests) == asked + 2
