"""kill -9 a `budgetpdf run --jobs 2` at seeded random moments, rerun, compare.

    python tools/kill_test.py PDF_OR_FOLDER... [--docs 30] [--kills 20] [--seed 0]
                              [--jobs 2] [--work DIR] [--compaction-kills 0]

Takes the `--docs` smallest PDFs of the paths given. First an uninterrupted run gives the
reference output and the run's length T. Then, `--kills` times: a run into an empty output
folder is killed with SIGKILL (the run's process, as the out-of-memory killer or an operator
would) at a moment drawn uniformly from (0, T); the flat tables served at that moment are
checked for consistency (every doc_id of tables/facts/checks/files in documents, each
document's facts and failed checks counted as its documents row says, every Parquet file in
the output whole); then a rerun completes it, and its flat tables must equal the
reference's (Arrow equality, the timing column documents.seconds left out). Prints a line
per kill and a summary; exit 1 when any kill left a mismatch.

Compaction (rewriting the flat tables at the end of a run) is a second or two of a run, so
few random moments land in it. `--compaction-kills N` aims there: a copy of the reference
output less three documents (its flat set rewritten without them: last night's output),
a run that reads the three, killed at a random moment within a second of its
compaction starting (a new folder under OUT/flat), then the same checks.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

TABLES = ("documents", "tables", "facts", "checks", "files")
TIMING = {"documents": ["seconds"]}


def _run(inputs: list[Path], out: Path, jobs: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "budgetpdf.pipeline.cli", "run", *map(str, inputs)]
    return subprocess.Popen(
        [*cmd, "--out", str(out), "--jobs", str(jobs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _finish(proc: subprocess.Popen) -> None:
    _, err = proc.communicate()
    if proc.returncode not in (0, 1) or b"Traceback" in err:
        raise SystemExit(f"run failed ({proc.returncode}): {err.decode()[-2000:]}")


def read_flat(out: Path) -> dict:
    """The flat tables an output serves now, timing columns left out, each read through
    one resolution of OUT/current (None when nothing is served yet)."""
    current = out / "current"
    if not current.exists():
        return {}
    folder = current.resolve()
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if path.exists():
            tables[name] = pq.read_table(path).drop_columns(TIMING.get(name, []))
    return tables


def served_problems(out: Path) -> list[str]:
    """What a reader of out's flat tables would find wrong right now."""
    problems = []
    for part in out.glob("**/*.parquet"):
        try:
            pq.read_metadata(part)
        except Exception as exc:  # a half-written file in place is the failure we look for
            problems.append(f"unreadable {part.relative_to(out)}: {exc}")
    flat = read_flat(out)
    if not flat:
        return problems
    missing = [n for n in TABLES if n not in flat]
    if missing:
        return [*problems, f"flat set lacks {missing}"]
    docs = {d["doc_id"]: d for d in flat["documents"].to_pylist()}
    for name in ("tables", "facts", "checks", "files"):
        orphans = set(flat[name].column("doc_id").to_pylist()) - set(docs)
        if orphans:
            problems.append(f"{name} names {len(orphans)} documents not in documents")
    facts = Counter(flat["facts"].column("doc_id").to_pylist())
    failed = Counter(c["doc_id"] for c in flat["checks"].to_pylist() if c["passed"] is False)
    for doc_id, d in docs.items():
        if facts[doc_id] != d["facts"] or failed[doc_id] != d["checks_failed"]:
            problems.append(f"{doc_id}: {facts[doc_id]} facts, documents says {d['facts']}")
    return problems


def differences(out: Path, reference: dict) -> list[str]:
    got = read_flat(out)
    return [name for name in TABLES if not got.get(name) or not got[name].equals(reference[name])]


def _inputs(paths: list[Path], count: int) -> list[Path]:
    pdfs = [p for path in paths for p in (sorted(path.rglob("*.pdf")) if path.is_dir() else [path])]
    return sorted(pdfs, key=lambda p: (p.stat().st_size, p.name))[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/budgetpdf_kill_test"))
    parser.add_argument("--compaction-kills", type=int, default=0)
    args = parser.parse_args()
    inputs = _inputs(args.paths, args.docs)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)

    started = time.monotonic()
    _finish(_run(inputs, args.work / "reference", args.jobs))
    length = time.monotonic() - started
    reference = read_flat(args.work / "reference")
    print(
        f"{len(inputs)} documents, uninterrupted run {length:.1f} s: "
        f"{reference['documents'].num_rows} documents, {reference['facts'].num_rows} facts"
    )
    rng = random.Random(args.seed)
    torn = unequal = 0
    for i in range(args.kills):
        out = args.work / f"kill{i}"
        at = rng.uniform(0, length)
        proc = _run(inputs, out, args.jobs)
        time.sleep(at)
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        committed = len(list((out / "dataset" / "documents").glob("*.parquet")))
        problems = served_problems(out) if out.exists() else []
        _finish(_run(inputs, out, args.jobs))
        diff = differences(out, reference)
        torn += bool(problems)
        unequal += bool(diff)
        print(
            f"kill {i + 1:2d} at {at:5.1f} s{'' if alive else ' (run had ended)'}: "
            f"{committed} documents committed; served set "
            f"{'; '.join(problems[:3]) or 'consistent'}; rerun "
            f"{'differs in ' + ', '.join(diff) if diff else 'identical'}"
        )
        shutil.rmtree(out)
    for i in range(args.compaction_kills):
        out = args.work / f"compaction{i}"
        at, when, problems, diff = _kill_in_compaction(inputs, out, args.jobs, reference, rng)
        torn += bool(problems)
        unequal += bool(diff)
        print(
            f"compaction kill {i + 1:2d} at {at:4.2f} s into it ({when}): served set "
            f"{'; '.join(problems[:3]) or 'consistent'}; rerun "
            f"{'differs in ' + ', '.join(diff) if diff else 'identical'}"
        )
        shutil.rmtree(out)
    print(
        f"{args.kills} kills, {args.compaction_kills} in compaction: {torn} left an "
        f"inconsistent served set, {unequal} reruns differed from the uninterrupted run"
    )
    return 1 if torn or unequal else 0


def _kill_in_compaction(
    inputs: list[Path], out: Path, jobs: int, reference: dict, rng: random.Random
) -> tuple[float, str, list[str], list[str]]:
    from budgetpdf.emit.writer import compact
    from budgetpdf.schemas.knowledge import load_knowledge

    shutil.copytree(out.parent / "reference", out, symlinks=True)
    doc_ids = reference["documents"].column("doc_id").to_pylist()
    for doc_id in rng.sample(doc_ids, 3):
        for part in (out / "dataset").glob(f"**/{doc_id}.parquet"):
            part.unlink()
    compact(out, load_knowledge())
    before = set((out / "flat").iterdir())
    at = rng.uniform(0, 1.0)
    proc = _run(inputs, out, jobs)
    while proc.poll() is None and not set((out / "flat").iterdir()) - before:
        time.sleep(0.005)
    time.sleep(at)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    switched = (out / "current").resolve() not in before
    when = ("after the switch" if switched else "before the switch") if alive else "run had ended"
    problems = served_problems(out)
    _finish(_run(inputs, out, jobs))
    return at, when, problems, differences(out, reference)


if __name__ == "__main__":
    sys.exit(main())
