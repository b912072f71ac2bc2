"""/about/ in Chromium: the shipped explainer plays, with its captions showing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from explainer import narration

# HTMLTrackElement.LOADED; HTMLMediaElement.HAVE_METADATA and HAVE_FUTURE_DATA.
TRACK_LOADED = 2
HAVE_METADATA = 1
HAVE_FUTURE_DATA = 3


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_explainer_plays_with_its_captions_showing(request, live_server, db, device):
    page = request.getfixturevalue(device)
    first_caption = "\n".join(narration.lines(narration.load().scenes[0].cues[0]))
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto(live_server.url + "/about/")
    video = page.locator("video.explainer__video")
    expect(video).to_be_visible()

    # Captions are on before anyone presses play: the default track loads with its cues.
    # A function, not a string: the page's policy forbids eval.
    page.wait_for_function(
        "loaded => document.querySelector('video track').readyState === loaded", arg=TRACK_LOADED
    )
    track = video.evaluate(
        """video => ({mode: video.textTracks[0].mode, kind: video.textTracks[0].kind,
                      cues: video.textTracks[0].cues.length,
                      first: video.textTracks[0].cues[0].text})"""
    )
    assert track == {
        "mode": "showing",
        "kind": "captions",
        "cues": sum(len(scene.cues) for scene in narration.load().scenes),
        "first": first_caption,
    }

    # preload="metadata": the size and length are known before playing.
    assert video.evaluate("video => video.readyState") >= HAVE_METADATA
    # Each caption as it comes on screen, however late this test reads them.
    video.evaluate(
        """video => {
            window.captionsShown = [];
            video.textTracks[0].addEventListener("cuechange", event => {
                for (const cue of event.target.activeCues) window.captionsShown.push(cue.text);
            });
        }"""
    )
    # A click on the page is the user's gesture; muted, play() needs nothing more.
    page.get_by_role("heading", level=1).click()
    video.evaluate("video => { video.muted = true; return video.play(); }")
    page.wait_for_function(
        "() => document.querySelector('video').currentTime > 1", polling=100, timeout=10_000
    )

    playing = video.evaluate(
        """video => ({src: video.currentSrc, readyState: video.readyState, paused: video.paused,
                      width: video.videoWidth, height: video.videoHeight,
                      shown: window.captionsShown[0]})"""
    )
    # Chromium plays the WebM, the first source; an MP4 it could not decode is never tried.
    assert playing["src"].endswith("/static/explainer/explainer.webm")
    assert playing["readyState"] >= HAVE_FUTURE_DATA
    assert not playing["paused"]
    assert (playing["width"], playing["height"]) == (1280, 720)
    assert playing["shown"] == first_caption
    # The player fits the column on a phone as on a desktop.
    box = video.bounding_box()
    assert box["width"] <= page.viewport_size["width"]
    assert box["height"] == pytest.approx(box["width"] * 9 / 16, abs=2)
    assert problems == []
