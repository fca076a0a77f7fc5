"""Corpus report for a run: tables found against titles printed, amount coverage, checks.

    python tools/corpus_report.py OUT CORPUS_FOLDER [--details] [--jobs N]

Read independently of table finding, one pass over every page of every document that was
neither failed nor skipped:
- printed tables: every text line the title rules recognize as a canonical table title, on
  pages that are not a table of contents; a document is complete when each printed
  table_id was emitted;
- printed amounts: every word that looks like an amount (decimals or thousands separators)
  on a line that is not prose; covered when a fact on that page has the same value.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from multiprocessing import Pool
from pathlib import Path

import pyarrow.parquet as pq
import regex

from extract.pdf import PageLayout, open_pages
from normalize.schema import OTHER
from normalize.segment import listed_tables, page_titles

AMOUNT = regex.compile(r"^-?(?:\d+(?:,\d{3})+|\d+)\.\d{2}$|^-?\d+(?:,\d{3})+$")
PROSE = regex.compile(r"[。，；：]|万元|元[,，)）]|%")


def printed_amounts(page: PageLayout) -> Counter:
    out: Counter = Counter()
    for line in page.lines:
        words = [w.text for w in line.words]
        if PROSE.search("".join(words)):
            continue
        out.update(Decimal(w.replace(",", "")) for w in words if AMOUNT.match(w))
    return out


def read_document(path: Path) -> tuple[set[str], dict[int, Counter]]:
    """(canonical tables printed, amounts printed per page)."""
    tables: set[str] = set()
    amounts: dict[int, Counter] = {}
    for page in open_pages(path):
        titles = page_titles(page)
        if not listed_tables(page, titles):
            tables.update(t.spec.id for t in titles if t.spec is not OTHER)
        amounts[page.number] = printed_amounts(page)
    return tables, amounts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--details", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    docs = pq.read_table(args.out / "documents.parquet").to_pylist()
    tables = pq.read_table(args.out / "tables.parquet").to_pylist()
    checks = pq.read_table(args.out / "checks.parquet").to_pylist()
    facts = pq.read_table(args.out / "facts.parquet", columns=["doc_id", "page", "value"])
    emitted: dict[str, set[str]] = defaultdict(set)
    for t in tables:
        if t["table_id"] != "other":
            emitted[t["doc_id"]].add(t["table_id"])
    on_page: dict[tuple[str, int], Counter] = defaultdict(Counter)
    for f in facts.to_pylist():
        on_page[(f["doc_id"], f["page"])][f["value"]] += 1
    todo = [
        d
        for d in docs
        if d["status"] not in ("failed", "skipped") and (args.folder / d["source"]).exists()
    ]
    with Pool(args.jobs) as pool:
        read = pool.map(read_document, [args.folder / d["source"] for d in todo], chunksize=1)
    complete = with_tables = 0
    missing_by_table: Counter = Counter()
    coverage_rows = []
    for doc, (printed, amounts) in zip(todo, read, strict=True):
        missing = printed - emitted[doc["doc_id"]]
        if printed:
            with_tables += 1
            complete += not missing
            missing_by_table.update(missing)
        if missing and args.details:
            print(f"  missing {sorted(missing)} in {doc['source']}")
        want = sum(sum(c.values()) for c in amounts.values())
        got = sum(sum((c & on_page[(doc["doc_id"], p)]).values()) for p, c in amounts.items())
        coverage_rows.append((doc["source"], got, want))
    print(f"documents: {len(docs)} {dict(Counter(d['status'] for d in docs))}")
    print(
        f"tables found: {complete}/{with_tables} documents with every printed standard table "
        f"({complete / max(with_tables, 1):.1%}); missing by table: {dict(missing_by_table)}"
    )
    got = sum(r[1] for r in coverage_rows)
    want = sum(r[2] for r in coverage_rows)
    full = sum(1 for r in coverage_rows if r[1] == r[2])
    print(
        f"amount coverage: {got}/{want} = {got / max(want, 1):.2%}; {full}/{len(coverage_rows)} "
        f"documents at 100% ({full / max(len(coverage_rows), 1):.1%})"
    )
    if args.details:
        for source, g, w in sorted(coverage_rows, key=lambda r: r[1] / max(r[2], 1))[:25]:
            print(f"  {g}/{w} {source}")
    passed = sum(1 for c in checks if c["passed"])
    failed = Counter(c["check_id"] for c in checks if not c["passed"])
    print(
        f"checks: {passed}/{len(checks)} passed ({passed / max(len(checks), 1):.2%}); "
        f"failed by check: {dict(failed.most_common())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
