"""Column concepts (contract 1.1): header paths read by rule, unseen wordings, real columns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from budgetpdf.normalize.concepts import Concepts, concept_column_id, name_column, read_concepts
from budgetpdf.schemas.knowledge import table_specs


def _spec(table_id: str):
    return next(s for s in table_specs() if s.id == table_id)


def read(path: str, table_id: str, kind: str | None = None, year: int | None = None, siblings=()):
    spec = _spec(table_id)
    parts = tuple(path.split("/"))
    concepts = read_concepts(parts, spec, kind, year, [tuple(s.split("/")) for s in siblings])
    name, concepts = name_column(concepts, parts, spec, kind)
    return concepts, name


# ---------------------------------------------------------------- unit: wordings never printed so


@pytest.mark.parametrize(
    ("path", "table_id", "dim", "value"),
    [
        ("本年收入/一般公共预算财政拨款收入", "budget_income", "fund", "一般公共预算"),
        ("财政拨款（补助）/小计", "budget_income", "fund", "财政拨款"),
        ("一般公共预\n算财政拨款", "appropriation_summary", "fund", "一般公共预算"),
        ("上年结余、结转", "budget_income", "fund", "上年结转"),
        ("本级财政拨款", "budget_income", "fund", "财政拨款"),
        ("资金来源/财政专户管理资金", "budget_project_expenditure", "fund", "财政专户管理资金"),
        ("人员支出", "budget_gpb_basic_expenditure", "spending", "人员经费"),
        ("日常公用经费", "budget_gpb_basic_expenditure", "spending", "公用经费"),
        ("支出总计", "expenditure", "spending", "合计"),
        ("本年支出/小计", "expenditure", "spending", "合计"),
        ("经营支出", "expenditure", "spending", "事业单位经营支出"),
        ("因公出国（境）费用", "budget_three_public", "expense_item", "因公出国(境)费"),
        ("公务用车购置及运行费", "three_public", "expense_item", "公务用车购置及运行维护费"),
        ("公 务 用 车/运行费", "three_public", "expense_item", "公务用车运行维护费"),
        ("“三公”经费/小计", "budget_three_public", "expense_item", '"三公"经费合计'),
        ("年末结转和结余", "gov_fund", "flow", "年末结转和结余"),
    ],
)
def test_unseen_wordings_read_as_their_concept(path, table_id, dim, value):
    concepts, _ = read(path, table_id)
    assert getattr(concepts, dim) == value
    assert not concepts.unmapped


@pytest.mark.parametrize(
    ("path", "kind", "year", "measure", "name"),
    [
        ("2025年预算数/公务用车购置及运行维护费/小计", "预算", 2026, "上年预算数", None),
        ("2025年执行数", "预算", 2026, "上年执行数", None),
        ("上年执行数/合计", "预算", 2026, "上年执行数", "上年执行数/合计"),
        ("比上年增减%", "预算", 2026, "增减率", None),
        ("调整预算数/基本支出", "决算", 2024, "调整预算数", None),
        ("2024年决算数", "决算", 2025, "上年决算数", None),
        ("2026年预算数", "预算", 2026, "预算数", None),
    ],
)
def test_measure_from_another_year_or_a_change_word(path, kind, year, measure, name):
    concepts, got = read(path, "budget_three_public", kind, year)
    assert concepts.measure == measure
    if name:
        assert got == name


def test_order_of_the_header_does_not_matter():
    a, name_a = read("公务接待费/决算数", "three_public", "决算", 2024)
    b, name_b = read("决算数/公务接待费", "three_public", "决算", 2024)
    assert a == b and name_a == name_b == "决算数/公务接待费"
    assert concept_column_id(a, name_a) == concept_column_id(b, name_b) == "final_reception"


def test_a_line_above_the_table_and_a_wrapped_word_stay_out_of_the_concept():
    concepts, name = read('江苏省人民检察院/"三公"经费/因公出国/(境)费', "budget_three_public")
    assert concepts.expense_item == "因公出国(境)费" and name == "因公出国(境)费"


def test_a_total_totals_the_dimension_its_siblings_break_down():
    funds = ["一般公共预算", "政府性基金预算"]
    assert read("合计", "budget_expenditure", siblings=funds)[0].fund == "合计"
    spends = ["基本支出", "项目支出"]
    assert read("合计", "budget_expenditure", siblings=spends)[0].spending == "合计"
    # 财政拨款/小计 is fund 财政拨款, not a table total
    assert read("财政拨款/小计", "budget_income", siblings=["合计", "事业收入"])[0].fund == "财政拨款"


def test_a_heading_no_vocabulary_holds_keeps_its_printed_path():
    concepts, name = read("政府采购项目/小计", "budget_expenditure", siblings=["合计", "基本支出"])
    assert concepts == Concepts("预算数", unmapped=True) and name == "政府采购项目/小计"


def test_one_concept_one_id_in_every_table():
    a, na = read("一般公共预算拨款", "budget_income", "预算")
    b, nb = read("一般公共预算资金", "budget_project_expenditure", "预算")
    assert concept_column_id(a, na) == concept_column_id(b, nb) == "gpb"
    c, nc = read("上年预算数/合计", "budget_gpb_expenditure", "预算", 2026, siblings=["基本支出"])
    assert (c.measure, c.spending, nc) == ("上年预算数", "合计", "上年预算数/合计")
    assert concept_column_id(c, nc) == "prior_budget_spending_total"
