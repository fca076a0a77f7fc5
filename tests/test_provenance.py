"""Every fact carries the box of the cell it was read from (x0, top, x1, bottom: PDF points
from the page's top-left, reading orientation), and every table its box on its first page.

The boxes are checked against pdfplumber's text layer, read independently of the pipeline
(which reads pages through pdfium): the characters whose centre lies in a fact's box, read
in line order, are the printed number, and nothing else. (Not every document can be checked
so: pdfplumber drops the glyph boxes of a font that declares a descent near a whole em a line
below their glyphs — two 重庆 templates — and a label too long for its cell runs on into the
amount's cell, `其他社会保障和就业支|出 1090.22`; there the box holds the number and more.)"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from budgetpdf.normalize.numbers import parse_amount
from conftest import REAL, SEED, need

BOX = ("x0", "top", "x1", "bottom")


def _printed_in(chars: list[dict], box: tuple[float, float, float, float]) -> str:
    x0, top, x1, bottom = box
    inside = [
        c
        for c in chars
        if x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= (c["top"] + c["bottom"]) / 2 <= bottom
    ]
    inside.sort(key=lambda c: (round(c["top"]), c["x0"]))
    return "".join(c["text"] for c in inside)


def _misplaced(path: Path, facts: list[dict]) -> list[tuple]:
    """Facts whose box does not hold exactly their printed number: (page, item, column,
    value, text in the box)."""
    by_page: dict[int, list[dict]] = defaultdict(list)
    for f in facts:
        by_page[f["page"]].append(f)
    bad = []
    with pdfplumber.open(path) as pdf:
        for page, rows in sorted(by_page.items()):
            chars = pdf.pages[page - 1].chars
            for f in rows:
                text = _printed_in(chars, tuple(f[k] for k in BOX))
                if parse_amount(text) != f["value"]:
                    bad.append((page, f["item_name"], f["column_name"], f["value"], text))
    return bad


def _tables_hold_their_first_page_facts(result) -> None:
    for t in result.tables:
        assert t["x0"] < t["x1"] and t["top"] < t["bottom"], t
        for f in result.facts:
            if f["table_no"] == t["table_no"] and f["page"] == t["page_first"]:
                assert t["x0"] - 0.01 <= f["x0"] and f["x1"] <= t["x1"] + 0.01
                assert t["top"] - 0.01 <= f["top"] and f["bottom"] <= t["bottom"] + 0.01


def test_seed_boxes_hold_their_numbers(seed_lattice):
    facts = seed_lattice.facts
    assert facts and all(f[k] is not None for f in facts for k in BOX)
    assert _misplaced(SEED / "seed_lattice.pdf", facts) == []
    _tables_hold_their_first_page_facts(seed_lattice)
    # the seed's source error: 项目概况表 合计/支出 prints 1038.29 (its projects sum to
    # 1036.29); its box is that printed cell on page 25
    cell = next(
        f
        for f in facts
        if f["table_id"] == "project_overview" and f["item_name"] == "合计" and f["page"] == 25
        if f["column_name"] == "支出"
    )
    assert cell["value"] == Decimal("1038.29")
    with pdfplumber.open(SEED / "seed_lattice.pdf") as pdf:
        assert _printed_in(pdf.pages[24].chars, tuple(cell[k] for k in BOX)) == "1038.29"


def test_seed_unruled_boxes_hold_their_numbers(seed_stream):
    # inferred grids: the boxes are the inferred column and row intervals
    assert _misplaced(SEED / "seed_stream.pdf", seed_stream.facts) == []


@pytest.mark.parametrize(
    "name",
    [
        # 江苏 2019: landscape tables on pages turned by /Rotate 90 (reading orientation)
        "2baf474e_江苏省人大常委会办公厅2019年部门预算公开表.pdf",
        # 北京 报表 template (5 s of pdfplumber: slow set)
        pytest.param(
            "002db9dd_政府办公厅_附件2：中共北京市委军民融合发展委员会办公室2026年度部门预算报表.pdf",
            marks=pytest.mark.slow,
        ),
        # 上海 template
        "ca1fccc4_2026年上海市卫生健康委员会_部门预算.pdf",
    ],
)
def test_corpus_boxes_hold_their_numbers(corpus, name):
    result = corpus(name)
    assert len(result.facts) > 150
    assert _misplaced(need(REAL / name), result.facts) == []
    _tables_hold_their_first_page_facts(result)
