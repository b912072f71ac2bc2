"""/about/: the explainer video with its captions and transcript — the one that ships with
Pressimus (static/explainer/, made by `make explainer`) until staff give their own."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from explainer import narration
from invitations.models import Explainer
from tests.fixtures_invitations import *  # noqa: F403

URL = "/about/"
SHIPPED = "explainer/explainer"
# "A few MB at most" for both videos together, so that /about/ stays light on a phone.
MAX_VIDEO_BYTES = 3 * 1024 * 1024


def shipped(suffix: str) -> Path:
    path = finders.find(SHIPPED + suffix)
    assert path, f"static/{SHIPPED}{suffix} is missing: run `make explainer`"
    return Path(path)


# The shipped explainer


def test_without_an_explainer_the_shipped_video_plays_with_captions_and_transcript(client, db):
    response = client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>What is Pressimus?</h1>", html=True)
    content = response.content.decode()
    assert (
        '<video class="explainer__video" controls preload="metadata" '
        'poster="/static/explainer/explainer-poster.webp">' in content
    )
    # The WebM first: a Chromium without proprietary codecs plays nothing else.
    webm = content.index(
        '<source src="/static/explainer/explainer.webm" '
        'type="video/webm; codecs=&quot;vp9, opus&quot;">'
    )
    mp4 = content.index(
        '<source src="/static/explainer/explainer.mp4" '
        'type="video/mp4; codecs=&quot;avc1.640028, mp4a.40.2&quot;">'
    )
    assert webm < mp4
    assert (
        '<track kind="captions" srclang="en" label="English" '
        'src="/static/explainer/explainer.en.vtt" default>' in content
    )
    assertContains(response, '<a href="#transcript">Read the transcript</a>', html=True)
    assertContains(
        response, '<h2 id="transcript-heading" class="section-title">Transcript</h2>', html=True
    )
    for scene in narration.load().scenes:
        assertContains(response, f"<p>{scene.text}</p>", html=True)
    assertContains(
        response, '<a class="button" href="/invitations/request/">Request Invitation</a>', html=True
    )


def test_every_file_the_shipped_explainer_names_is_there(client, db):
    response = client.get(URL)

    for suffix in [".webm", ".mp4", "-poster.webp", ".en.vtt"]:
        assertContains(response, f"/static/{SHIPPED}{suffix}")
        assert shipped(suffix).stat().st_size > 0


def test_an_explainer_without_a_video_leaves_the_shipped_one_playing(client, db):
    Explainer.objects.create(title="Our explainer", transcript="Not filmed yet.")

    response = client.get(URL)

    assertContains(response, '<source src="/static/explainer/explainer.webm"')
    assertContains(response, "<h1>What is Pressimus?</h1>", html=True)
    assertNotContains(response, "Not filmed yet.")


# Staff's own explainer


def test_an_explainer_saved_in_the_admin_replaces_the_shipped_one(client, client_as, reviewer):
    saved = client_as(reviewer).post(
        reverse("admin:invitations_explainer_add"),
        {
            "title": "Pressimus in two minutes",
            "video_file": SimpleUploadedFile("ours.mp4", b"\x00\x00\x00\x18ftypmp42"),
            "poster": "",
            "captions": SimpleUploadedFile("ours.vtt", b"WEBVTT\n\n00:00.000 --> 00:02.000\nHi\n"),
            "captions_language": "en",
            "transcript": "Hello, this is Pressimus.\n\nIt publishes press streams <live>.",
        },
    )
    assert saved.status_code == 302

    response = client.get(URL)

    assertContains(response, "<h1>Pressimus in two minutes</h1>", html=True)
    content = response.content.decode()
    assert content.count("<source ") == 1
    assert '<source src="/media/explainer/ours' in content
    track = '<track kind="captions" srclang="en" label="English" src="/media/explainer/ours'
    assert track in content
    assert "/static/explainer/" not in content
    assert "poster=" not in content
    assertContains(response, "<p>Hello, this is Pressimus.</p>", html=True)
    assertContains(response, "It publishes press streams &lt;live&gt;.")
    assertNotContains(response, narration.load().scenes[0].text)


def test_a_video_file_plays_with_its_own_poster(client, db):
    Explainer.objects.create(
        video_file=SimpleUploadedFile("explainer.mp4", b"\x00\x00\x00\x18ftypmp42"),
        poster=SimpleUploadedFile("poster.png", b"\x89PNG\r\n\x1a\n"),
    )

    response = client.get(URL)

    assertContains(response, 'poster="/media/explainer/poster')
    assertContains(response, 'href="/media/explainer/explainer')


def test_a_video_url_plays_and_a_missing_transcript_falls_back_to_the_explanation(client, db):
    Explainer.objects.create(
        video_url="https://media.example/explainer.webm", captions_language="xx"
    )

    response = client.get(URL)

    assertContains(response, '<source src="https://media.example/explainer.webm">', html=True)
    assertNotContains(response, "<track")
    assertNotContains(response, "Read the transcript")
    assertContains(
        response, '<h2 id="transcript-heading" class="section-title">In a few words</h2>', html=True
    )
    assertContains(response, "<strong>press streams</strong>", html=True)
    assertContains(response, 'href="https://media.example/explainer.webm">Download the video</a>')


# The landing page leads here


def test_the_landing_page_leads_visitors_to_the_explainer_and_the_request_form(client, db):
    response = client.get("/")

    assertContains(
        response,
        '<a class="button button--secondary" href="/about/">Watch quick explainer video</a>',
        html=True,
    )
    assertContains(
        response, '<a class="button" href="/invitations/request/">Request Invitation</a>', html=True
    )
    assertContains(response, "Live and recent streams")


def test_the_landing_page_drops_the_invitation_call_for_members(client_as, member):
    response = client_as(member).get("/")

    assertNotContains(response, "Watch quick explainer video")


# The shipped files agree with explainer/narration.toml: an edit of the narration without
# `make explainer` fails here.


def test_the_shipped_captions_are_the_narration_in_order_and_in_time():
    script = narration.load()
    text = shipped(".en.vtt").read_text(encoding="utf-8")
    cues = narration.parse_webvtt(text)

    assert text.startswith("WEBVTT\n\n")
    assert [cue.text for cue in cues] == [c for scene in script.scenes for c in scene.cues]
    for cue, following in itertools.pairwise(cues):
        assert cue.start < cue.end <= following.start
    assert cues[-1].end <= webm_duration(shipped(".webm").read_bytes())
    for line in text.splitlines():
        assert len(line) <= narration.LINE_LENGTH


def test_the_shipped_transcript_is_the_narration():
    assert shipped(".en.txt").read_text(encoding="utf-8") == narration.load().transcript


def test_the_shipped_video_lasts_a_minute_at_most_and_stays_small():
    webm, mp4 = shipped(".webm").read_bytes(), shipped(".mp4").read_bytes()

    assert 10 < webm_duration(webm) <= 60
    assert mp4_duration(mp4) == pytest.approx(webm_duration(webm), abs=0.1)
    assert len(webm) + len(mp4) <= MAX_VIDEO_BYTES


# The narration's captions


def test_a_clause_too_long_for_a_caption_is_refused_with_its_scene(tmp_path):
    script = tmp_path / "narration.toml"
    script.write_text(
        'voice = "en-gb"\nwords_per_minute = 150\n'
        '[[scenes]]\nname = "home"\n'
        f'text = "{"word " * 20}without a single comma anywhere in it at all."\n'
    )

    with pytest.raises(narration.NarrationError, match=r"scene 'home'.*add a comma"):
        narration.load(script)


def test_captions_are_cut_at_punctuation_then_before_a_linking_word():
    scene = narration.Scene(
        name="entry",
        text="Entries mix the writer's words with quoted sources, linked to where they were "
        "said. See here. Quotes sit beside their original.",
    )

    assert [narration.lines(cue) for cue in scene.cues] == [
        ["Entries mix the writer's words", "with quoted sources,"],
        # A sentence starts a caption of its own, unless the one before is short.
        ["linked to where they were said."],
        ["See here.", "Quotes sit beside their original."],
    ]


# Durations read from the containers' headers, without ffprobe (CI has no ffmpeg).


def mp4_duration(data: bytes) -> float:
    """The movie header's duration (ISO BMFF ``moov/mvhd``)."""
    mvhd = _mp4_box(_mp4_box(data, b"moov"), b"mvhd")
    if mvhd[0] == 1:
        timescale, duration = struct.unpack(">IQ", mvhd[20:32])
    else:
        timescale, duration = struct.unpack(">II", mvhd[12:20])
    return duration / timescale


def _mp4_box(data: bytes, kind: bytes) -> bytes:
    offset = 0
    while offset + 8 <= len(data):
        size, found = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
            header = 16
        elif size == 0:
            size = len(data) - offset
        if found == kind:
            return data[offset + header : offset + size]
        offset += size
    raise AssertionError(f"no {kind.decode()} box")


# Matroska element ids: Segment, Info, TimestampScale (ns per tick), Duration (in ticks).
SEGMENT, INFO, TIMESTAMP_SCALE, DURATION = 0x18538067, 0x1549A966, 0x2AD7B1, 0x4489


def webm_duration(data: bytes) -> float:
    """The Segment Info's Duration (Matroska's EBML), in seconds."""
    segment = _ebml_child(data, SEGMENT)
    info = _ebml_child(segment, INFO)
    scale = int.from_bytes(_ebml_child(info, TIMESTAMP_SCALE), "big")
    duration = _ebml_child(info, DURATION)
    (ticks,) = struct.unpack(">d" if len(duration) == 8 else ">f", duration)
    return ticks * scale / 1e9


def _ebml_child(data: bytes, wanted: int) -> bytes:
    position = 0
    while position < len(data):
        element, position = _ebml_number(data, position, keep_marker=True)
        size, position = _ebml_number(data, position, keep_marker=False)
        if element == wanted:
            return data[position : position + size]
        position += size
    raise AssertionError(f"no EBML element {wanted:#x}")


def _ebml_number(data: bytes, position: int, *, keep_marker: bool) -> tuple[int, int]:
    """A variable-length number: its length is one more than the first byte's leading zeros."""
    first = data[position]
    length = 9 - first.bit_length()
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[position + 1 : position + length]:
        value = value << 8 | byte
    return value, position + length
