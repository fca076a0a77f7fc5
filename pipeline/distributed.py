"""Run the pipeline on a Dask cluster: the workers process documents, the driver writes.

Same incremental rule, same output as `runner.run` (see DISTRIBUTED.md for why Dask). The
workers only compute: each returns a DocumentResult (pickled, so its Decimals arrive
exact), and this process commits each one with `write_document` as it completes, then
compacts. Only the driver touches `out`; the workers need the input files at the same
absolute paths (a shared filesystem) and budgetpdf installed in the same version.

Dask runs tasks in worker threads, where SIGALRM cannot be used and a memory limit would
cap the whole worker; so each task runs its document under the local runner's supervisor
(`runner.supervise`): a child process, started from a fork server (the Dask worker has
threads, which a plain fork could catch holding a lock), killed and replaced when it passes
the time or resident-memory limit, and a failed row when it dies. Dask makes its worker
processes daemonic by default, and a daemonic process may not have children: the local
cluster is started without that, and workers you start yourself need the same setting, e.g.
`DASK_DISTRIBUTED__WORKER__DAEMON=False dask worker tcp://scheduler:8786`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from budgetpdf.contract.rows import DocumentResult
from budgetpdf.emit.writer import compact
from budgetpdf.pipeline.runner import (
    Input,
    Limits,
    RunSummary,
    _commit,
    _plan,
    _record_attempt,
    _save_attempts,
    exclusive,
    prepare_output,
    supervise,
)
from budgetpdf.schemas.knowledge import Knowledge

# ---------------------------------------------------------------- worker side


def process_on_worker(item: Input, limits: Limits, knowledge: Knowledge) -> DocumentResult:
    """The task each Dask worker runs: the document in a supervised child process (see the
    module docstring), read by the knowledge the driver loaded (scattered to the workers
    once); a child over a limit or dead becomes a failed documents row. Raises
    RuntimeError on a daemonic worker (it may not start children)."""
    if multiprocessing.current_process().daemon:
        raise RuntimeError(
            "this Dask worker is daemonic and cannot start the child process a document is "
            "read in; start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False"
        )
    with closing(supervise([item], 1, limits, knowledge, start_method="forkserver")) as results:
        return next(results)


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
    knowledge: Knowledge,
    address: str | None = None,
    workers: int = 2,
    force: bool = False,
    limits: Limits = Limits(),  # noqa: B008 (frozen; runner.run has the same default)
) -> RunSummary:
    """Process the documents not already done on a Dask cluster and write them to out,
    each read by knowledge (loaded once by the caller, sent to each worker once).

    address None starts a local cluster of `workers` processes (closed on return); else
    it is a running scheduler ("tcp://host:8786"), which is left running. Raises
    OutputError when out cannot be written or another run holds it."""
    prepare_output(out)
    with exclusive(out):
        return _run_locked(paths, out, knowledge, address, workers, force, limits)


def _run_locked(
    paths: Sequence[Path],
    out: Path,
    knowledge: Knowledge,
    address: str | None,
    workers: int,
    force: bool,
    limits: Limits,
) -> RunSummary:
    todo, summary, attempts = _plan(paths, out, force)
    if todo:
        from dask.distributed import as_completed

        with _client(address, workers) as client:
            # once to every worker, not pickled into each task
            [shared] = client.scatter([knowledge], broadcast=True, hash=False)
            futures = [
                client.submit(
                    process_on_worker,
                    Input(item.path.resolve(), item.sha256, item.size),
                    limits,
                    shared,
                    pure=False,
                )
                for item in todo
            ]
            try:
                for future in as_completed(futures):
                    result = future.result()
                    future.release()
                    _commit(out, result, summary)
                    _record_attempt(attempts, result.document)
                    _save_attempts(out, attempts)
            finally:
                client.cancel(futures)
    compact(out, knowledge)
    return summary
