"""The check engine on small hand-built fact rows (every rule kind, concept selection, not
evaluable), and on real PDFs whose earlier checks failed because a column was misread."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from budgetpdf.check.engine import run_checks
from budgetpdf.contract.rows import FactRow
from budgetpdf.extract.layout import TextLine

from tests.conftest import SHARED, need

CONCEPTS = ("measure", "flow", "fund", "spending", "expense_item")


def fact(
    table_id: str,
    column: str,
    value: str,
    *,
    row: int = 1,
    item: str = "合计",
    code: str | None = None,
    level: str | None = None,
    parent: str | None = None,
    section: str | None = None,
    column_id: str | None = None,
    unit: str | None = "万元",
    **concepts: str,
) -> FactRow:
    """One fact as the pipeline writes it; concepts (measure=…, spending=…) null unless given."""
    assert set(concepts) <= set(CONCEPTS), concepts
    amount = Decimal(value)
    return {
        "doc_id": "d",
        "table_id": table_id,
        "table_name": table_id,
        "table_code": None,
        "section": section,
        "row_no": row,
        "item_code": code,
        "code_system": None,
        "code_level": level,
        "parent_code": parent,
        "item_name": item,
        "item_raw": item,
        "column_name": column,
        "column_id": column_id or column,
        "value": amount,
        "unit": unit,
        "amount_yuan": amount * 10000 if unit == "万元" else amount,
        "page": 1,
        "unit_name": None,
        "table_no": 0,
        **{d: concepts.get(d) for d in CONCEPTS},  # type: ignore[typeddict-item]
    }


def checks(knowledge, facts: list[FactRow], check_id: str, text: str = "") -> list[dict]:
    # narrative_text reads only `.text` of each line
    lines: list[TextLine] = [SimpleNamespace(text=text)] if text else []  # type: ignore[list-item]
    return [c for c in run_checks("d", facts, lines, knowledge) if c["check_id"] == check_id]


# --- row sums by concept -------------------------------------------------------------------


def spending_row(values: dict[str, str], ids: dict[str, str] | None = None, **kw) -> list:
    """One row of 支出总表, 1.0 reading (column names, no concepts)."""
    ids = ids or {}
    return [fact("budget_expenditure", c, v, column_id=ids.get(c), **kw) for c, v in values.items()]


def test_spending_row_sum_adds_every_spending_column_printed(knowledge):
    # the reported case 1ee2eab2: 合计 1534.56 = 1034.56 + 300 + 120 + 50 + 30
    row = spending_row(
        {
            "合计": "1534.56",
            "基本支出": "1034.56",
            "项目支出": "300.00",
            "事业单位经营支出": "120.00",
            "上缴上级支出": "50.00",
            "对附属单位补助支出": "30.00",
        },
        ids={"事业单位经营支出": "x_d4be4db78d"},
    )
    [c] = checks(knowledge, row, "budget_expenditure_row_sum")
    assert (c["expected"], c["actual"], c["passed"], c["unit"]) == (
        Decimal("1534.56"),
        Decimal("1534.56"),
        True,
        "万元",
    )


def test_spending_row_sum_fails_on_a_real_difference(knowledge):
    row = spending_row({"合计": "100", "基本支出": "60", "项目支出": "30"})
    [c] = checks(knowledge, row, "budget_expenditure_row_sum")
    assert c["passed"] is False and c["difference"] == Decimal("10")


def test_a_figure_in_a_column_with_no_concept_is_not_evaluable_not_a_failure(knowledge):
    # 合计 compared with one part because the other was not recognised: not evaluable
    row = spending_row(
        {"合计": "100", "基本支出": "60", "项目支出": "30", "其他列": "10"},
        ids={"其他列": "x_0000000000"},
    )
    [c] = checks(knowledge, row, "budget_expenditure_row_sum")
    assert c["passed"] is None and c["expected"] is None
    assert "其他列" in c["description"] and "no concept" in c["description"]
    # a zero there cannot change the sum: evaluated
    row = spending_row(
        {"合计": "90", "基本支出": "60", "项目支出": "30", "其他列": "0"},
        ids={"其他列": "x_0000000000"},
    )
    assert [c["passed"] for c in checks(knowledge, row, "budget_expenditure_row_sum")] == [True]


def test_unevaluable_rows_of_one_table_are_one_row(knowledge):
    facts = []
    for r in range(1, 6):
        facts += spending_row(
            {"合计": "100", "基本支出": "50", "项目支出": "10", "x": "40"},
            ids={"x": "x_1"},
            row=r,
            item=f"i{r}",
        )
    rows = checks(knowledge, facts, "budget_expenditure_row_sum")
    assert len(rows) == 1 and rows[0]["passed"] is None and rows[0]["location"].startswith("5 row")


def test_a_required_part_not_identified_is_not_evaluable(knowledge):
    row = spending_row({"合计": "100", "项目支出": "100"})
    [c] = checks(knowledge, row, "budget_expenditure_row_sum")
    assert c["passed"] is None and "基本支出" in c["description"]


def test_a_total_the_table_does_not_print_is_no_check(knowledge):
    row = spending_row({"基本支出": "60", "项目支出": "40"})
    assert checks(knowledge, row, "budget_expenditure_row_sum") == []
    # … unless a column we could not name may be that total
    row = spending_row({"总数": "100", "基本支出": "60"}, ids={"总数": "x_2"})
    [c] = checks(knowledge, row, "budget_expenditure_row_sum")
    assert c["passed"] is None and "合计 not identified" in c["description"]


def test_a_table_not_printed_is_no_check(knowledge):
    assert checks(knowledge, spending_row({"合计": "1"}), "budget_gpb_row_sum") == []


def test_two_figures_for_one_cell_are_not_evaluable(knowledge):
    row = spending_row({"合计": "100", "基本支出": "60", "项目支出": "40"})
    row.append(fact("budget_expenditure", "项目支出", "30"))
    [c] = checks(knowledge, row, "budget_expenditure_row_sum")
    assert c["passed"] is None and "two figures" in c["description"]


def test_row_sum_selects_by_concept_when_the_reading_has_concepts(knowledge):
    # 1.1 reading: names are free, concepts decide; 人员经费 under 基本支出 is not a part,
    # a 上年 figure is summed apart, a 其中 column never counts twice
    t, m = "budget_expenditure", "预算数"
    facts = [
        fact(t, "支出总计", "100", measure=m, spending="合计"),
        fact(t, "基本", "60", measure=m, spending="基本支出"),
        fact(t, "基本/人员", "50", measure=m, spending="人员经费"),
        fact(t, "项目", "40", measure=m, spending="项目支出"),
        fact(t, "其中:基建", "40", measure=m, spending="项目支出"),
        fact(t, "上年/合计", "80", measure="上年预算数", spending="合计"),
        fact(t, "上年/基本", "50", measure="上年预算数", spending="基本支出"),
        fact(t, "上年/项目", "30", measure="上年预算数", spending="项目支出"),
        fact(t, "增减率/合计", "25", measure="增减率", spending="合计"),
        fact(t, "增减率/基本", "20", measure="增减率", spending="基本支出"),
        fact(t, "增减率/项目", "33", measure="增减率", spending="项目支出"),
    ]
    rows = checks(knowledge, facts, "budget_expenditure_row_sum")
    assert sorted((c["actual"], c["expected"], c["passed"]) for c in rows) == [
        (Decimal("80"), Decimal("80"), True),
        (Decimal("100"), Decimal("100"), True),
    ]
    # a column of the same reading that maps to no concept carries a figure: not evaluable
    facts.append(fact(t, "预留", "5", measure=m))
    assert [c["passed"] for c in checks(knowledge, facts, "budget_expenditure_row_sum")] == [
        True,
        None,
    ]


def test_three_public_row_sum_by_measure_and_expense_item(knowledge):
    t = "three_public"
    facts = [
        fact(t, "决算数/合计", "10", item=""),
        fact(t, "决算数/因公出国(境)费", "1", item=""),
        fact(t, "决算数/公务用车购置及运行维护费", "6", item=""),
        fact(t, "决算数/公务接待费", "3", item=""),
        fact(t, "预算数/合计", "12", item=""),  # another figure: not in the 决算数 sum
    ]
    [c] = checks(knowledge, facts, "three_public_final")
    assert c["passed"] is True and c["expected"] == Decimal("10")


def test_budget_three_public_with_an_unrecognised_part_is_not_evaluable(knowledge):
    # 江苏省人民检察院 2018: 因公出国(境)费 header read with the 部门 name, 接待费 split
    t = "budget_three_public"
    facts = [
        fact(t, "合计", "1384.74", item=""),
        fact(t, '"三公"经费合计', "484.30", item=""),
        fact(t, "江苏省人民检察院/因公出国/(境)费", "100", item="", column_id="x_c"),
        fact(t, "公务用车购置及运行维护费", "267.80", item=""),
        fact(t, "公务接/待费", "116.50", item="", column_id="x_a"),
        fact(t, "会议费", "200.44", item=""),
        fact(t, "培训费", "700.00", item=""),
    ]
    for check_id in ("budget_three_public_sum", "budget_three_public_subtotal"):
        [c] = checks(knowledge, facts, check_id)
        assert c["passed"] is None, check_id
    # read by concept, the same table checks
    concepts = [
        "合计",
        '"三公"经费合计',
        "因公出国(境)费",
        "公务用车购置及运行维护费",
        "公务接待费",
    ]
    for f, item in zip(facts, concepts + ["会议费", "培训费"], strict=True):
        f["measure"], f["expense_item"] = "预算数", item
    [c] = checks(knowledge, facts, "budget_three_public_sum")
    assert c["passed"] is True and c["expected"] == Decimal("1384.74")
    [c] = checks(knowledge, facts, "budget_three_public_subtotal")
    assert c["passed"] is True and c["expected"] == Decimal("484.30")


def test_row_sum_by_column_name_still_works(knowledge):
    t = "income"
    facts = [
        fact(t, "本年收入合计", "10"),
        fact(t, "财政拨款收入", "7"),
        fact(t, "其他收入", "3"),
        fact(t, "其中:教育收费", "1"),
    ]
    [c] = checks(knowledge, facts, "income_row_sum")
    assert c["passed"] is True and c["expected"] == Decimal("10")


# --- other kinds -----------------------------------------------------------------------------


def test_hierarchy_sums_by_code_and_two_figures_make_a_column_not_evaluable(knowledge):
    t = "budget_gpb_expenditure"
    facts = [
        fact(t, "合计", "10", row=1, item="合计"),
        fact(t, "合计", "10", row=2, item="一般公共服务支出", code="201", level="类"),
        fact(t, "合计", "4", row=3, item="a", code="20101", level="款", parent="201"),
        fact(t, "合计", "6", row=4, item="b", code="20102", level="款", parent="201"),
    ]
    rows = checks(knowledge, facts, "classification_sums")
    assert [c["passed"] for c in rows] == [True, True] and rows[0]["unit"] == "万元"
    facts.append(fact(t, "合计", "5", row=4, item="b", code="20102", level="款", parent="201"))
    [c] = checks(knowledge, facts, "classification_sums")
    assert c["passed"] is None and "two figures" in c["description"]


def test_column_sum(knowledge):
    t = "project_overview"
    facts = [fact(t, "支出", "5", row=1), fact(t, "支出", "2", row=2, item="p1")]
    facts.append(fact(t, "支出", "3", row=3, item="p2"))
    [c] = checks(knowledge, facts, "project_overview_total")
    assert c["passed"] is True


def test_equal_and_its_missing_cell(knowledge):
    s = "income_expenditure_summary"
    facts = [
        fact(s, "决算数", "9", item="总计", section="收入", row=1),
        fact(s, "决算数", "9", item="总计", section="支出", row=2),
    ]
    [c] = checks(knowledge, facts, "summary_balance")
    assert c["passed"] is True and c["unit"] == "万元"
    [c] = checks(knowledge, facts[:1], "summary_balance")
    assert c["passed"] is None and "income_expenditure_summary:总计/决算数" in c["description"]
    # a table the document does not print: no check of this document
    assert checks(knowledge, facts, "summary_income_vs_income") == []


def test_equal_term_selects_by_concept():
    from budgetpdf.check.engine import _Instance

    inst = _Instance("budget_expenditure", [fact("budget_expenditure", "支出总计", "5")])
    term = {"table": "budget_expenditure", "item": "合计", "spending": "合计"}
    assert inst.cell(term) is None  # 1.0 reading: the concepts spell the name 合计
    inst.facts[0].update(measure="预算数", spending="合计")
    assert inst.cell(term) is inst.facts[0]
    assert inst.cell({**term, "fund": "财政拨款"}) is None


def test_narrative_compares_in_yuan_and_says_when_its_cell_is_missing(knowledge):
    s = "income_expenditure_summary"
    facts = [fact(s, "决算数", "4184.50", item="总计", section="收入")]
    [c] = checks(knowledge, facts, "text_income_expenditure_total", "收入支出总计4,184.50万元")
    assert c["passed"] is True and c["unit"] == "元" and c["expected"] == Decimal("41845000")
    facts[0]["item_name"] = "合计"
    [c] = checks(knowledge, facts, "text_income_expenditure_total", "收入支出总计4,184.50万元")
    assert c["passed"] is None
    assert checks(knowledge, facts, "text_income_expenditure_total", "") == []


def test_listed_tables(knowledge):
    lines: list[TextLine] = []
    rows = run_checks("d", [], lines, knowledge, {"income": "收入决算表"}, {"expenditure"})
    [c] = [r for r in rows if r["check_id"] == "listed_tables_present"]
    assert c["passed"] is False and c["table_id"] == "income"


# --- real PDFs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_1ee2eab2(knowledge):
    from budgetpdf.pipeline.document import process_document

    return process_document(
        need(SHARED / "cases" / "1ee2eab2_unruled_right_aligned_headers.pdf"), knowledge
    )


def test_case_right_aligned_headers_row_sum_is_no_false_failure(case_1ee2eab2):
    # 合计 1534.56 = 1034.56 + 300 + 120 + 50 + 30; before, the sum left out the last three
    # columns and failed (expected 1334.56). While the reading gives two figures for one
    # cell the row is not evaluable; it must never fail.
    rows = [c for c in case_1ee2eab2.checks if c["check_id"] == "budget_expenditure_row_sum"]
    assert not [c for c in rows if c["passed"] is False]
    total = [c for c in rows if "合计 / 合计" in (c["location"] or "")]
    assert total and all(c["passed"] is not False for c in total)
    ok = next(c for c in rows if c["location"] == "2010601 / 合计")
    assert (ok["actual"], ok["passed"], ok["unit"]) == (Decimal("800.00"), True, "万元")


def test_jiangsu_procuratorate_three_public_is_not_a_false_failure(corpus):
    result = corpus("6615bc43_pdf_files_jszwfw_江苏省人民检察院_2018年省检察院部门预算公开.pdf", 19)
    rows = {c["check_id"]: c for c in result.checks if c["table_id"] == "budget_three_public"}
    # printed 合计 1384.74 = 100 + 267.8 + 116.5 + 200.44 + 700; before: failed, 967.8
    for check_id in ("budget_three_public_sum", "budget_three_public_subtotal"):
        assert rows[check_id]["passed"] is not False


def test_a_known_concept_without_a_1_0_id_is_not_unknown_and_tables_merge(knowledge):
    # 会议费/培训费 had no 1.0 id: the 三公 subtotal knows them (`others`) and ignores them
    t = "budget_three_public"
    facts = [
        fact(t, '"三公"经费合计', "6", item=""),
        fact(t, "因公出国(境)费", "1", item=""),
        fact(t, "公务用车购置及运行维护费", "2", item=""),
        fact(t, "公务接待费", "3", item=""),
        fact(t, "会议费", "4", item="", column_id="x_m"),
    ]
    [c] = checks(knowledge, facts, "budget_three_public_subtotal")
    assert c["passed"] is True
    # the same table printed for three 单位, none evaluable for one reason: one row
    broken = [fact(t, "合计", "9", item="", column_id="total")]
    broken.append(fact(t, "总额", "9", item="", column_id="x_z"))
    copies = [{**f, "unit_name": u} for u in "abc" for f in broken]
    [c] = checks(knowledge, copies, "budget_three_public_sum")
    assert c["passed"] is None and c["location"].startswith("3 tables")


def test_case_right_aligned_headers_every_column_once(case_1ee2eab2):
    # headings set flush right over their amounts: 对附属单位补助支出 reached into the column of
    # 上缴上级支出, which was lost, and its 50.00 became a second 对附属单位补助支出 figure
    facts = case_1ee2eab2.facts
    keys = [(f["row_no"], f["column_name"]) for f in facts]
    assert len(keys) == len(set(keys))  # never two facts for one (row, column)
    total = {f["column_name"]: f["value"] for f in facts if f["item_name"] == "合计"}
    assert total == {
        "合计": Decimal("1534.56"),
        "基本支出": Decimal("1034.56"),
        "项目支出": Decimal("300.00"),
        "事业单位经营支出": Decimal("120.00"),
        "上缴上级支出": Decimal("50.00"),
        "对附属单位补助支出": Decimal("30.00"),
    }
    rows = [c for c in case_1ee2eab2.checks if c["check_id"] == "budget_expenditure_row_sum"]
    assert rows and all(c["passed"] is True for c in rows)


def test_a_blank_subtotal_part_is_its_own_parts(knowledge):
    # 预算09表: the 公务用车购置及运行维护费 小计 is left blank over 购置费 18.69 | 运行维护费 4.83;
    # the 三公 subtotal 40.77 = 17.10 + 0.15 + 18.69 + 4.83 (before: 17.25, a false failure)
    t = "budget_three_public"
    facts = [
        fact(
            t, '"三公"经费合计', "40.77", item="", measure="预算数", expense_item='"三公"经费合计'
        ),
        fact(
            t, "因公出国(境)费", "17.10", item="", measure="预算数", expense_item="因公出国(境)费"
        ),
        fact(t, "公务接待费", "0.15", item="", measure="预算数", expense_item="公务接待费"),
        fact(
            t, "公务用车购置费", "18.69", item="", measure="预算数", expense_item="公务用车购置费"
        ),
        fact(
            t,
            "公务用车运行维护费",
            "4.83",
            item="",
            measure="预算数",
            expense_item="公务用车运行维护费",
        ),
    ]
    [c] = checks(knowledge, facts, "budget_three_public_subtotal")
    assert (c["expected"], c["actual"], c["passed"]) == (Decimal("40.77"), Decimal("40.77"), True)
