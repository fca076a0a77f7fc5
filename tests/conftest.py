"""Shared fixtures. The reference corpus lives outside the project, in ../shared (or where
BUDGETPDF_SHARED points; point it at a missing folder to see what a bare clone runs). The
repository's own sample, data/raw/sample_final_account.pdf, needs nothing outside it.

Every document the tests read end to end is processed once per test run, whichever pytest-xdist
worker asks first (`read_once`: the others wait for it and load its result from disk); the
session fixtures below hold its result, and `sample_run` one output folder of a run over
several distinct copies of the sample, which the tests that only read outputs share.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("BUDGETPDF_SHARED") or ROOT.parent / "shared")
SEED = SHARED / "corpus" / "seed"
REAL = SHARED / "corpus" / "real"
CATALOG = SHARED / "corpus" / "CATALOG.csv"
SAMPLE = ROOT / "data" / "raw" / "sample_final_account.pdf"


def need(path: Path) -> Path:
    """The path, or skip the test when the reference data is not present."""
    if not path.exists():
        pytest.skip(f"reference data not present: {path}")
    return path


def sample_copies(folder: Path, n: int) -> list[Path]:
    """n copies of the sample that differ in their bytes (a comment after %%EOF, which PDF
    readers ignore), so each is its own document (doc_id is a hash of the bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = SAMPLE.read_bytes()
    paths = []
    for i in range(n):
        path = folder / f"sample_{i}.pdf"
        path.write_bytes(data + f"\n% copy {i}\n".encode())
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def knowledge():
    """The shipped knowledge (schemas/), loaded and validated once per test run."""
    from budgetpdf.schemas.knowledge import load_knowledge

    return load_knowledge()


@pytest.fixture(scope="session")
def shared_tmp(tmp_path_factory, worker_id: str) -> Path:
    """This test run's folder that every xdist worker sees (each worker's own temporary
    folders are below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


@contextmanager
def first_of_the_run(shared_tmp: Path, key: str) -> Iterator[Path | None]:
    """Under the run-wide lock `key`: yields None when another worker made `key` already,
    else the path to make it at (a folder or file name in shared_tmp), marked made on exit."""
    with (shared_tmp / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        made = shared_tmp / f"{key}.made"
        if made.exists():
            yield None
            return
        yield shared_tmp / key
        made.touch()


@pytest.fixture(scope="session")
def read_once(shared_tmp, knowledge) -> Callable:
    """read_once(path): process_document(path) through the default backend, computed once per
    test run for all xdist workers. The first worker to ask reads the PDF and pickles the
    result into the run's shared temporary folder; the others load it."""
    from budgetpdf.pipeline.document import process_document

    memo: dict[Path, object] = {}

    def read(path: Path):
        if path in memo:
            return memo[path]
        key = hashlib.sha256(path.name.encode() + b"\0" + path.read_bytes()).hexdigest()[:24]
        with first_of_the_run(shared_tmp, f"read_{key}") as target:
            if target is not None:
                saved = os.environ.pop("BUDGETPDF_BACKEND", None)
                try:
                    target.write_bytes(pickle.dumps(process_document(path, knowledge)))
                finally:
                    if saved is not None:
                        os.environ["BUDGETPDF_BACKEND"] = saved
        memo[path] = pickle.loads((shared_tmp / f"read_{key}").read_bytes())
        return memo[path]

    return read


@pytest.fixture(scope="session")
def sample(read_once):
    """The bundled sample's DocumentResult."""
    return read_once(SAMPLE)


@pytest.fixture(scope="session")
def seed_lattice(read_once):
    return read_once(need(SEED / "seed_lattice.pdf"))


@pytest.fixture(scope="session")
def seed_stream(read_once):
    return read_once(need(SEED / "seed_stream.pdf"))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, read_once):
    """corpus(name) or corpus(name, first, last): the DocumentResult of a PDF of
    ../shared/corpus/real (through the default backend), or of its pages first..last (1-based)
    copied into a PDF of their own — for a test about a few pages of a long document. Each
    is processed once per test run (`read_once`)."""
    folder = tmp_path_factory.mktemp("pages")

    def get(name: str, first: int | None = None, last: int | None = None):
        path = need(REAL / name)
        if first is not None:
            path = page_range(path, first, last or first, folder)
        return read_once(path)

    return get


def page_range(path: Path, first: int, last: int, folder: Path) -> Path:
    """Pages first..last of a PDF, as printed (MediaBox, fonts and rules copied as they are)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(path).pages[first - 1 : last]:
        writer.add_page(page)
    out = folder / f"{path.stem}_p{first}-{last}.pdf"
    writer.write(out)
    return out


@pytest.fixture(scope="session")
def sample_inputs(shared_tmp) -> list[Path]:
    """Three distinct copies of the sample: enough documents for kill, rerun and parallel
    tests, in about a second each; one set for the whole test run."""
    with first_of_the_run(shared_tmp, "sample_inputs") as target:
        if target is not None:
            sample_copies(target, 3)
    return sorted((shared_tmp / "sample_inputs").glob("sample_*.pdf"))


@pytest.fixture(scope="session")
def sample_run(sample_inputs, knowledge, shared_tmp) -> Path:
    """The output folder of one serial run over `sample_inputs`, made once per test run.
    Read it; a test that writes to an output folder copies it first (`fresh_copy`)."""
    from budgetpdf.pipeline.runner import run

    with first_of_the_run(shared_tmp, "sample_run") as target:
        if target is not None:
            run(sample_inputs, target, knowledge)
    return shared_tmp / "sample_run"


def fresh_copy(out: Path, to: Path) -> Path:
    """A writable copy of an output folder."""
    shutil.copytree(out, to)
    return to
