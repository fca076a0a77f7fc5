"""Run the pipeline over many files: incremental, parallel, supervised, checkpointed.

Every document is read in a worker process that this process supervises: a worker over its
time limit or its resident memory is killed and replaced, and a worker that dies for any
reason (abort in a C library, a signal) costs its document one `failed` row, never the run.
Files that cannot be read at all (special files, unreadable, vanished, undecodable names)
get their `failed` row here, before any worker sees them.
"""

from __future__ import annotations

import contextlib
import errno
import faulthandler
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import FrameType

from budgetpdf import pipeline_version
from budgetpdf.contract.files import OutputError, exclusive, held_locks, sweep, write_text
from budgetpdf.contract.rows import DocumentResult, FileRow
from budgetpdf.emit.writer import (
    committed_documents,
    compact,
    record_files,
    write_document,
)
from budgetpdf.pipeline.document import document_row, process_document
from budgetpdf.pipeline.limits import Limits
from budgetpdf.schemas.knowledge import Knowledge

MAX_ATTEMPTS = 3
"""A failed document is retried by each following run until it has failed this many times
under the same pipeline version; a new version (code or schemas/ changed) or --force starts
the count again. Nightly runs are the back-off: one attempt per run."""

TASKS_PER_WORKER = 10  # a worker is replaced after this many documents: leaks stay bounded
_POLL = 0.2  # seconds between the supervisor's looks at time and resident memory
_GRACE = 5  # seconds past --timeout before the worker is killed (its own alarm goes first)
_CHUNK = 1 << 20
LOG = "log.jsonl"
LIBRARY_LOG = "library.log"
ATTEMPTS = "attempts.json"


@dataclass(frozen=True, slots=True)
class Input:
    """One input file as listed: its path, and its SHA-256, size and modification time
    (nanoseconds since the epoch), or the reason it cannot be read."""

    path: Path
    sha256: str = ""
    size: int = 0
    problem: str | None = None
    mtime_ns: int | None = None

    @property
    def doc_id(self) -> str:
        """The doc_id of its document: of its content, or, unread, of its absolute path."""
        if self.sha256:
            return self.sha256[:16]
        return hashlib.sha256(os.fsencode(self.path.absolute())).hexdigest()[:16]


class _Timeout(BaseException):
    """Not an Exception: nothing on the way (pdfminer, our own error handling) may catch it."""


def _in_finalizer(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    if _in_finalizer(frame):
        # Python ignores an exception raised in __del__ (it prints a traceback and goes on):
        # ring again as soon as the finalizer is done.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        return
    # Again in a second: the clean-up on the way out may hang as the work did (pdfplumber's
    # close() walks the page tree again, forever on a page tree that contains itself).
    signal.alarm(1)
    raise _Timeout


def process_bounded(path: Path, limits: Limits, knowledge: Knowledge) -> DocumentResult:
    """process_document (read by knowledge) under a wall-clock alarm (SIGALRM: main thread
    only; it cannot stop C code, which is why the supervisor also kills workers from outside).
    A pathological PDF becomes a failed documents row instead of a hung night."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(limits.seconds)
    try:
        try:
            return process_document(path, knowledge, limits.pages)
        finally:
            signal.alarm(0)  # an alarm before this is caught below; none comes after it
    except _Timeout:
        return failed_result(identify(path), _timeout_reason(limits))
    except MemoryError:
        return failed_result(identify(path), _memory_reason(limits))
    finally:
        signal.signal(signal.SIGALRM, previous)


def _timeout_reason(limits: Limits) -> str:
    return f"timed out after {limits.seconds} s (limit --timeout)"


def _memory_reason(limits: Limits) -> str:
    return f"exceeded the memory limit of {limits.memory_mb} MB resident (limit --memory)"


# ---------------------------------------------------------------- inputs


def printable_name(path: Path) -> str:
    """path's file name as text: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


def identify(path: Path) -> Input:
    """The file's SHA-256 and size, read by streaming (never whole into memory), or the
    reason it cannot be read: a name that is not UTF-8, not a regular file (a FIFO is
    opened without blocking and never read), vanished, or not readable."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        return Input(path, problem="the file name is not valid UTF-8; rename the file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return Input(path, problem="the file vanished before it could be read")
    except PermissionError:
        return Input(path, problem="the file cannot be read: permission denied")
    except OSError as exc:
        return Input(path, problem=f"the file cannot be opened: {exc.strerror}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return Input(path, problem="not a regular file (a FIFO, device or socket)")
        digest, size = hashlib.sha256(), 0
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
            size += len(chunk)
        return Input(path, digest.hexdigest(), size, mtime_ns=info.st_mtime_ns)
    except OSError as exc:
        return Input(path, problem=f"the file cannot be read: {exc.strerror}")
    finally:
        os.close(fd)


def failed_result(item: Input, reason: str) -> DocumentResult:
    """A failed documents row for item, with reason. A file that could not be read has no
    content hash: its sha256 is empty and its doc_id is derived from its path."""
    doc = document_row(item.path, item.sha256, item.size)
    doc.update(doc_id=item.doc_id, source=printable_name(item.path), status="failed", error=reason)
    return DocumentResult(doc)


def collect_inputs(paths: Sequence[Path]) -> list[Path]:
    """Files as given, and the entries named *.pdf inside folders (recursively; FIFOs and
    other special files too, so that each gets its row), in a stable order. A path given
    twice is listed once; two names of one file (a link) are two paths."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*")) if p.suffix.lower() == ".pdf" and not p.is_dir()
            )
        else:
            found.append(path)
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(os.path.abspath(path), path)
    return list(unique.values())


def _same_file(path: Path) -> object:
    """What makes two paths one file: device and inode (the path itself when unreadable)."""
    try:
        info = path.stat()
        return (info.st_dev, info.st_ino)
    except OSError:
        return os.path.abspath(path)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # mtime in whole microseconds, never via a float


def file_row(path: Path, item: Input) -> FileRow:
    """The files row of path, listed as item (item.path may be another name of the file)."""
    mtime = item.mtime_ns
    return {
        "path": os.fsencode(os.path.abspath(path)).decode("utf-8", "backslashreplace"),
        "source": printable_name(path),
        "sha256": item.sha256,
        "bytes": item.size,
        "mtime": None if mtime is None else _EPOCH + timedelta(microseconds=mtime // 1000),
        "doc_id": item.doc_id,
        "superseded_by": None,
    }


def already_done(out: Path) -> set[str]:
    """SHA-256 of the documents this pipeline version (code and schemas/ digest included) has
    already processed into out; output of any other version is done again."""
    version = pipeline_version()
    return {d["sha256"] for d in committed_documents(out) if d["pipeline_version"] == version}


# ---------------------------------------------------------------- retries


def read_attempts(out: Path) -> dict[str, dict]:
    """Failed attempts by doc_id: {"pipeline_version", "failures", "last"} (OUT/dataset/
    attempts.json; empty when absent or unreadable)."""
    try:
        return json.loads((out / "dataset" / ATTEMPTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _record_attempt(attempts: dict[str, dict], doc: dict) -> None:
    doc_id = doc["doc_id"]
    if doc["status"] != "failed":
        attempts.pop(doc_id, None)
        return
    entry = attempts.get(doc_id, {})
    same = entry.get("pipeline_version") == doc["pipeline_version"]
    attempts[doc_id] = {
        "pipeline_version": doc["pipeline_version"],
        "failures": (entry.get("failures", 0) if same else 0) + 1,
        "last": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# ---------------------------------------------------------------- the supervisor


def _rss_bytes(pid: int) -> int:
    """Resident set size of pid (psutil when installed, else /proc; 0 when unknown)."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except ImportError:
        pass
    except Exception:  # the process is gone: nothing resident
        return 0
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _worker_main(
    conn: Connection, limits: Limits, knowledge: Knowledge, log_path: str | None
) -> None:
    """A worker: documents in, results out (read by the knowledge the parent loaded), until
    told to stop or its parent is gone.
    Ctrl-C is the parent's to handle; library chatter (pdfminer warnings, pdfium's C-level
    messages, Python warnings) goes to the output's library.log, not the terminal."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the start
    for fd in held_locks():
        os.close(fd)
    if log_path is not None:
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING, force=True)
        logging.captureWarnings(True)
        if faulthandler.is_enabled():  # a crash's stack goes to the log as well
            faulthandler.enable(file=sys.stderr)
    parent = os.getppid()

    def orphaned() -> None:  # a parent killed hard cannot stop us
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=orphaned, daemon=True).start()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            conn.send(_read_one(task, limits, knowledge))
        except (BrokenPipeError, OSError):
            return


def _read_one(item: Input, limits: Limits, knowledge: Knowledge) -> DocumentResult:
    """One listed file in a worker; its result is a failed row when the file changed or
    vanished after it was listed (the bytes parsed must be the bytes hashed)."""
    try:
        result = process_bounded(item.path, limits, knowledge)
    except OSError as exc:
        return failed_result(item, f"the file vanished or became unreadable: {exc.strerror}")
    if result.document["sha256"] != item.sha256:
        return failed_result(item, "the file changed while the run read it; the next run reads it")
    return result


@dataclass(slots=True)
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    task: Input | None = None
    started: float = 0.0
    done: int = 0


def _death(process: multiprocessing.process.BaseProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return (
            f"the worker reading it died ({name}): a crash in a PDF library, or killed "
            "from outside (the system's out-of-memory killer sends SIGKILL)"
        )
    return f"the worker reading it died (exit code {code})"


def supervise(
    items: Iterable[Input],
    jobs: int,
    limits: Limits,
    knowledge: Knowledge,
    log_path: Path | None = None,
    start_method: str | None = None,
) -> Iterator[DocumentResult]:
    """Results of items (any order), read by `jobs` worker processes under limits, each
    handed the knowledge as an argument when it starts (inherited by a fork, pickled for
    forkserver and spawn).

    The parent enforces the limits from outside: a worker past its time limit (plus a
    grace period for its own alarm) or over its resident memory is killed (SIGKILL) and
    replaced, and its document is a failed row naming the limit; a worker that dies is
    replaced and its document is a failed row. Workers are stopped when this ends,
    including on KeyboardInterrupt. Workers are forked (start_method None on POSIX): this
    process has no threads of its own that a fork could catch holding a lock; a threaded
    caller passes "forkserver" or "spawn"."""
    default = "fork" if sys.platform != "win32" else "spawn"
    ctx = multiprocessing.get_context(start_method or default)
    queue = deque(items)
    workers: list[_Worker] = []
    log = str(log_path) if log_path is not None else None

    def start() -> _Worker:
        parent_end, child_end = ctx.Pipe()
        process = ctx.Process(
            target=_worker_main, args=(child_end, limits, knowledge, log), daemon=True
        )
        # Ctrl-C between the fork and the worker's own SIG_IGN would stop the new worker with
        # a traceback on the terminal: SIGINT stays blocked across the start, and the worker
        # unblocks it once it ignores it (the parent gets any pending one right after)
        masked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, masked)
        child_end.close()
        return _Worker(process, parent_end)

    def retire(w: _Worker, kill: bool) -> None:
        if kill and w.process.is_alive():
            w.process.kill()
        elif not kill:
            try:
                w.conn.send(None)
            except OSError:
                w.process.kill()
        w.process.join(5)
        if w.process.is_alive():
            w.process.kill()
            w.process.join()
        w.conn.close()
        workers.remove(w)

    try:
        while queue or any(w.task for w in workers):
            while queue and sum(1 for w in workers if w.task) < jobs:
                idle = next((w for w in workers if w.task is None), None) or start()
                if idle not in workers:
                    workers.append(idle)
                idle.task, idle.started = queue.popleft(), time.monotonic()
                with contextlib.suppress(OSError):  # it died already: found below
                    idle.conn.send(idle.task)
            busy = [w for w in workers if w.task]
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=_POLL)
            for w in busy:
                item, result = w.task, None
                if w.conn.poll():
                    try:
                        result = w.conn.recv()
                    except (EOFError, OSError):
                        result = None
                if result is not None:
                    w.task, w.done = None, w.done + 1
                    if w.done >= TASKS_PER_WORKER:
                        retire(w, kill=False)
                    yield result
                    continue
                if not w.process.is_alive():
                    reason = _death(w.process)
                elif time.monotonic() - w.started > limits.seconds + _GRACE:
                    reason = _timeout_reason(limits)
                elif _rss_bytes(w.process.pid) > limits.memory_mb * 1024 * 1024:
                    reason = _memory_reason(limits)
                else:
                    continue
                retire(w, kill=True)
                yield failed_result(item, reason)
    finally:
        for w in list(workers):
            retire(w, kill=True)


# ---------------------------------------------------------------- the run


@dataclass(slots=True)
class RunSummary:
    """Counts of a run: documents processed and by status, those skipped as unchanged
    (and among them those left failed after MAX_ATTEMPTS), duplicates of another input,
    and the facts and failed checks written."""

    processed: int = 0
    skipped_unchanged: int = 0
    ok: int = 0
    partial: int = 0
    failed: int = 0
    skipped: int = 0
    facts: int = 0
    checks_failed: int = 0
    still_failed: int = 0
    duplicates: int = 0
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def line(self) -> str:
        """The counts as the one line the command prints."""
        unchanged = f"{self.skipped_unchanged} unchanged"
        if self.still_failed:
            unchanged += f" ({self.still_failed} failed {MAX_ATTEMPTS} times, not retried)"
        dup = f", {self.duplicates} duplicate inputs" if self.duplicates else ""
        return (
            f"{self.processed} processed ({self.ok} ok, {self.partial} partial, "
            f"{self.skipped} skipped, {self.failed} failed), {unchanged}{dup}; "
            f"{self.facts} facts, {self.checks_failed} failed checks"
        )

    @property
    def any_failed(self) -> bool:
        """Whether an input's current row is failed, read now or left from earlier runs."""
        return bool(self.failed or self.still_failed)


def prepare_output(out: Path) -> None:
    """Create out if needed and make sure files can be written in it. Raises OutputError
    with one line when out is a file, read-only, or on a full disk."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-probe-{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"--out {out} is a file, not a folder") from None
    except PermissionError:
        raise OutputError(f"--out {out} is not writable (permission denied)") from None
    except OSError as exc:
        raise OutputError(output_problem(out, exc)) from None


def output_problem(out: Path, exc: OSError) -> str:
    """One line for an OSError met while writing out."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on the device of {out}; free some and rerun (nothing is lost)"
    if exc.errno == errno.EROFS:
        return f"--out {out} is on a read-only file system"
    return f"cannot write to {out}: {exc.strerror or exc}"


def run(
    paths: Sequence[Path],
    out: Path,
    knowledge: Knowledge,
    jobs: int = 1,
    force: bool = False,
    limits: Limits = Limits(),
    progress: bool = False,
) -> RunSummary:
    """Process the PDFs in paths (files, or folders searched recursively) into out, then
    compact it, reading each by knowledge (load_knowledge(), loaded once by the caller before
    the first PDF). A file whose SHA-256 this pipeline version committed is skipped unless force
    or its row is failed with fewer than MAX_ATTEMPTS failures; `jobs` supervised worker
    processes read the documents. A document that fails, times out, runs out of memory or
    kills its worker becomes a failed documents row; nothing is raised for it.

    Raises OutputError when out cannot be written (also for a full disk mid-run), and
    KeyboardInterrupt after making the flat tables agree with the documents committed."""
    prepare_output(out)
    with exclusive(out):
        return _run_locked(paths, out, knowledge, jobs, force, limits, progress)


def _run_locked(
    paths: Sequence[Path],
    out: Path,
    knowledge: Knowledge,
    jobs: int,
    force: bool,
    limits: Limits,
    progress: bool,
) -> RunSummary:
    try:
        todo, summary, attempts = _plan(paths, out, force)
        bar = _progress(len(todo), progress)
        log_path = out / LIBRARY_LOG
        try:
            for result in supervise(todo, jobs, limits, knowledge, log_path):
                doc = result.document
                _commit(out, result, summary)
                _record_attempt(attempts, doc)
                _save_attempts(out, attempts)
                if bar is not None:
                    bar.set_postfix_str(f"{doc['source'][:30]} {doc['status']}")
                    bar.update(1)
        except KeyboardInterrupt:
            compact(out, knowledge)
            raise
        finally:
            if bar is not None:
                bar.close()
        compact(out, knowledge)
        log_run(out, summary)
    except OSError as exc:
        raise OutputError(output_problem(out, exc)) from exc
    return summary


def _save_attempts(out: Path, attempts: dict[str, dict]) -> None:
    write_text(json.dumps(attempts, ensure_ascii=False, indent=1), out / "dataset" / ATTEMPTS)


def _plan(
    paths: Sequence[Path], out: Path, force: bool
) -> tuple[list[Input], RunSummary, dict[str, dict]]:
    """The inputs still to read, a summary that counts the others, and the failure record.

    Every path is recorded in the files table, and unreadable inputs are committed as
    failed rows, here. A file is skipped when this pipeline version committed its SHA-256,
    unless force, or its row is failed and has failed fewer than MAX_ATTEMPTS times; another
    name of a file already listed is read once and not counted, and a second file with the
    same content is a duplicate, read once."""
    inputs = collect_inputs(paths)
    sweep(out)
    summary = RunSummary()
    attempts = {} if force else read_attempts(out)  # --force starts every count again
    version = pipeline_version()
    committed = (
        {}
        if force
        else {d["sha256"]: d for d in committed_documents(out) if d["pipeline_version"] == version}
    )
    todo: list[Input] = []
    seen: set[str] = set()
    listed: dict[object, Input] = {}
    files: list[FileRow] = []
    for path in inputs:
        key = _same_file(path)
        item = listed.get(key)
        if item is not None:  # another name of a file listed already
            files.append(file_row(path, item))
            continue
        item = listed[key] = identify(path)
        files.append(file_row(path, item))
        if item.problem is not None:
            _commit(out, failed_result(item, item.problem), summary)
            continue
        if item.sha256 in seen:
            summary.duplicates += 1
            continue
        seen.add(item.sha256)
        done = committed.get(item.sha256)
        if done is None:
            todo.append(item)
            continue
        failures = attempts.get(done["doc_id"], {})
        if done["status"] == "failed" and (
            failures.get("pipeline_version") != version
            or failures.get("failures", 0) < MAX_ATTEMPTS
        ):
            todo.append(item)  # retried: the night it failed may have been the trouble
            continue
        summary.skipped_unchanged += 1
        if done["status"] == "failed":
            summary.still_failed += 1
    record_files(out, files)
    return todo, summary, attempts


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


def _append_log(out: Path, entry: dict) -> None:
    with (out / LOG).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def log_document(out: Path, doc: dict) -> None:
    """One JSON line per processed document, appended to OUT/log.jsonl (a line is far below
    the size an O_APPEND write keeps whole)."""
    _append_log(
        out,
        {
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
        },
    )


def log_run(out: Path, summary: RunSummary) -> None:
    """One JSON line per completed run in OUT/log.jsonl: "run" with start, end and counts."""
    counts = {k: getattr(summary, k) for k in RunSummary.__slots__ if k != "started"}
    _append_log(
        out,
        {
            "run": pipeline_version(),
            "start": summary.started,
            "end": datetime.now(UTC).isoformat(timespec="seconds"),
            **counts,
        },
    )


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
