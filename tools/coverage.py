"""Amount coverage: of the amounts printed in table rows, how many appear as facts on their
page?

A reading of the PDF independent of table finding (the page's text lines, not our grids): on
every page of
every document that was not skipped or failed, every word that looks like an amount (decimals
or thousands separators) on a line that is not prose (no sentence punctuation, no 万元/元/%
as narrative and chart labels print them).

    python tools/coverage.py OUT [PDF_FOLDER] [--worst 10]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import regex

from extract.pdf import PageLayout, open_pages

AMOUNT = regex.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2}$|^-?\d{1,3}(?:,\d{3})+$")
PROSE = regex.compile(r"[。，；：]|万元|元[,，)）]|%")


def printed_amounts(page: PageLayout) -> Counter:
    out: Counter = Counter()
    for line in page.lines:
        words = [w.text for w in line.words]
        if PROSE.search("".join(words)):
            continue
        for w in words:
            if AMOUNT.match(w):
                out[Decimal(w.replace(",", ""))] += 1
    return out


def coverage(out: Path, folder: Path) -> list[tuple[str, int, int]]:
    docs = pq.read_table(out / "documents.parquet").to_pylist()
    facts = pq.read_table(out / "facts.parquet").to_pylist()
    on_page: dict[tuple[str, int], Counter] = {}
    for f in facts:
        on_page.setdefault((f["doc_id"], f["page"]), Counter())[f["value"]] += 1
    rows = []
    for doc in docs:
        path = folder / doc["source"]
        if doc["status"] in ("failed", "skipped") or not path.exists():
            continue
        printed = found = 0
        for page in open_pages(path):
            want = printed_amounts(page)
            have = on_page.get((doc["doc_id"], page.number), Counter())
            printed += sum(want.values())
            found += sum((want & have).values())
        rows.append((doc["source"], found, printed))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("data/raw"))
    parser.add_argument("--worst", type=int, default=10)
    args = parser.parse_args()
    rows = coverage(args.out, args.folder)
    found = sum(r[1] for r in rows)
    printed = sum(r[2] for r in rows)
    full = sum(1 for r in rows if r[1] == r[2])
    print(
        f"amount coverage: {found}/{printed} = {found / max(printed, 1):.2%} over {len(rows)} "
        f"documents; {full} documents at 100%"
    )
    for source, f, p in sorted(rows, key=lambda r: r[1] / max(r[2], 1))[: args.worst]:
        print(f"  {f}/{p} {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
