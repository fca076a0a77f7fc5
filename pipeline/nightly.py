"""The nightly job: fetch the sources into RAW, run the pipeline over RAW into OUT (the run is
incremental by SHA-256, so it reads what is new, and retries what failed), and report.

Exit codes a scheduler can act on: 0 all well · 1 a document failed (in the run, or a
document link that answered with an HTTP error or not at all) · 2 the job itself could not
run (a broken sources or knowledge file, RAW or OUT not writable) · 3 a source could not be
reached (one of its start pages failed; this wins over 1: trying again later may help both).
Each night appends one JSON line to OUT/log.jsonl — `{"nightly": version, "start", "end",
"exit", "fetch": {counts}, "run": {counts}, …}` — and writes OUT/nightly.json, the same with
the addresses that failed and the new files.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from budgetpdf import pipeline_version
from budgetpdf.contract.files import OutputError, write_text
from budgetpdf.fetch.crawl import FetchError, FetchReport, fetch
from budgetpdf.fetch.sources import SourcesError, load_sources
from budgetpdf.pipeline.runner import (
    Limits,
    RunSummary,
    _append_log,
    prepare_output,
    run,
)
from budgetpdf.schemas.knowledge import KnowledgeError, load_knowledge

REPORT = "nightly.json"
ALL_WELL, DOCUMENT_FAILED, CANNOT_RUN, UNREACHABLE = 0, 1, 2, 3


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def nightly(
    sources_file: Path, raw: Path, out: Path, jobs: int = 1, limits: Limits | None = None
) -> tuple[int, dict]:
    """Fetch, run, report; returns (exit code, the night's entry as logged). Never raises
    for a failed source or document; an error that stops the job is the entry's `error`
    (one line) with exit code 2. KeyboardInterrupt is the caller's."""
    entry: dict = {"nightly": pipeline_version(), "start": _stamp(), "sources": str(sources_file)}
    report: FetchReport | None = None
    summary: RunSummary | None = None
    try:
        sources = load_sources(sources_file)
        knowledge = load_knowledge()  # a broken knowledge file stops the job before it fetches
        prepare_output(out)
        report = fetch(sources, raw)
        summary = run([raw], out, knowledge, jobs=jobs, limits=limits or Limits())
    except (SourcesError, KnowledgeError, FetchError, OutputError) as exc:
        entry["error"] = str(exc)
    if report is not None:
        entry["fetch"] = report.counts()
        entry["unreachable"] = report.unreachable
    if summary is not None:
        entry["run"] = {k: v for k, v in asdict(summary).items() if k != "started"}
    code = _exit_code(report, summary)
    entry.update(exit=code, end=_stamp())
    details = {
        **entry,
        "failures": report.failures if report else [],
        "new_files": [p.name for p in report.new_files] if report else [],
    }
    try:
        _append_log(out, entry)
        write_text(json.dumps(details, ensure_ascii=False, indent=1), out / REPORT)
    except OSError:
        pass  # OUT cannot take the log (missing, read-only): the error on stderr is the record
    return code, entry


def _exit_code(report: FetchReport | None, summary: RunSummary | None) -> int:
    if report is None or summary is None:
        return CANNOT_RUN
    if report.unreachable:
        return UNREACHABLE
    if report.failed or summary.any_failed:
        return DOCUMENT_FAILED
    return ALL_WELL
