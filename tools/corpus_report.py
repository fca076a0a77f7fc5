"""Corpus report for a run: tables found against titles printed, amount coverage, checks.

    python tools/corpus_report.py OUT CORPUS_FOLDER [--details]

"Printed" tables are independent of the extraction: every text line of every page that the
title rules recognize as a canonical table title, on pages that are not a table of contents
(fewer than five title lines). A document is complete when each printed table_id was emitted.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coverage import coverage  # noqa: E402

from extract.pdf import read_pages  # noqa: E402
from normalize.schema import OTHER  # noqa: E402
from normalize.segment import page_titles  # noqa: E402

TOC_TITLES = 5


def printed_tables(path: Path) -> set[str]:
    found: set[str] = set()
    for page in read_pages(path):
        titles = [t for t in page_titles(page) if t.spec is not OTHER]
        if len(titles) < TOC_TITLES and not any("目录" in ln.text for ln in page.lines[:3]):
            found.update(t.spec.id for t in titles)
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--details", action="store_true")
    args = parser.parse_args()
    docs = pq.read_table(args.out / "documents.parquet").to_pylist()
    tables = pq.read_table(args.out / "tables.parquet").to_pylist()
    checks = pq.read_table(args.out / "checks.parquet").to_pylist()
    emitted: dict[str, set[str]] = defaultdict(set)
    for t in tables:
        if t["table_id"] != "other":
            emitted[t["doc_id"]].add(t["table_id"])
    complete = with_tables = 0
    missing_by_table: Counter = Counter()
    for doc in docs:
        path = args.folder / doc["source"]
        if doc["status"] in ("failed", "skipped") or not path.exists():
            continue
        printed = printed_tables(path)
        if not printed:
            continue
        with_tables += 1
        missing = printed - emitted[doc["doc_id"]]
        missing_by_table.update(missing)
        if not missing:
            complete += 1
        elif args.details:
            print(f"  missing {sorted(missing)} in {doc['source']}")
    print(f"documents: {len(docs)} ({Counter(d['status'] for d in docs)})")
    print(f"tables found: {complete}/{with_tables} documents with every printed standard table "
          f"({complete / max(with_tables, 1):.1%}); missing by table: {dict(missing_by_table)}")
    rows = coverage(args.out, args.folder)
    found = sum(r[1] for r in rows)
    printed_amounts = sum(r[2] for r in rows)
    full = sum(1 for r in rows if r[1] == r[2])
    print(f"amount coverage: {found}/{printed_amounts} = {found / max(printed_amounts, 1):.2%}; "
          f"{full}/{len(rows)} documents at 100% ({full / max(len(rows), 1):.1%})")
    if args.details:
        for source, f, p in sorted(rows, key=lambda r: r[1] / max(r[2], 1))[:25]:
            print(f"  {f}/{p} {source}")
    passed = sum(1 for c in checks if c["passed"])
    failed = Counter(c["check_id"] for c in checks if not c["passed"])
    print(f"checks: {passed}/{len(checks)} passed ({passed / max(len(checks), 1):.2%}); "
          f"failed by check: {dict(failed.most_common())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
