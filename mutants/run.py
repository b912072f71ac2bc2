"""Mutation testing of the modules that guard security and personal data (`make mutants`).

Cosmic Ray changes one thing at a time in a module (an operator, a comparison, a constant, a
flag, a decorator) and runs that module's own tests; a change no test notices is a surviving
mutant. The modules and their tests are listed in pyproject.toml, [tool.cosmic-ray.modules].

    .venv/bin/python mutants/run.py [MODULE ...]      # e.g. streams/paging.py; default: all

Cosmic Ray writes each mutant into the source file itself, so everything runs in a copy of
the tree in a temporary directory: the checkout, where others edit and test, is never
touched. Its sessions are kept in mutants/sessions/ (ignored by git) for `cr-report` and
`cr-html`. It prints each module's score and every surviving mutant, and exits 1 when a
module scores under the goal. Too slow for CI: run it before changing one of these modules.
Tests run on SQLite unless DATABASE_URL says otherwise.

Mutants that cannot change behaviour are skipped: those in annotations of a module that
postpones them (never evaluated), and those marked on their line, with the reason in a
comment above it: `# pragma: no mutate` skips every mutant of the line, as Cosmic Ray's own
cr-filter-pragma does; `# pragma: no mutate: Gt_GtE, NumberReplacer` skips only the
operators named (the end of a name from `cosmic-ray operators`), so that the line's other
mutants are still tried.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.config import serialize_config
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import MutationSpec, TestOutcome, WorkerOutcome, WorkResult

BASE_DIR = Path(__file__).resolve().parent.parent
SESSIONS = BASE_DIR / "mutants" / "sessions"
BIN = Path(sys.executable).parent
GOAL = 90.0
# A mutant may make the tests slower (a loop that no longer stops early), never endless:
# each run gets this many times the unmutated run, and at least the minimum.
TIMEOUT_FACTOR = 5
TIMEOUT_MIN = 60.0
PROGRESS_EVERY = 30.0
_PRAGMA = re.compile(r"#.*pragma:\s*no mutate(?::(?P<operators>[\w\s,]+))?")


@dataclass
class Outcome:
    module: str
    killed: int = 0
    skipped: int = 0
    survivors: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def tested(self) -> int:
        return self.killed + len(self.survivors)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.tested if self.tested else 100.0


def read_config() -> tuple[dict, dict[str, list[str]]]:
    with open(BASE_DIR / "pyproject.toml", "rb") as handle:
        config = tomllib.load(handle)["tool"]["cosmic-ray"]
    modules = config.pop("modules")
    return config, modules


def copy_tree(destination: Path) -> None:
    """The files git would see (tracked, and new files not ignored): no venv, caches or media."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = BASE_DIR / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def test_env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The copy first on the path, ahead of the editable install that points at the checkout.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")]))
    # Compiled files could outlive a mutant written within the same second as the next one.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Property tests draw the same examples every run, so a mutant's fate is not luck.
    env["HYPOTHESIS_PROFILE"] = "mutants"
    return env


def check_imports_from(tree: Path, modules: list[str], env: dict[str, str]) -> None:
    """Refuse to run if the tests would import a module from anywhere but the copy."""
    names = [module.removesuffix(".py").replace("/", ".") for module in modules]
    script = (
        "import importlib.util, sys\n"
        f"for name in {names!r}:\n"
        "    print(importlib.util.find_spec(name).origin)\n"
    )
    origins = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name, origin in zip(names, origins, strict=True):
        if not Path(origin).resolve().is_relative_to(tree.resolve()):
            sys.exit(f"mutants: {name} would be imported from {origin}, not from the copy.")


def cosmic_ray(*args: str, tree: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / args[0]), *args[1:]],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def finished(process: subprocess.Popen, what: str) -> None:
    output, _ = process.communicate()
    if process.returncode != 0:
        sys.exit(f"mutants: {what} failed:\n{output}")


def _marked(mutation: MutationSpec, lines: list[str]) -> bool:
    """Whether the mutant's line says it cannot change behaviour (see the module's doc)."""
    # The line where the mutated stretch ends, as cr-filter-pragma reads it.
    line, column = mutation.end_pos
    index = line - 1 - (column == 0)
    match = _PRAGMA.search(lines[index])
    if match is None:
        return False
    if match["operators"] is None:
        return True
    operator = mutation.operator_name.rsplit("/", 1)[-1]
    return any(
        operator == name or operator.endswith(f"_{name}")
        for name in re.split(r"[\s,]+", match["operators"].strip())
    )


def _annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's annotations are, if it postpones them (PEP 563): they are never
    evaluated then, so a mutant in one (``str | None`` to ``str & None``) changes nothing."""
    tree = ast.parse(source)
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    if not postponed:
        return []
    annotations = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            annotations.append(node.returns)
    return [
        ((a.lineno, a.col_offset), (a.end_lineno or a.lineno, a.end_col_offset or 0))
        for a in annotations
    ]


def skip_marked(session: Path, tree: Path) -> None:
    """Mark as skipped the mutants that cannot change behaviour: in an annotation, or on a
    line that says so (see the module's doc)."""
    sources: dict[Path, tuple[list, list[str]]] = {}
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.pending_work_items:
            [mutation] = item.mutations
            if mutation.module_path not in sources:
                source = (tree / mutation.module_path).read_text()
                sources[mutation.module_path] = (_annotation_spans(source), source.splitlines())
            annotations, lines = sources[mutation.module_path]
            if any(start <= mutation.start_pos < end for start, end in annotations):
                reason = "in an annotation, never evaluated"
            elif _marked(mutation, lines):
                reason = "pragma: no mutate"
            else:
                continue
            db.set_result(
                item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED)
            )


def run_module(module: str, tests: list[str], base: dict, tree: Path, env: dict) -> Outcome:
    outcome = Outcome(module)
    name = module.removesuffix(".py").replace("/", ".")
    session, config_file = SESSIONS / f"{name}.sqlite", SESSIONS / f"{name}.toml"
    # Tables made from the models rather than by migrations: seconds less for every mutant,
    # and these tests need none of the data migrations.
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    command += ["--no-migrations", *tests]

    started = time.monotonic()
    baseline = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if baseline.returncode != 0:
        outcome.errors.append(f"its tests fail without any mutant:\n{baseline.stdout[-3000:]}")
        return outcome

    config = {
        **base,
        "module-path": module,
        "test-command": " ".join(command),
        "timeout": max(TIMEOUT_MIN, TIMEOUT_FACTOR * took),
    }
    config_file.write_text(serialize_config(config))
    session.unlink(missing_ok=True)
    finished(
        cosmic_ray("cosmic-ray", "init", str(config_file), str(session), tree=tree, env=env), "init"
    )
    finished(
        cosmic_ray("cr-filter-operators", str(session), str(config_file), tree=tree, env=env),
        "cr-filter-operators",
    )
    skip_marked(session, tree)

    with use_db(str(session), WorkDB.Mode.open) as db:
        total, pending = db.num_work_items, len(list(db.pending_work_items))
    print(f"{module}: {pending} mutants to test, {took:.1f} s a run", flush=True)
    executing = cosmic_ray("cosmic-ray", "exec", str(config_file), str(session), tree=tree, env=env)
    try:
        while executing.poll() is None:
            try:
                executing.wait(PROGRESS_EVERY)
            except subprocess.TimeoutExpired:
                with use_db(str(session), WorkDB.Mode.open) as db:
                    done = db.num_results
                print(f"  {module}: {done}/{total}", flush=True)
    finally:
        # Stopped early: no further mutant is tried in a copy that is about to be deleted.
        if executing.poll() is None:
            os.killpg(executing.pid, signal.SIGTERM)
    finished(executing, "exec")

    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            [mutation] = item.mutations
            where = f"{module}:{mutation.start_pos[0]} {mutation.operator_name}"
            if result.output == "Filtered operator":
                # Not one of the replacements configured: no mutant at all.
                continue
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                outcome.skipped += 1
            elif result.worker_outcome == WorkerOutcome.NO_TEST:
                # The operator found nothing to change at that place: no mutant at all.
                outcome.skipped += 1
            elif result.worker_outcome != WorkerOutcome.NORMAL:
                outcome.errors.append(f"{where}: {result.worker_outcome}\n{result.output}")
            elif result.test_outcome == TestOutcome.SURVIVED:
                outcome.survivors.append((where, result.diff or ""))
            else:
                outcome.killed += 1
    outcome.survivors.sort(key=lambda survivor: int(survivor[0].split(":")[1].split()[0]))
    return outcome


def report(outcomes: list[Outcome], seconds: float) -> None:
    for outcome in outcomes:
        for where, diff in outcome.survivors:
            print(f"\nSURVIVED {where}")
            changed = [line for line in diff.splitlines() if line[:1] in ("+", "-")]
            print("\n".join(line for line in changed if line[:3] not in ("+++", "---")))
        for error in outcome.errors:
            print(f"\nERROR {outcome.module}: {error}")
    width = max(len(outcome.module) for outcome in outcomes)
    print(f"\n{'module':<{width}}  mutants  no-mutate  killed  survived  score")
    for o in outcomes:
        total = o.tested + o.skipped
        print(
            f"{o.module:<{width}}  {total:>7}  {o.skipped:>9}  {o.killed:>6}  "
            f"{len(o.survivors):>8}  {o.score:5.1f}%"
        )
    print(f"\n{seconds / 60:.1f} minutes; goal {GOAL:.0f}% on each module.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths, e.g. streams/paging.py")
    args = parser.parse_args()
    base, modules = read_config()
    unknown = set(args.modules) - set(modules)
    if unknown:
        parser.error(f"not in [tool.cosmic-ray.modules]: {', '.join(sorted(unknown))}")
    chosen = args.modules or list(modules)

    # A plain kill runs the clean-up below as Ctrl+C does: the copy and its test runs go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    SESSIONS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pressimus-mutants-") as temporary:
        tree = Path(temporary) / "tree"
        copy_tree(tree)
        env = test_env(tree)
        check_imports_from(tree, chosen, env)
        outcomes = [run_module(m, modules[m], base, tree, env) for m in chosen]
    report(outcomes, time.monotonic() - started)
    failing = [o for o in outcomes if o.errors or o.score < GOAL]
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
