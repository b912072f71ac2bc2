"""The Nu HTML Checker (vnu.jar, the W3C validator's engine), run with the machine's Java.

The jar comes from the npm package ``vnu-jar``: about 30 MB, too big to keep in the repository,
so the first run fetches it with ``npm pack`` (from npm's cache when it is there) into
``.cache/`` (gitignored) and later runs find it there. Like the browser tests (tests/chromium.py),
a missing jar or Java skips the check loudly locally and fails it under CI=true.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

VNU_JAR_VERSION = "26.9.27"
# Of build/dist/vnu.jar in that version's npm package: a new version is a deliberate change.
VNU_JAR_SHA256 = "22f15dd39a33bed929d2a5c0cddf5946849a647eca9272bf4d5d00bc7e7a4d47"
JAR = Path(__file__).resolve().parent.parent / ".cache" / f"vnu-jar-{VNU_JAR_VERSION}" / "vnu.jar"
_JAR_IN_PACKAGE = "package/build/dist/vnu.jar"


@dataclass(frozen=True)
class Message:
    file: str
    line: int | None
    column: int | None
    text: str
    extract: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        extract = " ".join(self.extract.split())
        return f"{where}: {self.text}" + (f"\n    {extract}" if extract else "")


def _unavailable(reason: str) -> None:
    message = f"the Nu HTML Checker cannot run: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    warnings.warn(message, stacklevel=3)
    pytest.skip(f"!!! HTML CHECK SKIPPED !!! {message}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch() -> None:
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed, to fetch vnu.jar (apt-get install npm)")
    JAR.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=JAR.parent) as folder:
        result = subprocess.run(
            [npm, "pack", f"vnu-jar@{VNU_JAR_VERSION}", "--pack-destination", folder, "--silent"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        package = Path(folder) / f"vnu-jar-{VNU_JAR_VERSION}.tgz"
        if result.returncode != 0 or not package.exists():
            _unavailable(f"`npm pack vnu-jar@{VNU_JAR_VERSION}` failed: {result.stderr.strip()}")
        with tarfile.open(package) as archive:
            member = archive.extractfile(_JAR_IN_PACKAGE)
            assert member is not None, f"{_JAR_IN_PACKAGE} is missing from {package.name}"
            partial = Path(folder) / "vnu.jar"
            with partial.open("wb") as out:
                shutil.copyfileobj(member, out)
        found = _sha256(partial)
        if found != VNU_JAR_SHA256:
            pytest.fail(
                f"vnu-jar@{VNU_JAR_VERSION} from npm is not the jar this check was written "
                f"against (SHA-256 {found}, expected {VNU_JAR_SHA256})",
                pytrace=False,
            )
        # Renamed into place whole: a run that stops half-way leaves no broken jar behind.
        partial.replace(JAR)


def require_vnu() -> list[str]:
    """The command that runs the checker, fetching the jar first if need be; skips the calling
    test (fails it under CI=true) when Java or the jar cannot be had."""
    java = shutil.which("java")
    if java is None:
        _unavailable("Java is not installed (apt-get install default-jre-headless)")
    if not JAR.exists():
        _fetch()
    return [java, "-jar", str(JAR)]


def check(command: Sequence[str], files: Sequence[Path]) -> list[Message]:
    """The errors the checker finds in ``files``, in one run of the checker for all of them."""
    result = subprocess.run(
        [*command, "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # The report goes to stderr; the exit status is 1 when there are errors.
    try:
        report = json.loads(result.stderr)
    except json.JSONDecodeError:
        raise AssertionError(
            f"the checker did not answer in JSON (exit {result.returncode}):\n{result.stderr}"
        ) from None
    return [
        Message(
            file=Path(message.get("url", "")).name,
            line=message.get("lastLine"),
            column=message.get("firstColumn"),
            text=message.get("message", ""),
            extract=message.get("extract", ""),
        )
        for message in report["messages"]
        if message.get("type") in ("error", "non-document-error")
    ]
