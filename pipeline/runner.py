"""Run the pipeline over many files: incremental, parallel, bounded, checkpointed."""

from __future__ import annotations

import json
import multiprocessing
import resource
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from budgetpdf import __version__
from budgetpdf.contract.rows import DocumentResult
from budgetpdf.emit.writer import committed_documents, compact, sweep, write_document
from budgetpdf.pipeline.document import document_row, file_identity, process_document


@dataclass(frozen=True, slots=True)
class Limits:
    """Per document: wall-clock seconds, and address space in MB (enforced in worker
    processes only, i.e. with jobs > 1)."""

    seconds: int = 300
    memory_mb: int = 2048


class _Timeout(BaseException):
    """Not an Exception: nothing on the way (pdfminer, our own error handling) may catch it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Timeout


def process_bounded(path: Path, limits: Limits) -> DocumentResult:
    """process_document under a wall-clock alarm (SIGALRM: main thread only) and the
    address-space cap set on this process: a pathological PDF becomes a failed documents row
    instead of a hung night."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(limits.seconds)
    try:
        return process_document(path)
    except _Timeout:
        return _failed(path, f"timed out after {limits.seconds} s (limit --timeout)")
    except MemoryError:
        return _failed(path, f"exceeded the memory limit of {limits.memory_mb} MB (--memory)")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _failed(path: Path, reason: str) -> DocumentResult:
    sha, size = file_identity(path)
    doc = document_row(path, sha, size)
    doc.update(status="failed", error=reason)
    return DocumentResult(doc)


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker(args: tuple[Path, Limits]) -> DocumentResult:
    return process_bounded(*args)


def collect_inputs(paths: Sequence[Path]) -> list[Path]:
    """Files as given, and the PDFs inside folders (recursively), in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() == ".pdf"
            )
        else:
            found.append(path)
    return found


def already_done(out: Path) -> set[str]:
    """SHA-256 of the documents this pipeline version has already processed into out."""
    return {d["sha256"] for d in committed_documents(out) if d["pipeline_version"] == __version__}


def _results(paths: Sequence[Path], jobs: int, limits: Limits) -> Iterator[DocumentResult]:
    if jobs <= 1:
        for path in paths:
            yield process_bounded(path, limits)
        return
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(
        jobs, initializer=_limit_memory, initargs=(limits.memory_mb,), maxtasksperchild=10
    ) as pool:
        yield from pool.imap(_worker, [(p, limits) for p in paths])


@dataclass(slots=True)
class RunSummary:
    """Counts of a run: documents processed and by status, those skipped as unchanged, and
    the facts and failed checks written."""

    processed: int = 0
    skipped_unchanged: int = 0
    ok: int = 0
    partial: int = 0
    failed: int = 0
    skipped: int = 0
    facts: int = 0
    checks_failed: int = 0

    def line(self) -> str:
        """The counts as the one line the command prints."""
        return (
            f"{self.processed} processed ({self.ok} ok, {self.partial} partial, "
            f"{self.skipped} skipped, {self.failed} failed), {self.skipped_unchanged} unchanged; "
            f"{self.facts} facts, {self.checks_failed} failed checks"
        )


def run(
    paths: Sequence[Path],
    out: Path,
    jobs: int = 1,
    force: bool = False,
    limits: Limits = Limits(),
    progress: bool = False,
) -> RunSummary:
    """Process the PDFs in paths (files, or folders searched recursively) into out, then
    compact it. A file whose SHA-256 this version already committed is skipped unless force;
    jobs > 1 uses that many worker processes. A document that fails, times out or runs out of
    memory becomes a failed documents row; nothing is raised for it."""
    todo, summary = _plan(paths, out, force)
    bar = _progress(len(todo), progress)
    for result in _results(todo, jobs, limits):
        doc = result.document
        _commit(out, result, summary)
        if bar is not None:
            bar.set_postfix_str(f"{doc['source'][:30]} {doc['status']}")
            bar.update(1)
    if bar is not None:
        bar.close()
    compact(out)
    return summary


def _plan(paths: Sequence[Path], out: Path, force: bool) -> tuple[list[Path], RunSummary]:
    """The inputs still to do (skip a SHA-256 this pipeline version has committed, unless
    force) and a summary that counts the others as unchanged."""
    inputs = collect_inputs(paths)
    sweep(out)
    done = set() if force else already_done(out)
    todo = [p for p in inputs if force or file_identity(p)[0] not in done]
    return todo, RunSummary(skipped_unchanged=len(inputs) - len(todo))


def _commit(out: Path, result: DocumentResult, summary: RunSummary) -> None:
    """Write one document's rows as dataset parts and count it."""
    doc = result.document
    write_document(
        out,
        {
            "documents": [doc],
            "tables": result.tables,
            "facts": result.facts,
            "checks": result.checks,
        },
    )
    _count(summary, doc)
    log_document(out, doc)


LOG = "log.jsonl"


def log_document(out: Path, doc: dict) -> None:
    """One JSON line per processed document, appended to OUT/log.jsonl (a line is far below
    the size an O_APPEND write keeps whole)."""
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "file": doc["source"],
        "doc_id": doc["doc_id"],
        "status": doc["status"],
        "error": doc["error"],
        "seconds": doc["seconds"],
        "pages": doc["pages"],
        "tables": doc["tables_found"],
        "facts": doc["facts"],
        "checks_failed": doc["checks_failed"],
        "pipeline_version": doc["pipeline_version"],
    }
    with (out / LOG).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _count(summary: RunSummary, doc: dict) -> None:
    summary.processed += 1
    setattr(summary, doc["status"], getattr(summary, doc["status"]) + 1)
    summary.facts += doc["facts"]
    summary.checks_failed += doc["checks_failed"]


def _progress(total: int, enabled: bool):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", dynamic_ncols=True)
