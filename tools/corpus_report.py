"""Corpus report for a run: tables found against titles printed, amount coverage, checks.

    python tools/corpus_report.py OUT CORPUS_FOLDER [--details] [--jobs N]

Read independently of table finding, one pass over every page of every document that was
neither failed nor skipped:
- printed tables: every text line the title rules recognize as a canonical table title, on
  pages that are not a table of contents; a document is complete when each printed
  table_id was emitted;
- printed amounts: every word that looks like an amount (decimals or thousands separators)
  outside running text (see `printed_amounts`); covered when a fact on that page has the
  same value.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal
from multiprocessing import Pool
from pathlib import Path

import pyarrow.parquet as pq
import regex
from budgetpdf.extract.layout import TextLine, Word
from budgetpdf.extract.page import PageLayout
from budgetpdf.extract.reader import open_pages
from budgetpdf.normalize.segment import listed_tables, page_titles
from budgetpdf.schemas.knowledge import OTHER

AMOUNT = regex.compile(r"^-?(?:\d+(?:,\d{3})+|\d+)\.\d{2}$|^-?\d+(?:,\d{3})+$")
# Sentence punctuation, a unit, or an ASCII comma standing alone (what is left of a sentence
# when a font's CJK glyphs have no text mapping).
PROSE = regex.compile(r"[。，；：]|万元|元[,，)）]|%|(?:^| )[,;:](?: |$)")
DECIMALS = regex.compile(r"^\.\d+$")
UNIT_WORD = regex.compile(r"^(?:万元|万|元)")
SENTENCE = regex.compile(r"[。，；、]")
MARGIN = 0.06  # running headers and footers sit in the outer 6% of the page height
COMPARISON = regex.compile(r"[≤≥＝=<>＜＞]$")
PAGE_NUMBER = regex.compile(r"^[-—\s]*\d+[-—\s]*$")


def line_text(line: TextLine) -> str:
    return " ".join(w.text for w in line.words)


def printed_amounts(pages: list[PageLayout]) -> dict[int, list[tuple[Decimal, str]]]:
    """Every amount printed outside running text, per page, with the text of its line.

    A line is running text when it has sentence punctuation or a unit, and an amount is
    part of a sentence when a unit follows it: on its own line, or, for a sentence wrapped
    after the amount, at the start of the next line of body text (on the next page, when
    the amount ends a page). Table cells carry a unit after the amount only in performance
    targets, where a comparison precedes it (`≤ 0.45 元/张`)."""
    lines = [(page, line) for page in pages for line in page.lines]
    next_body: list[TextLine | None] = [None] * len(lines)
    following = None
    for i in range(len(lines) - 1, -1, -1):
        next_body[i] = following
        if _is_body(*lines[i]):
            following = lines[i][1]
    out: dict[int, list[tuple[Decimal, str]]] = {page.number: [] for page in pages}
    for i, ((page, line), after) in enumerate(zip(lines, next_body, strict=True)):
        text = line_text(line)
        if PROSE.search(text):
            continue
        below = [
            w
            for p, ln in lines[i + 1 : i + 4]
            if p is page and ln.top < line.bottom + 1.5 * line.height
            for w in ln.words
        ]
        words = line.words
        for k, word in enumerate(words):
            if AMOUNT.match(word.text) and not _unit_follows(words, k, after):
                figures = word.text.replace(",", "") + _wrapped_decimals(word, below)
                out[page.number].append((Decimal(figures), text))
    return out


def _wrapped_decimals(amount: Word, below: Sequence[Word]) -> str:
    """The decimals of an amount too wide for its cell, wrapped under it (`1,264,602` over
    `.38`), else nothing."""
    for word in below:
        if DECIMALS.match(word.text) and amount.x0 <= word.x0 <= amount.x1 + (word.x1 - word.x0):
            return word.text
    return ""


def _unit_follows(words: Sequence[Word], k: int, next_line: TextLine | None) -> bool:
    if k > 0 and COMPARISON.search(words[k - 1].text):
        return False
    if k + 1 < len(words):
        return bool(UNIT_WORD.match(words[k + 1].text))
    return next_line is not None and _continues_with_unit(next_line, words[k])


def _is_body(page: PageLayout, line: TextLine) -> bool:
    """Not a page number, running header or footer."""
    return (
        not PAGE_NUMBER.match(line_text(line))
        and MARGIN * page.height < line.top < (1 - MARGIN) * page.height
    )


def _continues_with_unit(line: TextLine, amount: Word) -> bool:
    """Whether `line` carries on a sentence from `amount`: back at the left margin, unit first."""
    text = line_text(line)
    return line.x0 < amount.x0 and bool(UNIT_WORD.match(text) and SENTENCE.search(text))


def read_document(path: Path) -> tuple[set[str], dict[int, list[tuple[Decimal, str]]]]:
    """(canonical tables printed, amounts printed per page)."""
    tables: set[str] = set()
    pages = list(open_pages(path))
    for page in pages:
        titles = page_titles(page)
        if not listed_tables(page, titles):
            tables.update(t.spec.id for t in titles if t.spec is not OTHER)
    return tables, printed_amounts(pages)


def uncovered(printed: list[tuple[Decimal, str]], facts: Counter) -> list[tuple[Decimal, str]]:
    """The printed amounts no fact of the page accounts for, in reading order."""
    left = Counter(facts)
    out = []
    for value, line in printed:
        if left[value] > 0:
            left[value] -= 1
        else:
            out.append((value, line))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--details", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--misses", type=Path, help="write every uncovered amount to this CSV")
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
    all_misses: list[tuple[str, int, Decimal, str]] = []
    for doc, (printed, amounts) in zip(todo, read, strict=True):
        missing = printed - emitted[doc["doc_id"]]
        if printed:
            with_tables += 1
            complete += not missing
            missing_by_table.update(missing)
        if missing and args.details:
            print(f"  missing {sorted(missing)} in {doc['source']}")
        misses = [
            (doc["source"], page, value, line)
            for page, printed_on_page in amounts.items()
            for value, line in uncovered(printed_on_page, on_page[(doc["doc_id"], page)])
        ]
        want = sum(len(a) for a in amounts.values())
        coverage_rows.append((doc["source"], want - len(misses), want))
        all_misses.extend(misses)
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
        for source, g, w in sorted(coverage_rows, key=lambda r: r[1] / max(r[2], 1))[:60]:
            print(f"  {g}/{w} {source}")
    if args.misses:
        with args.misses.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([("source", "page", "value", "line"), *all_misses])
    passed = sum(1 for c in checks if c["passed"])
    failed = Counter(c["check_id"] for c in checks if not c["passed"])
    print(
        f"checks: {passed}/{len(checks)} passed ({passed / max(len(checks), 1):.2%}); "
        f"failed by check: {dict(failed.most_common())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
