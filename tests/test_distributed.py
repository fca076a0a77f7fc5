"""The distributed backend (Dask) writes what the local runner writes, on a real local
cluster of two workers, and leaves no process behind.

Marked `slow` (a cluster's start and stop take most of a minute on two cores): run with
`.venv/bin/python -m pytest -m slow`."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from budgetpdf.pipeline.runner import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_distributed():
    """budgetpdf's Dask runner, imported only when these tests run: importing Dask while
    collecting cost every default test run 0.7 s per worker."""
    pytest.importorskip("distributed")
    from budgetpdf.pipeline.distributed import run_distributed

    return run_distributed


# Three distinct copies of the bundled sample and their local run, shared with the other
# tests of the session (conftest).
@pytest.fixture
def inputs(sample_inputs) -> list[Path]:
    return sample_inputs


@pytest.fixture
def local_run(sample_run) -> Path:
    return sample_run


def _assert_same_outputs(got: Path, want: Path) -> None:
    for name in ("facts", "checks"):
        assert (got / f"{name}.parquet").read_bytes() == (want / f"{name}.parquet").read_bytes()
    docs = [pq.read_table(o / "documents.parquet").drop_columns(["seconds"]) for o in (got, want)]
    assert docs[0].equals(docs[1])


def _leftover_processes() -> list:
    psutil = pytest.importorskip("psutil")
    deadline = time.monotonic() + 10
    while True:
        left = [
            p
            for p in psutil.Process().children(recursive=True)
            if "resource_tracker" not in " ".join(p.cmdline())
        ]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def test_local_cluster_equals_local_run(inputs, local_run, tmp_path, knowledge, run_distributed):
    summary = run_distributed(inputs, tmp_path, knowledge, workers=2)
    assert (summary.processed, summary.skipped_unchanged) == (len(inputs), 0)
    _assert_same_outputs(tmp_path, local_run)
    assert not _leftover_processes()


def test_existing_scheduler_skips_done_and_redoes_forced(
    inputs, local_run, tmp_path, knowledge, run_distributed
):
    import dask
    from dask.distributed import LocalCluster

    out = tmp_path / "out"
    run([inputs[0]], out, knowledge)  # one document already committed by this pipeline version
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
    ):
        summary = run_distributed(inputs, out, knowledge, address=cluster.scheduler_address)
        assert (summary.processed, summary.skipped_unchanged) == (len(inputs) - 1, 1)
        _assert_same_outputs(out, local_run)
        summary = run_distributed(
            inputs, out, knowledge, address=cluster.scheduler_address, force=True
        )
        assert (summary.processed, summary.skipped_unchanged) == (len(inputs), 0)
        _assert_same_outputs(out, local_run)
    assert not _leftover_processes()
