"""Make the explainer video that /about/ plays, from the demo site itself:

    .venv/bin/python explainer/make.py [--keep]      (or: make explainer)

It serves the demo on loopback (DEBUG on, a throwaway SQLite database filled by seed_demo,
runserver on a free port, the clock set to a fixed instant), films the page of each scene of
narration.toml with Chromium, speaks each scene's text with espeak-ng and assembles the scenes
with ffmpeg, each lasting as long as its narration. It writes into static/explainer/:

    explainer.webm         VP9 and Opus: what Chromium and Firefox play
    explainer.mp4          H.264 and AAC: for Safari
    explainer-poster.webp  the first scene
    explainer.en.vtt       the captions, timed by the length of each spoken clip
    explainer.en.txt       the transcript, one paragraph per scene

Needs ffmpeg and espeak-ng (apt-get install ffmpeg espeak-ng) and Debian's chromium, driven by
Playwright from the dev dependencies. Only remaking the video needs them, not the site.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.server import PYTHON, free_port, http_status, log_tail  # noqa: E402
from explainer import narration  # noqa: E402
from explainer.narration import Cue, Narration  # noqa: E402

OUTPUT_DIR = BASE_DIR / "static" / "explainer"
NAME = "explainer"
# The instant the demo is seeded and served at. The server's clock starts a minute later, so
# that the demo's newest entries, published "now" while seeding, are in its past.
SEEDED_AT = datetime(2025, 11, 18, 15, 0, tzinfo=UTC)
SERVED_AT = SEEDED_AT + timedelta(minutes=1)
# Laid out at 1024 by 576 and drawn 1.25 times as large into a 1280 by 720 frame: text big
# enough to read in the player's box on a page.
VIEWPORT = {"width": 1024, "height": 576}
SCALE = 1.25
FPS = 25
# Silence before each scene's words and (at least) after them: a breath between pages.
LEAD_S = 0.4
TAIL_S = 0.6
# Visitors meet a demo stream here; the entry quotes a translated source, with its original.
STREAM = "duma-budget-debate-live"
ENTRY_TITLE = "The Finance Ministry Presents Its Numbers"
VISITOR = {
    "Your name": "Kofi Mensah",
    "E-mail address": "kofi@example.net",
    "Organisation": "Coastline Weekly",
    "Why would you like to join?": "I cover the Arden Valley floods and want to follow "
    "the live streams.",
}
SERVER_TIMEOUT_S = 60
STEP_TIMEOUT_S = 300
# Each tool runs on one thread: the machine is shared, and one thread encodes the same bytes
# every time.
ONE_THREAD = ["-threads", "1"]
# No encoder versions, dates or names from the machine in the files.
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]
BITEXACT += ["-map_metadata", "-1", "-map_chapters", "-1"]


class MakeError(RuntimeError):
    """Something the person remaking the video has to fix; the message says what."""


# --- Tools -----------------------------------------------------------------------------------


def check_tools() -> None:
    from tests.chromium import CHROMIUM

    missing = [tool for tool in ("ffmpeg", "ffprobe", "espeak-ng") if shutil.which(tool) is None]
    problems = []
    if missing:
        problems.append(
            f"{', '.join(missing)} not found: install them with "
            "`apt-get install ffmpeg espeak-ng` (Debian, Ubuntu)."
        )
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        problems.append(f"Chromium not found at {CHROMIUM}: `apt-get install chromium`.")
    try:
        import playwright  # noqa: F401
    except ImportError:
        problems.append("Playwright is missing: `.venv/bin/pip install -e '.[dev]'`.")
    if problems:
        raise MakeError("\n".join(problems))


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            command, check=True, capture_output=True, timeout=STEP_TIMEOUT_S, **kwargs
        )
    except subprocess.CalledProcessError as error:
        output = (error.stderr or error.stdout or b"").decode(errors="replace")[-3000:]
        raise MakeError(f"{command[0]} failed ({error.returncode}):\n{output}") from None
    except subprocess.TimeoutExpired:
        raise MakeError(f"{command[0]} took more than {STEP_TIMEOUT_S} s.") from None


# --- The demo site ---------------------------------------------------------------------------


def demo_env(tmp: Path) -> dict[str, str]:
    """The demo's settings on a database and media folder of its own, and a cache of its own
    (a CACHE_URL of the caller's would share live-update versions with another site)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="pressimus.settings",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp / 'demo.sqlite3'}",
        MEDIA_ROOT=str(tmp / "media"),
        CACHE_URL="locmemcache://explainer",
        EMAIL_URL="consolemail://",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        ADMIN_REQUIRE_MFA="false",
        SECURE_SSL_REDIRECT="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def at(instant: datetime, *command: str) -> list[str]:
    return [PYTHON, "-m", "explainer.clock", instant.isoformat(), *command]


def prepare_demo(env: dict[str, str]) -> None:
    print("== migrate and seed_demo, on a throwaway SQLite database", flush=True)
    run([PYTHON, "manage.py", "migrate", "--no-input"], cwd=BASE_DIR, env=env)
    run(at(SEEDED_AT, "seed_demo"), cwd=BASE_DIR, env=env)


class DemoServer:
    """runserver on 127.0.0.1, on a free port, for the duration of a with block."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DemoServer:
        command = at(SERVED_AT, "runserver", "--noreload", f"127.0.0.1:{self.port}")
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.__exit__()
                raise MakeError(f"runserver stopped:\n{log_tail(self.log_path)}")
            try:
                if http_status(self.port, "/robots.txt") == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise MakeError(f"runserver did not answer in {SERVER_TIMEOUT_S} s.")

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.log.close()


# --- Filming ---------------------------------------------------------------------------------


def film_home(page: Page, url: str) -> None:
    page.goto(url + "/")


def film_stream(page: Page, url: str) -> None:
    page.goto(f"{url}/streams/{STREAM}/")
    # Down to the newest entries: their times, quotes and bylines.
    scroll_to(page, page.locator("section:has([data-updates-url])"), margin=24)


def film_entry(page: Page, url: str) -> None:
    page.get_by_role("link", name=ENTRY_TITLE, exact=True).first.click()
    page.wait_for_load_state()
    quote = page.locator(".block--quote", has=page.locator(".quote__original")).first
    quote.locator("summary").click()
    scroll_to(page, page.get_by_role("heading", level=1), margin=48)


def film_source(page: Page, url: str) -> None:
    quote = page.locator(".block--quote", has=page.locator(".quote__original")).first
    quote.locator(".quote__source a").click()
    page.wait_for_load_state()


def film_request(page: Page, url: str) -> None:
    page.goto(url + "/")
    page.get_by_role("link", name="Request Invitation").first.click()
    page.wait_for_load_state()
    for label, value in VISITOR.items():
        page.get_by_label(label).fill(value)
    # From the last field to the button, as a person would: the button shows its focus ring.
    page.get_by_label("Why would you like to join?").focus()
    page.keyboard.press("Tab")
    scroll_to_bottom(page, page.get_by_role("button", name="Request Invitation"), margin=48)


def film_sent(page: Page, url: str) -> None:
    page.get_by_role("button", name="Request Invitation").click()
    page.wait_for_load_state()


# In the order of narration.toml: each scene goes on from the page the one before left.
FILMS: dict[str, Callable[[Page, str], None]] = {
    "home": film_home,
    "stream": film_stream,
    "entry": film_entry,
    "source": film_source,
    "request": film_request,
    "sent": film_sent,
}


def scroll_to(page: Page, locator: Locator, *, margin: int) -> None:
    """Bring an element near the top of the frame, under ``margin`` pixels of what is above."""
    top = locator.evaluate("element => element.getBoundingClientRect().top + window.scrollY")
    page.evaluate("top => window.scrollTo(0, Math.max(0, top))", top - margin)


def scroll_to_bottom(page: Page, locator: Locator, *, margin: int) -> None:
    """Bring an element near the bottom of the frame, ``margin`` pixels above its edge."""
    bottom = locator.evaluate("element => element.getBoundingClientRect().bottom + window.scrollY")
    page.evaluate(
        "bottom => window.scrollTo(0, Math.max(0, bottom - window.innerHeight))", bottom + margin
    )


def film(script: Narration, url: str, tmp: Path) -> list[Path]:
    from playwright.sync_api import Error, sync_playwright

    from tests.chromium import chromium

    unknown = [scene.name for scene in script.scenes if scene.name not in FILMS]
    if unknown:
        raise MakeError(f"narration.toml: no page to film for scene(s) {', '.join(unknown)}.")
    shots = []
    with sync_playwright() as playwright, chromium(playwright) as browser:
        context = browser.new_context(
            viewport=VIEWPORT,
            device_scale_factor=SCALE,
            locale="en-GB",
            timezone_id="UTC",
            color_scheme="light",
            reduced_motion="reduce",
        )
        # The page's own clock agrees with the server's, for the ages scripts keep fresh.
        context.clock.set_fixed_time(SERVED_AT + timedelta(seconds=30))
        page = context.new_page()
        # Every page is on loopback: a step that waits longer has lost its way.
        page.set_default_timeout(10_000)
        for number, scene in enumerate(script.scenes, start=1):
            print(f"== filming {scene.name}", flush=True)
            try:
                FILMS[scene.name](page, url)
            except Error as error:
                raise MakeError(
                    f"filming scene {scene.name!r} on {page.url}: {error.message.splitlines()[0]}"
                    " (has the page, or the demo content in seed_demo.toml, changed?)"
                ) from None
            shot = tmp / f"{number:02d}-{scene.name}.png"
            page.screenshot(path=shot, animations="disabled", caret="hide")
            shots.append(shot)
        context.close()
    return shots


# --- Narration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Soundtrack:
    path: Path
    scene_frames: list[int]
    """How many video frames each scene lasts."""
    cues: list[Cue]

    @property
    def duration(self) -> float:
        return sum(self.scene_frames) / FPS


def speak(script: Narration, tmp: Path) -> Soundtrack:
    """Speak each caption as a clip of its own, so that each caption lasts exactly as long as
    its clip (counted in samples: what ffprobe would measure). espeak-ng pauses at the
    punctuation captions are cut at anyway, so the clips in a row sound like the sentence
    spoken whole."""
    samples: list[bytes] = []
    cues: list[Cue] = []
    scene_frames: list[int] = []
    params = None
    position = 0  # in samples

    def silence(count: int) -> bytes:
        return b"\x00" * (count * params.sampwidth * params.nchannels)

    for scene in script.scenes:
        clips = []
        for number, text in enumerate(scene.cues):
            clip = tmp / f"{scene.name}-{number}.wav"
            speed = str(script.words_per_minute)
            run(["espeak-ng", "-v", script.voice, "-s", speed, "-w", str(clip), text])
            with wave.open(str(clip), "rb") as reader:
                if params is None:
                    params = reader.getparams()
                if reader.getparams()[:3] != params[:3]:
                    raise MakeError(f"espeak-ng changed its output format at {clip.name}.")
                clips.append((text, reader.readframes(reader.getnframes())))
        rate = params.framerate
        scene_start = position
        samples.append(silence(round(LEAD_S * rate)))
        position += round(LEAD_S * rate)
        for text, pcm in clips:
            length = len(pcm) // (params.sampwidth * params.nchannels)
            cues.append(Cue(start=position / rate, end=(position + length) / rate, text=text))
            samples.append(pcm)
            position += length
        # The scene ends on a video frame, after at least the tail of silence.
        frames = math.ceil((position - scene_start + TAIL_S * rate) * FPS / rate)
        end = scene_start + frames * rate // FPS
        samples.append(silence(end - position))
        position = end
        scene_frames.append(frames)

    path = tmp / "narration.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setparams(params)
        writer.writeframes(b"".join(samples))
    return Soundtrack(path=path, scene_frames=scene_frames, cues=cues)


# --- Assembling ------------------------------------------------------------------------------


def assemble(shots: list[Path], soundtrack: Soundtrack, out: Path) -> None:
    inputs: list[str] = []
    chains = []
    for number, (shot, frames) in enumerate(zip(shots, soundtrack.scene_frames, strict=True)):
        inputs += ["-loop", "1", "-framerate", str(FPS), "-i", str(shot)]
        chains.append(f"[{number}:v]trim=end_frame={frames},setpts=PTS-STARTPTS[s{number}]")
    audio = len(shots)
    inputs += ["-i", str(soundtrack.path)]
    joined = "".join(f"[s{number}]" for number in range(len(shots)))
    # Screenshots are sRGB: converted with the HD matrix, and tagged so players agree.
    graph = ";".join(
        [
            *chains,
            f"{joined}concat=n={len(shots)}:v=1:a=0,"
            "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p[v]",
        ]
    )
    starts, total = [], 0
    for frames in soundtrack.scene_frames:
        starts.append(f"{total / FPS:.2f}")
        total += frames
    common = [
        *inputs,
        "-filter_complex", graph,
        "-map", "[v]", "-map", f"{audio}:a",
        "-r", str(FPS),
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv",
        # A key frame at each new page, so that seeking to a scene is quick.
        "-force_key_frames", ",".join(starts),
        "-g", str(10 * FPS),
        *ONE_THREAD,
        *BITEXACT,
    ]  # fmt: skip
    print("== encoding WebM (VP9, Opus)", flush=True)
    run([
        "ffmpeg", "-hide_banner", "-nostdin", "-y", *common,
        "-c:v", "libvpx-vp9", "-crf", "36", "-b:v", "0", "-deadline", "good",
        "-cpu-used", "2", "-row-mt", "0", "-tile-columns", "0", "-auto-alt-ref", "1",
        "-c:a", "libopus", "-b:a", "32k", "-ac", "1", "-ar", "48000",
        "-f", "webm", str(out / f"{NAME}.webm"),
    ])  # fmt: skip
    print("== encoding MP4 (H.264, AAC)", flush=True)
    run([
        "ffmpeg", "-hide_banner", "-nostdin", "-y", *common,
        # High profile, level 4.0: what the page's codecs string (avc1.640028) promises.
        "-c:v", "libx264", "-preset", "slow", "-tune", "stillimage", "-crf", "30",
        "-profile:v", "high", "-level:v", "4.0", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-ar", "48000",
        # The index first, so that playing starts before the whole file has arrived.
        "-movflags", "+faststart", "-f", "mp4", str(out / f"{NAME}.mp4"),
    ])  # fmt: skip


def make_poster(first_shot: Path, out: Path) -> None:
    from PIL import Image

    with Image.open(first_shot) as image:
        image.convert("RGB").save(out / f"{NAME}-poster.webp", "WEBP", quality=80, method=6)


def probe_duration(path: Path) -> float:
    result = run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)]
    )
    return float(result.stdout)


# --- Main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep", action="store_true", help="keep the working folder (screenshots, clips, log)"
    )
    args = parser.parse_args()
    try:
        check_tools()
        script = narration.load()
        tmp = Path(tempfile.mkdtemp(prefix="pressimus-explainer-"))
        try:
            make(script, tmp)
        finally:
            if args.keep:
                print(f"== working folder kept: {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    except (MakeError, narration.NarrationError) as error:
        print(f"explainer: {error}", file=sys.stderr)
        return 1
    return 0


def make(script: Narration, tmp: Path) -> None:
    env = demo_env(tmp)
    prepare_demo(env)
    with DemoServer(env, tmp / "server.log") as server:
        shots = film(script, server.url, tmp)
    print("== speaking the narration with espeak-ng", flush=True)
    soundtrack = speak(script, tmp)
    if soundtrack.duration > 60:
        raise MakeError(
            f"The narration lasts {soundtrack.duration:.1f} s: shorten narration.toml to 60 s."
        )
    # Made aside, then moved in together: a failure leaves the files of the last good run.
    out = tmp / "out"
    out.mkdir()
    assemble(shots, soundtrack, out)
    make_poster(shots[0], out)
    (out / f"{NAME}.en.vtt").write_text(narration.webvtt(soundtrack.cues), encoding="utf-8")
    (out / f"{NAME}.en.txt").write_text(script.transcript, encoding="utf-8")
    durations = {name: probe_duration(out / f"{NAME}.{name}") for name in ("webm", "mp4")}
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"== written to {OUTPUT_DIR.relative_to(BASE_DIR)}/")
    for path in sorted(out.iterdir()):
        shutil.copyfile(path, OUTPUT_DIR / path.name)
        print(f"   {path.name:24} {path.stat().st_size / 1024:8.1f} KiB")
    print(
        f"   {len(script.scenes)} scenes, {soundtrack.duration:.2f} s "
        f"(WebM {durations['webm']:.2f} s, MP4 {durations['mp4']:.2f} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
