"""The explainer video's narration, read from narration.toml beside this file: the text of each
scene, cut into the captions that are spoken one clip each, and written out as WebVTT captions
and as the transcript.

Pure Python, so that the tests can check the files in static/explainer/ against the text
without ffmpeg or espeak-ng.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

NARRATION_FILE = Path(__file__).with_name("narration.toml")
# Two lines of 42 characters: the usual limit of caption guidelines (Netflix, EBU), which
# still reads on a phone.
LINE_LENGTH = 42
MAX_LINES = 2
# Cut after these, when a space follows: espeak-ng pauses there anyway, so a clip cut there
# sounds the same as the sentence spoken whole.
_PUNCTUATION = ".,:;?!"
_CLAUSE_END = re.compile(rf"(?<=[{_PUNCTUATION}])\s+")
_SENTENCE_END = (".", "?", "!")
# A second line reads best when it starts with one of these, as caption guidelines advise.
_LINKING_WORDS = frozenset(
    ["and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "that",
     "to", "when", "where", "which", "while", "who", "with"]
)  # fmt: skip


class NarrationError(ValueError):
    """narration.toml cannot be spoken or captioned as it stands."""


@dataclass(frozen=True)
class Scene:
    name: str
    text: str

    @property
    def cues(self) -> list[str]:
        return cut_into_cues(self)


def cut_into_cues(scene: Scene) -> list[str]:
    """A scene's text as captions: whole clauses, as many as fit each caption."""
    cues: list[str] = []
    for clause in _CLAUSE_END.split(scene.text):
        if not _fits(clause):
            raise NarrationError(
                f"scene {scene.name!r}: “{clause}” is too long for one caption "
                f"({MAX_LINES} lines of {LINE_LENGTH} characters): add a comma or a full stop."
            )
        if cues and _joins(cues[-1], clause):
            cues[-1] = f"{cues[-1]} {clause}"
        else:
            cues.append(clause)
    return cues


def _joins(cue: str, clause: str) -> bool:
    """Whether a clause reads well in the same caption as the clauses before it: when both
    fit, on one line or on two cut at punctuation, and no sentence starts after a long one."""
    if cue.endswith(_SENTENCE_END) and len(cue) > LINE_LENGTH // 2:
        return False
    joined = f"{cue} {clause}"
    if len(joined) <= LINE_LENGTH:
        return True
    return _fits(joined) and lines(joined)[0][-1] in _PUNCTUATION


@dataclass(frozen=True)
class Narration:
    voice: str
    words_per_minute: int
    scenes: tuple[Scene, ...]

    @property
    def transcript(self) -> str:
        """One paragraph per scene, as /about/ shows it below the video."""
        return "\n\n".join(scene.text for scene in self.scenes) + "\n"


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def load(path: Path = NARRATION_FILE) -> Narration:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        scenes = tuple(
            Scene(name=scene["name"], text=" ".join(scene["text"].split()))
            for scene in data["scenes"]
        )
        narration = Narration(
            voice=data["voice"], words_per_minute=data["words_per_minute"], scenes=scenes
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise NarrationError(f"{path.name}: {error!r}") from None
    names = [scene.name for scene in scenes]
    if not scenes or len(set(names)) != len(names) or not all(s.text for s in scenes):
        raise NarrationError(f"{path.name}: give each scene a name of its own, and some text.")
    for scene in scenes:
        cut_into_cues(scene)  # raises for a clause too long to caption
    return narration


def lines(cue: str) -> list[str]:
    """A caption's text in at most two lines: cut after punctuation if a cut there fits, else
    before a linking word ("with", "and"), else where the lines are the most even."""
    if len(cue) <= LINE_LENGTH:
        return [cue]
    spaces = [i for i, char in enumerate(cue) if char == " "]
    fitting = [i for i in spaces if i <= LINE_LENGTH and len(cue) - i - 1 <= LINE_LENGTH]
    if not fitting:
        raise NarrationError(f"“{cue}” does not fit in {MAX_LINES} lines of {LINE_LENGTH}.")
    cut = min(
        fitting,
        key=lambda i: (
            cue[i - 1] not in _PUNCTUATION,
            cue[i + 1 :].split(" ", 1)[0] not in _LINKING_WORDS,
            abs(len(cue) - 2 * i),
        ),
    )
    return [cue[:cut], cue[cut + 1 :]]


def _fits(text: str) -> bool:
    try:
        lines(text)
    except NarrationError:
        return False
    return True


def timestamp(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{milliseconds // 1000:02d}.{milliseconds % 1000:03d}"


def webvtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        text = "\n".join(lines(cue.text))
        blocks.append(f"{number}\n{timestamp(cue.start)} --> {timestamp(cue.end)}\n{text}")
    return "\n\n".join(blocks) + "\n"


def parse_webvtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file as webvtt() writes them (for the tests)."""
    cues = []
    for block in text.strip().split("\n\n")[1:]:
        _number, timing, *caption = block.split("\n")
        start, end = (_seconds(part) for part in timing.split(" --> "))
        cues.append(Cue(start=start, end=end, text=" ".join(caption)))
    return cues


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
