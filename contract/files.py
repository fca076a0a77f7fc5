"""How the project writes a file: whole or not at all, and one writer per output folder.

Every file is written beside its target and renamed over it (`write_text`, `write_parquet`,
`write_csv`), so no reader ever sees half a file; CSV is UTF-8 with a BOM and plain decimals,
as the contract spells it, so it opens in Excel and DuckDB alike. `exclusive` holds a folder's
run lock. The fetcher (data/raw and its manifest), the writer (data/out) and the runner all
write through here.
"""

from __future__ import annotations

import csv
import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_CENTS = Decimal("0.01")


class OutputError(Exception):
    """The output folder cannot be used (a file, read-only, full disk); one line says why."""


def _atomic_path(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def _replace(tmp: Path, target: Path) -> None:
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    tmp.chmod(0o644)
    os.replace(tmp, target)


def sweep(out: Path) -> int:
    """Remove the temporary files a killed run left behind; they were never renamed into
    place, so no reader has seen them."""
    stale = list(out.glob("**/.*.tmp")) if out.exists() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def write_text(text: str, target: Path) -> None:
    """text (UTF-8) at target, atomically (written beside it, then renamed over)."""
    tmp = _atomic_path(target)
    tmp.write_text(text, encoding="utf-8")
    _replace(tmp, target)


def write_parquet(table: pa.Table, target: Path) -> None:
    """table as zstd Parquet at target, atomically (written beside it, then renamed over)."""
    tmp = _atomic_path(target)
    pq.write_table(table, tmp, compression="zstd")
    _replace(tmp, target)


def plain_decimal(value: Decimal) -> str:
    """Parquet stores a fixed scale; the CSV shows at least cents and no padding beyond
    the digits that carry a value (2030.8900000000 → 2030.89, 95.7000000000 → 95.70)."""
    trimmed = value.normalize()
    if trimmed.as_tuple().exponent > -2:
        trimmed = trimmed.quantize(_CENTS)
    return format(trimmed, "f")


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain_decimal(value)
    return value


def write_csv(table: pa.Table, target: Path) -> None:
    """table as CSV at target, atomically: UTF-8 with a BOM, so that Excel opens the Chinese
    text correctly; nulls are empty, decimals plain_decimal."""
    tmp = _atomic_path(target)
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.column_names)
        for batch in table.to_batches():
            for row in batch.to_pylist():
                writer.writerow([_csv_value(v) for v in row.values()])
    _replace(tmp, target)


LOCK = ".lock"
_held_locks: list[
    int
] = []  # closed in forked workers (held_locks): a lock lives as long as its run


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold out's run lock (flock on OUT/.lock, released by the system if the run dies).
    Raises OutputError at once when another run holds it: two runs never write one output."""
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"another run is writing to {out}; wait for it to end or use another --out"
            ) from None
        _held_locks.append(fd)
        yield
    finally:
        if fd in _held_locks:
            _held_locks.remove(fd)
        os.close(fd)


def held_locks() -> tuple[int, ...]:
    """The file descriptors of the run locks this process holds: a forked worker closes them,
    so a lock is released when its run ends, not when its last worker does."""
    return tuple(_held_locks)
