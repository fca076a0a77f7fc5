"""Fault injection: broken PDFs made by a seeded generator (tests/faults.py) from the bundled
sample and corpus PDFs, run through `budgetpdf run --jobs 2` with small limits, beside good
files. Nothing hangs (an outer timeout), nothing prints a traceback (stdout, stderr, the
logs), every input path is a files row whose document is a documents row, no document is a
bug of ours ("internal error"), and the good files come out exactly as from a clean run.

The default set is a few dozen cases made from three copies of the sample (whose clean run
is conftest's `sample_run`); `-m slow` runs a few hundred made from corpus PDFs too."""

from __future__ import annotations

import hashlib
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from budgetpdf.extract import plumber
from budgetpdf.pipeline.cli import main
from conftest import REAL, ROOT, need
from faults import _FONT, Case, _stream, make_cases, raw_pdf

TABLES = ("documents", "tables", "facts", "checks")
TIMING = ["seconds"]  # documents columns that differ between two readings of one file


def budgetpdf(*args: str, limit: float) -> subprocess.CompletedProcess:
    """The CLI in a subprocess; a run that passes `limit` seconds has hung."""
    cmd = [sys.executable, "-m", "budgetpdf.pipeline.cli", *args]
    try:
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`budgetpdf {' '.join(args[:1])}` hung: still running after {limit} s")


def _table(out: Path, name: str, doc_ids: set[str]) -> pa.Table:
    table = pq.read_table(out / f"{name}.parquet")
    table = table.filter(pc.is_in(table["doc_id"], pa.array(sorted(doc_ids))))
    if name == "documents":  # the file name is the case's; seconds are timing
        table = table.drop_columns([*TIMING, "source"])
    return table


def check_fault_run(
    cases: list[Case], out: Path, clean: Path, limits: list[str], limit: float, capsys
) -> dict[str, dict]:
    """Run cases into out and assert what the module docstring says; clean is a clean run's
    output folder holding the good cases' documents. Returns the documents rows by doc_id."""
    done = budgetpdf(
        "run", *(str(c.path) for c in cases), "--out", str(out), "--jobs", "2", *limits,
        limit=limit,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]
    texts = {
        "stdout": done.stdout,
        "stderr": done.stderr,
        "library.log": (out / "library.log").read_text(encoding="utf-8", errors="replace"),
        "log.jsonl": (out / "log.jsonl").read_text(encoding="utf-8"),
    }
    for where, text in texts.items():
        assert "Traceback" not in text, f"a traceback in {where}"
    assert done.stderr == ""  # library chatter goes to library.log

    files = pq.read_table(out / "files.parquet").to_pylist()
    assert sorted(r["path"] for r in files) == sorted(str(c.path.absolute()) for c in cases)
    docs = {d["doc_id"]: d for d in pq.read_table(out / "documents.parquet").to_pylist()}
    assert {r["doc_id"] for r in files} == set(docs)
    bugs = {d["source"]: d["error"] for d in docs.values() if "internal error" in str(d["error"])}
    assert not bugs
    for d in docs.values():
        assert d["status"] in ("ok", "partial", "skipped", "failed")
        assert d["status"] in ("ok", "partial") or (d["error"] and "\n" not in d["error"])
    assert main(["status", str(out)]) == 0
    assert f": {len(docs)} documents (" in capsys.readouterr().out

    by_path = {r["path"]: r for r in files}
    good = {by_path[str(c.path.absolute())]["doc_id"] for c in cases if c.good}
    for name in TABLES:
        assert _table(out, name, good).equals(_table(clean, name, good)), name
    return docs


def test_broken_pdfs_never_stop_a_run(sample_inputs, sample_run, tmp_path, capsys):
    cases = make_cases(tmp_path / "cases", sample_inputs, 30, seed=12)
    kinds = {c.kind for c in cases}
    named = {"bomb", "pages_3000", "page_tree_loop0", "root_loop", "encrypted_password", "zip"}
    assert named <= kinds
    limits = ["--timeout", "5", "--memory", "250"]  # the sample reads in 0.4 s, 2.3 s under load
    docs = check_fault_run(cases, tmp_path / "out", sample_run, limits, 120, capsys)

    by_kind = {c.kind: docs[_doc_id(c)] for c in cases}
    assert "memory limit of 250 MB" in by_kind["bomb"]["error"]
    assert by_kind["encrypted_password"]["error"].startswith("encrypted PDF")
    # a loop of bare references reads as null at once, not after the time limit
    for kind in ("self_reference", "root_loop"):
        assert by_kind[kind]["status"] == "failed" and "timed out" not in by_kind[kind]["error"]
    assert "is a loop of references: read as null" in (tmp_path / "out" / "library.log").read_text()
    # what a scraper saves as .pdf says what it is (fetch/sniff.py judges it)
    assert by_kind["html"]["error"] == "HTML page «404», not a PDF"
    assert by_kind["zip"]["error"].startswith("a ZIP archive, not a PDF")
    # encrypted without a user password opens: the sample's reading, under its own doc_id
    opened = by_kind["encrypted_no_password"]
    assert (opened["status"], opened["facts"]) == ("ok", 64)
    assert len(docs) < len(cases)  # duplicates under two names are one document each


class _SlowFinalizer:
    def __del__(self) -> None:
        time.sleep(1.5)  # the time limit passes in here


def _hangs_after_a_finalizer(path: Path, knowledge: object, pages: object = None) -> None:
    _SlowFinalizer()
    while True:
        pass


def test_the_time_limit_is_not_lost_in_a_finalizer(tmp_path, monkeypatch, knowledge):
    # An exception raised inside __del__ is dropped by Python, which prints it as a traceback
    # (sys.unraisablehook): the time limit must ring again once the finalizer is done.
    from budgetpdf.pipeline import runner

    dropped: list = []
    monkeypatch.setattr(sys, "unraisablehook", dropped.append)
    monkeypatch.setattr(runner, "process_document", _hangs_after_a_finalizer)
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    doc = runner.process_bounded(pdf, runner.Limits(seconds=1), knowledge).document
    assert doc["error"] == "timed out after 1 s (limit --timeout)"
    assert not dropped


def _doc_id(case: Case) -> str:
    return hashlib.sha256(case.path.read_bytes()).hexdigest()[:16]


# Small corpus PDFs that print budget tables (three provinces, a university, 2018-2026).
SLOW_SOURCES = [
    "1ba4abe7_04_swu_2021_department_budget.pdf",
    "2baf474e_江苏省人大常委会办公厅2019年部门预算公开表.pdf",
    "2f80c7f2_2026年上海市国有资产监督管理委员会_部门预算.pdf",
    "60031128_江苏省政协办公厅2018度部门预算公开表.pdf",
    "b302f0a0_1769321433314-826553525.pdf",
]


@pytest.mark.slow
def test_a_few_hundred_broken_pdfs(tmp_path, capsys):
    from conftest import SAMPLE

    sources = [SAMPLE, *(need(REAL / name) for name in SLOW_SOURCES)]
    clean = tmp_path / "clean"
    done = budgetpdf(
        "run", *map(str, sources), "--out", str(clean), "--jobs", "2", limit=600
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    read = pq.read_table(clean / "documents.parquet").to_pylist()
    assert all(d["status"] == "ok" and d["facts"] > 100 for d in read if d["source"] != SAMPLE.name)
    cases = make_cases(tmp_path / "cases", sources, 300, seed=2026)
    limits = ["--timeout", "30", "--memory", "600"]
    started = time.monotonic()
    docs = check_fault_run(cases, tmp_path / "out", clean, limits, 3000, capsys)
    # what a person running `pytest -m slow -s` reads: the numbers of the run
    statuses = Counter(d["status"] for d in docs.values())
    limited = Counter(
        reason for d in docs.values() for reason in ("--timeout", "--memory", "died")
        if reason in (d["error"] or "")
    )  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    with capsys.disabled():
        print(
            f"\nfault injection: {len(cases)} inputs, {len(docs)} documents {dict(statuses)}, "
            f"limits hit {dict(limited)}, {time.monotonic() - started:.0f} s, "
            f"largest process {peak} MB resident"
        )


def test_an_unused_loop_of_references_leaves_the_page_readable(tmp_path):
    # the page tree is broken, so pdfminer scans every object for pages: a loop among them
    # (8 is `9 0 R`, 9 is `8 0 R`) is skipped like a missing object, not an error
    objects = {
        1: b"<</Type/Catalog/Pages 6 0 R>>",
        3: _FONT,
        5: b"<</Type/Page/MediaBox[0 0 200 200]/Resources<</Font<</F1 3 0 R>>>>/Contents 10 0 R>>",
        8: b"9 0 R",
        9: b"8 0 R",
        10: _stream(b"BT /F1 12 Tf 20 100 Td (Hi) Tj ET"),
    }
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(raw_pdf(objects))
    (page,) = plumber.read_pages(pdf)
    assert "".join(c.text for c in page.chars) == "Hi"
