"""Run the pipeline on a Dask cluster: the workers process documents, the driver writes.

Same incremental rule, same output as `runner.run` (see DISTRIBUTED.md for why Dask). The
workers only compute: each returns a DocumentResult (pickled, so its Decimals arrive
exact), and this process commits each one with `write_document` as it completes, then
compacts. Only the driver touches `out`; the workers need the input files at the same
absolute paths (a shared filesystem) and budgetpdf installed in the same version.

Dask runs tasks in worker threads, where SIGALRM cannot be used and an address-space
limit would cap the whole worker; so each worker process keeps a small child pool, set up
like the local runner's (memory limit in the initializer, 10 documents per child), and
`process_bounded` runs there, in the child's main thread. Dask makes its worker processes
daemonic by default, and a daemonic process may not have children: the local cluster is
started without that, and workers you start yourself need the same setting, e.g.
`DASK_DISTRIBUTED__WORKER__DAEMON=False dask worker tcp://scheduler:8786`.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from budgetpdf.contract.rows import DocumentResult
from budgetpdf.emit.writer import compact
from budgetpdf.pipeline.runner import (
    Limits,
    RunSummary,
    _commit,
    _failed,
    _limit_memory,
    _plan,
    process_bounded,
)
from distributed.diagnostics.plugin import WorkerPlugin

# ---------------------------------------------------------------- worker side

_pool: ProcessPoolExecutor | None = None
_pool_memory_mb: int | None = None
_pool_lock = threading.Lock()


def _child_init(memory_mb: int) -> None:
    """The local runner's memory limit, and exit if the worker that started us is gone
    (a worker killed hard cannot shut its pool down)."""
    _limit_memory(memory_mb)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _child_pool(limits: Limits) -> ProcessPoolExecutor:
    global _pool, _pool_memory_mb
    with _pool_lock:
        if _pool is None or _pool_memory_mb != limits.memory_mb:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            try:
                from distributed import get_worker

                size = max(1, get_worker().state.nthreads)
            except (ImportError, ValueError, AttributeError):
                size = 1
            _pool = ProcessPoolExecutor(
                max_workers=size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_init,
                initargs=(limits.memory_mb,),
                max_tasks_per_child=10,
            )
            _pool_memory_mb = limits.memory_mb
        return _pool


def _reset_pool(broken: ProcessPoolExecutor | None = None) -> None:
    """Shut the child pool down (only if it is still `broken`, when given)."""
    global _pool
    with _pool_lock:
        if _pool is not None and (broken is None or _pool is broken):
            _pool.shutdown(wait=broken is None, cancel_futures=True)
            _pool = None


def process_on_worker(path: Path, limits: Limits) -> DocumentResult:
    """The task each Dask worker runs: `process_bounded` in a child process; a child that
    dies becomes a failed documents row. Raises RuntimeError on a daemonic worker (it may not
    start children)."""
    if multiprocessing.current_process().daemon:
        raise RuntimeError(
            "this Dask worker is daemonic and cannot start the child process a document is "
            "read in; start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False"
        )
    pool = _child_pool(limits)
    try:
        return pool.submit(process_bounded, path, limits).result()
    except BrokenProcessPool:
        _reset_pool(pool)
        return _failed(path, "the process reading this document died (crash or killed)")


class _StopChildren(WorkerPlugin):
    """A closing worker stops its child processes first (else it waits on them until the
    nanny kills it, and they are left to their watchdog)."""

    def teardown(self, worker) -> None:
        _reset_pool()


# ---------------------------------------------------------------- driver side


@contextmanager
def _client(address: str | None, workers: int):
    import dask
    from dask.distributed import Client, LocalCluster

    if address is not None:
        with Client(address) as client:
            yield client
        return
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(workers)
        yield client


def run_distributed(
    paths: Sequence[Path],
    out: Path,
    address: str | None = None,
    workers: int = 2,
    force: bool = False,
    limits: Limits = Limits(),  # noqa: B008 (frozen; runner.run has the same default)
) -> RunSummary:
    """Process the documents not already done on a Dask cluster and write them to out.

    address None starts a local cluster of `workers` processes (closed on return); else
    it is a running scheduler ("tcp://host:8786"), which is left running (its workers
    keep their child processes for the next run)."""
    todo, summary = _plan(paths, out, force)
    if todo:
        from dask.distributed import as_completed

        with _client(address, workers) as client:
            client.register_plugin(_StopChildren(), name="budgetpdf-stop-children")
            futures = [
                client.submit(process_on_worker, path.resolve(), limits, pure=False)
                for path in todo
            ]
            try:
                for future in as_completed(futures):
                    result = future.result()
                    future.release()
                    _commit(out, result, summary)
            finally:
                client.cancel(futures)
    compact(out)
    return summary
