"""Write the contract tables as Parquet and CSV, atomically and incrementally.

Every file is written beside its target and renamed over it, so a reader (or a run killed
with kill -9) never sees half a file. A run merges its documents into what the folder
already holds: the rows of a re-processed document replace its old rows.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from emit.schema import SCHEMAS

Row = Mapping[str, object]


def _atomic_path(target: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def _replace(tmp: Path, target: Path) -> None:
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    tmp.chmod(0o644)
    os.replace(tmp, target)


def read_table(out: Path, name: str) -> pa.Table:
    path = out / f"{name}.parquet"
    if not path.exists():
        return SCHEMAS[name].empty_table()
    return pq.read_table(path, schema=SCHEMAS[name])


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    return value


_CENTS = Decimal("0.01")


def _plain_decimal(value: Decimal) -> str:
    """Parquet stores a fixed scale; the CSV shows at least cents and no padding beyond
    the digits that carry a value (2030.890000 → 2030.89, 95.700000 → 95.70)."""
    trimmed = value.normalize()
    if trimmed.as_tuple().exponent > -2:
        trimmed = trimmed.quantize(_CENTS)
    return format(trimmed, "f")


def write_csv(table: pa.Table, target: Path) -> None:
    tmp = _atomic_path(target)
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.column_names)
        for batch in table.to_batches():
            for row in batch.to_pylist():
                writer.writerow([_csv_value(v) for v in row.values()])
    _replace(tmp, target)


def write_parquet(table: pa.Table, target: Path) -> None:
    tmp = _atomic_path(target)
    pq.write_table(table, tmp, compression="zstd")
    _replace(tmp, target)


def merge_rows(out: Path, name: str, rows: Iterable[Row], doc_ids: set[str]) -> pa.Table:
    """The folder's table with the given documents' rows replaced by the new ones."""
    schema = SCHEMAS[name]
    old = read_table(out, name)
    if doc_ids and old.num_rows:
        keep = pa.compute.invert(pa.compute.is_in(old["doc_id"], pa.array(sorted(doc_ids))))
        old = old.filter(keep)
    new = pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema)
    merged = pa.concat_tables([old, new]) if old.num_rows else new
    return merged.sort_by([("doc_id", "ascending")]) if name == "documents" else merged


def write_tables(out: Path, rows: Mapping[str, list[Row]], doc_ids: set[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        table = merge_rows(out, name, rows.get(name, []), doc_ids)
        write_parquet(table, out / f"{name}.parquet")
        write_csv(table, out / f"{name}.csv")
