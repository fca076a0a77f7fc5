"""Write the contract tables: a dataset that grows document by document, and the flat
tables (Parquet and CSV) compacted from it.

Layout of an output folder:

    dataset/documents/<doc_id>.parquet                          one row; written last
    dataset/tables/fiscal_year=<Y>/<doc_id>.parquet
    dataset/facts/fiscal_year=<Y>/table_id=<T>/<doc_id>.parquet
    dataset/checks/fiscal_year=<Y>/<doc_id>.parquet
    dataset/files.parquet                                       every input path seen
    flat/<generation>/{documents,tables,facts,checks,files}.{parquet,csv}   one compaction each
    flat/<generation>/datapackage.json          the Frictionless descriptor of that set
    current -> flat/<generation>                                     the set now served
    documents.parquet -> current/documents.parquet  (and the other ten, as links)

Every file is written beside its target and renamed over it, so nobody ever sees half a
file. The ten flat files change together: a compaction writes a new generation folder,
then renames a new `current` link over the old one in one step. A reader that resolves
`current` once (realpath) reads one night's set; the previous generation is kept until the
next switch, so a read that began before it still finds its files.

A document's row in dataset/documents is its commit marker: it is removed first and
written last, and compaction reads only documents that have one, so a run killed at any
moment leaves each document either complete or absent (and redone by the next run).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from budgetpdf.contract.files import write_csv, write_parquet, write_text
from budgetpdf.contract.rows import SCHEMAS, FileRow
from budgetpdf.emit.datapackage import datapackage_json
from budgetpdf.schemas.knowledge import Knowledge

Row = Mapping[str, object]
DATASET = "dataset"
UNKNOWN_YEAR = 0
_CENTS = Decimal("0.01")


# ---------------------------------------------------------------- per-document parts


def _to_table(name: str, rows: Sequence[Row]) -> pa.Table:
    """Rows of one contract table as Arrow. Raises ValueError naming the table and the keys
    when a row's keys are not exactly its contract type's (contract/rows.py)."""
    schema = SCHEMAS[name]
    expected = set(schema.names)
    for r in rows:
        if r.keys() != expected:
            missing, extra = sorted(expected - r.keys()), sorted(r.keys() - expected)
            raise ValueError(
                f"{name} row does not match the contract: missing {missing}, extra {extra}"
            )
    return pa.Table.from_pylist([{k: r[k] for k in schema.names} for r in rows], schema)


def _marker(out: Path, doc_id: str) -> Path:
    return out / DATASET / "documents" / f"{doc_id}.parquet"


def _parts(out: Path, doc_id: str) -> list[Path]:
    root = out / DATASET
    return [
        p
        for name in ("tables", "facts", "checks")
        for p in root.glob(f"{name}/**/{doc_id}.parquet")
    ]


def write_document(out: Path, rows: Mapping[str, Sequence[Row]]) -> None:
    """One document's rows as dataset parts, replacing any earlier parts of it.

    rows: the four contract tables by name, "documents" holding exactly one row; facts are
    split into one file per table_id. Raises ValueError when a row's keys are not its
    contract type's (nothing of the document is committed then)."""
    doc = rows["documents"][0]
    doc_id = doc["doc_id"]
    year = doc.get("fiscal_year") or UNKNOWN_YEAR
    _marker(out, doc_id).unlink(missing_ok=True)
    for old in _parts(out, doc_id):
        old.unlink()
    root = out / DATASET
    write_parquet(
        _to_table("tables", rows["tables"]),
        root / "tables" / f"fiscal_year={year}" / f"{doc_id}.parquet",
    )
    write_parquet(
        _to_table("checks", rows["checks"]),
        root / "checks" / f"fiscal_year={year}" / f"{doc_id}.parquet",
    )
    facts = _to_table("facts", rows["facts"])
    for table_id in sorted(set(facts["table_id"].to_pylist())):
        part = facts.filter(pc.equal(facts["table_id"], table_id))
        target = (
            root / "facts" / f"fiscal_year={year}" / f"table_id={table_id}" / f"{doc_id}.parquet"
        )
        write_parquet(part, target)
    write_parquet(_to_table("documents", [doc]), _marker(out, doc_id))


# ---------------------------------------------------------------- reading and compaction


def _committed(out: Path) -> set[str]:
    return {p.stem for p in (out / DATASET / "documents").glob("*.parquet")}


def read_dataset(out: Path, name: str) -> pa.Table:
    """All committed rows of one table (name: documents, tables, facts, checks or files),
    ordered by doc_id (files: by path), with the contract's columns; parts of uncommitted
    documents are left out. Raises KeyError for another name."""
    if name == "files":
        return read_files(out)
    schema = SCHEMAS[name]
    root = out / DATASET / name
    if not root.exists():
        return schema.empty_table()
    files = sorted(root.glob("**/*.parquet"))
    committed = _committed(out)
    files = [f for f in files if f.stem in committed]
    if not files:
        return schema.empty_table()
    tables = [
        pq.read_table(f, schema=schema) for f in sorted(files, key=lambda f: (f.stem, str(f)))
    ]
    return pa.concat_tables(tables)


FILES = "files.parquet"


def _files_path(out: Path) -> Path:
    return out / DATASET / FILES


def _read_files(target: Path) -> list[dict]:
    return pq.read_table(target, schema=SCHEMAS["files"]).to_pylist()


def record_files(out: Path, seen: Iterable[FileRow]) -> None:
    """Add the paths a run lists to OUT/dataset/files.parquet, one row per (path, sha256).

    The content a path holds now is its current row (superseded_by null, mtime and size as
    listed); every other content seen at that path before is superseded_by the doc_id now
    there, and stays, as do its document's rows: a file replaced under the same name keeps
    its older reading queryable. Paths not listed by this run are left as they were."""
    target = _files_path(out)
    rows: dict[tuple[str, str], dict] = {}
    if target.exists():
        rows = {(r["path"], r["sha256"]): r for r in _read_files(target)}
    now: dict[str, dict] = {}
    for row in seen:
        now[row["path"]] = dict(row, superseded_by=None)
    for (path, sha), row in rows.items():
        current = now.get(path)
        if current is not None and current["sha256"] != sha:
            row["superseded_by"] = current["doc_id"]
    rows.update({(r["path"], r["sha256"]): r for r in now.values()})
    ordered = [rows[k] for k in sorted(rows)]
    write_parquet(_to_table("files", ordered), target)


def read_files(out: Path) -> pa.Table:
    """The files rows whose document is committed, by path then sha256; a superseded_by
    naming a document not (yet) committed is null, so the rows never point at a document
    that the documents table lacks (a run killed after listing its inputs)."""
    target = _files_path(out)
    if not target.exists():
        return SCHEMAS["files"].empty_table()
    committed = _committed(out)
    rows = [r for r in _read_files(target) if r["doc_id"] in committed]
    for r in rows:
        if r["superseded_by"] not in committed:
            r["superseded_by"] = None
    return _to_table("files", rows)


def committed_documents(out: Path) -> list[dict]:
    """The documents rows of every committed document in out (empty when there is none)."""
    return read_dataset(out, "documents").to_pylist()


FLAT = "flat"
CURRENT = "current"
DATAPACKAGE = "datapackage.json"


def _switch_link(link: Path, target: str) -> None:
    """link pointing at target (relative), replaced in one rename, whatever was there (a
    flat file of an older layout, an older link)."""
    tmp = link.parent / f".{link.name}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)  # an output folder copied without its links (cp -r, a zip)
    os.replace(tmp, link)


def compact(out: Path, knowledge: Knowledge) -> None:
    """The flat tables (Parquet and CSV), rewritten from the dataset as one set: a new
    generation folder under OUT/flat, then OUT/current switched to it in one rename; the
    generation before is kept for readers in the middle of it, older ones are removed.
    knowledge: the closed vocabularies of the datapackage descriptor."""
    generation = f"{time.time_ns():020d}-{os.getpid()}"
    folder = out / FLAT / generation
    folder.mkdir(parents=True)
    rows = {}
    for name in SCHEMAS:
        table = read_dataset(out, name)
        write_parquet(table, folder / f"{name}.parquet")
        write_csv(table, folder / f"{name}.csv")
        rows[name] = table.num_rows
    write_text(datapackage_json(rows, knowledge), folder / DATAPACKAGE)
    current = out / CURRENT
    previous = os.readlink(current) if current.is_symlink() else None
    _switch_link(current, f"{FLAT}/{generation}")
    for file in [f"{name}.{ext}" for name in SCHEMAS for ext in ("parquet", "csv")] + [DATAPACKAGE]:
        link = out / file
        want = f"{CURRENT}/{file}"
        if not (link.is_symlink() and os.readlink(link) == want):
            _switch_link(link, want)
    keep = {generation, Path(previous).name if previous else None}
    for old in (out / FLAT).iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
