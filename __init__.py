"""budgetpdf: Chinese budget and final-account PDFs to exact, classified, checked data."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

__version__ = "0.1.0"

_ROOT = Path(__file__).resolve().parent
_NOT_READING = frozenset({"fetch"})


def code_digest(root: Path) -> str:
    """SHA-256 (hex) over the package's code and knowledge under root: every `*.py` of root
    and of its sub-packages (folders with an `__init__.py`), and every file under `schemas/`,
    each named by its relative path. Tests, tools, caches and the sub-packages that never
    touch a reading (`fetch/`: a new fetcher must not make every document be read again)
    are not part of it."""
    files = set(root.glob("*.py"))
    for sub in root.iterdir():
        if (sub / "__init__.py").is_file() and sub.name not in _NOT_READING:
            files.update(sub.rglob("*.py"))
    if (root / "schemas").is_dir():
        files.update(p for p in (root / "schemas").rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.cache
def pipeline_version() -> str:
    """The version that output is stamped with and compared against: the package version and
    the first 10 hex digits of `code_digest` of the installed files (`0.1.0+3f9c1a2b7d`),
    computed once per process. Any change to the code or to schemas/ changes it, so a run
    reprocesses what older code produced."""
    return f"{__version__}+{code_digest(_ROOT)[:10]}"
