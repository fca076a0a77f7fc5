"""Header path → the contract's column name, on hand-built grids and header paths.

Only what the contract fixes is asserted (OUTPUT.md: a 小计 under a generic heading is the
table's 合计; another year's or last year's figures keep their printed path), not how
frame.py gets there."""

from __future__ import annotations

from decimal import Decimal

import pytest
from budgetpdf.normalize.frame import build_frame, column_meaning
from grids import ABOVE, LEFT, grid


def _column(knowledge, path: tuple[str, ...], table_id: str, year: int | None = 2026) -> str:
    spec = knowledge.table(table_id)
    sections = knowledge.headers.sections if spec.two_sided else frozenset()
    path = tuple(p for p in path if p not in sections)
    return column_meaning(path, [], spec, knowledge, bool(spec.single_amount), year, None).name


@pytest.mark.parametrize(
    ("path", "table_id", "name"),
    [
        # a 小计 under a generic heading is the table's total, named as the table names it
        (("本年支出", "小计"), "budget_expenditure", "合计"),
        (("本年支出", "小计"), "expenditure", "本年支出合计"),
        # the document's own year goes; another year, or last year's figures, keep the path
        (("2026年预算数", "合计"), "budget_expenditure", "合计"),
        (("上年预算数", "合计"), "budget_expenditure", "上年预算数/合计"),
        # a total under a specific heading stays that heading's: 政府采购 (spending bought
        # through procurement, project vocabulary), 某某经费 (no vocabulary) below
        (("政府采购项目", "合计"), "budget_expenditure", "政府采购"),
        # printed variants of one name
        (("一般公共预算拨款",), "budget_expenditure", "一般公共预算"),
        (("因公出国(境)费用",), "budget_three_public", "因公出国(境)费"),
        (("因公出国境费()",), "budget_three_public", "因公出国(境)费"),  # brackets off the line
        # 三公 决算: the group heading stays, a subtotal names its parent
        (("决算数", "合计"), "three_public", "决算数/合计"),
        (
            ("决算数", "公务用车购置及运行维护费", "小计"),
            "three_public",
            "决算数/公务用车购置及运行维护费",
        ),
        (
            ("决算数", "公务用车购置及运行维护费", "公务用车运行维护费"),
            "three_public",
            "决算数/公务用车运行维护费",
        ),
        # a two-sided table's side headings are sections, not columns
        (("收入", "决算数"), "income_expenditure_summary", "决算数"),
        (("支出",), "income_expenditure_summary", "决算数"),
        # an unknown heading keeps its printed path
        (("某某经费", "小计"), "budget_expenditure", "某某经费/小计"),
    ],
)
def test_header_path_to_column(path, table_id, name, knowledge):
    assert _column(knowledge, path, table_id) == name


def test_another_years_figures_are_never_the_tables_own(knowledge):
    name = _column(knowledge, ("2025年预算数", "合计"), "budget_expenditure", year=2026)
    assert name != "合计" and name.endswith("/合计")


EXPENDITURE = [
    ["功能分类科目编码", "科目名称", "本年支出", LEFT, LEFT],
    [ABOVE, ABOVE, "小计", "基本支出", "项目支出"],
    ["栏次", "", "1", "2", "3"],
    ["2240401", "行政运行", "1,100.00", "600.00", "500.00"],
    ["2240402", "一般行政管理事务", "40.00", "", "40.00"],
    ["", "合计", "1,140.00", "600.00", "540.00"],
]


@pytest.mark.parametrize(
    ("table_id", "total"), [("budget_expenditure", "合计"), ("expenditure", "本年支出合计")]
)
def test_merged_header_cells_name_the_amount_columns(table_id, total, knowledge):
    frame = build_frame(knowledge.table(table_id), [grid(EXPENDITURE, page=7)], knowledge)
    facts = {(r.classification.item_code or r.item_name, r.column_name): r for r in frame.records}
    assert {k: r.value for k, r in facts.items()} == {
        ("2240401", total): Decimal("1100.00"),
        ("2240401", "基本支出"): Decimal("600.00"),
        ("2240401", "项目支出"): Decimal("500.00"),
        ("2240402", total): Decimal("40.00"),
        ("2240402", "项目支出"): Decimal("40.00"),  # the blank 基本支出 cell is no fact
        ("合计", total): Decimal("1140.00"),
        ("合计", "基本支出"): Decimal("600.00"),
        ("合计", "项目支出"): Decimal("540.00"),
    }
    assert {r.page for r in frame.records} == {7}
    assert facts[("2240401", "基本支出")].item_name == "行政运行"


def test_a_continuation_grid_without_header_takes_the_columns_above(knowledge):
    head, rest = EXPENDITURE[:4], [["2240402", "一般行政管理事务", "40.00", "", "40.00"]]
    spec = knowledge.table("budget_expenditure")
    frame = build_frame(spec, [grid(head, page=3), grid(rest, page=4)], knowledge)
    on_4 = {
        (r.classification.item_code, r.column_name, r.value) for r in frame.records if r.page == 4
    }
    assert on_4 == {
        ("2240402", "合计", Decimal("40.00")),
        ("2240402", "项目支出", Decimal("40.00")),
    }
    assert frame.pages == [3, 4]
