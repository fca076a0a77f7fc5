"""Shared fixtures: the reference corpus lives outside the project, in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "corpus" / "seed"
REAL = SHARED / "corpus" / "real"
CATALOG = SHARED / "corpus" / "CATALOG.csv"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference data not present: {path}")
    return path


@pytest.fixture(scope="session")
def seed_lattice():
    from budgetpdf.pipeline.document import process_document

    return process_document(need(SEED / "seed_lattice.pdf"))


@pytest.fixture(scope="session")
def seed_stream():
    from budgetpdf.pipeline.document import process_document

    return process_document(need(SEED / "seed_stream.pdf"))
