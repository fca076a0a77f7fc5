"""Comparison of pipeline facts with the seed's gold facts (shared by tests and reports)."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

KEY = ("table_id", "section", "item_code", "item_name", "column_name", "value", "page")


def gold_keys(path: Path) -> Counter:
    with path.open(encoding="utf-8") as fh:
        return Counter(
            tuple(
                Decimal(row[k])
                if k == "value"
                else int(row[k])
                if k == "page"
                else (row[k] or None)
                for k in KEY
            )
            for row in csv.DictReader(fh)
        )


def fact_keys(facts: list[dict], table_ids: set[str]) -> Counter:
    out = Counter()
    for f in facts:
        if f["table_id"] not in table_ids:
            continue
        key = tuple(f[k] if k != "item_name" else (f[k] or None) for k in KEY)
        out[key] += 1
    return out


def compare(facts: list[dict], gold_path: Path) -> tuple[Counter, Counter]:
    """(missing gold facts, extra facts) within the tables the gold covers."""
    gold = gold_keys(gold_path)
    ours = fact_keys(facts, {k[0] for k in gold})
    return gold - ours, ours - gold
