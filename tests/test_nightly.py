"""Nightly operation: kill -9 at any moment and rerun; parallel runs equal serial ones;
a pathological document becomes a failed row instead of a hung night."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from budgetpdf.pipeline.runner import Limits, process_bounded, run
from conftest import REAL, ROOT, fresh_copy, need

# Inputs are three distinct copies of the bundled sample (conftest.sample_inputs) and
# `sample_run` their serial run: what is tested here is the operation, not the reading.


def _cli(inputs: list[Path], out: Path, *extra: str) -> subprocess.Popen:
    cli = "budgetpdf.pipeline.cli"
    cmd = [sys.executable, "-m", cli, "run", *map(str, inputs), "--out", str(out)]
    return subprocess.Popen([*cmd, *extra], cwd=ROOT)


def test_kill_nine_then_rerun_holds_each_document_once(sample_inputs, sample_run, tmp_path):
    inputs, out = sample_inputs, tmp_path / "out"
    proc = _cli(inputs, out)
    markers = out / "dataset" / "documents"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(markers.glob("*.parquet")):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = list(markers.glob("*.parquet"))
    assert 1 <= len(committed) < len(inputs), "kill landed between documents"
    for part in out.glob("**/*.parquet"):  # whatever is in place is whole
        pq.read_metadata(part)
    assert _cli(inputs, out).wait() == 0
    assert not list(out.glob("**/.*.tmp"))
    docs = pq.read_table(out / "documents.parquet").column("doc_id").to_pylist()
    assert sorted(docs) == sorted(set(docs)) and len(docs) == len(inputs)
    assert (out / "facts.parquet").read_bytes() == (sample_run / "facts.parquet").read_bytes()
    assert (out / "facts.csv").read_bytes() == (sample_run / "facts.csv").read_bytes()


def test_parallel_run_equals_serial(sample_inputs, sample_run, tmp_path, knowledge):
    run(sample_inputs, tmp_path, knowledge, jobs=2)
    for name in ("documents", "facts", "checks"):
        drop = ["seconds"] if name == "documents" else []
        serial = pq.read_table(sample_run / f"{name}.parquet").drop_columns(drop)
        parallel = pq.read_table(tmp_path / f"{name}.parquet").drop_columns(drop)
        assert parallel.equals(serial), name


def test_rerun_skips_unchanged_documents(sample_inputs, sample_run, tmp_path, knowledge):
    out = fresh_copy(sample_run, tmp_path / "out")
    before = (out / "facts.parquet").read_bytes()
    summary = run(sample_inputs, out, knowledge)
    assert (summary.processed, summary.skipped_unchanged) == (0, len(sample_inputs))
    assert (out / "facts.parquet").read_bytes() == before


def test_time_limit_turns_a_slow_document_into_a_failed_row(knowledge):
    largest = max(need(REAL).glob("*.pdf"), key=lambda p: p.stat().st_size)
    result = process_bounded(largest, Limits(seconds=1), knowledge)
    assert result.document["status"] == "failed"
    assert "timed out after 1 s" in result.document["error"]


def test_structured_log_has_a_line_per_document(sample_inputs, sample_run):
    entries = [json.loads(x) for x in (sample_run / "log.jsonl").read_text().splitlines()]
    lines = [x for x in entries if "file" in x]
    runs = [x for x in entries if "run" in x]
    assert runs[0]["processed"] == len(sample_inputs) and runs[0]["end"]
    assert sorted(x["file"] for x in lines) == sorted(p.name for p in sample_inputs)
    one = lines[0]
    assert (one["status"], one["pages"], one["tables"]) == ("ok", 5, 4)
    assert (one["checks_failed"], one["facts"]) == (1, 64)
