"""Real published PDFs from ../shared/corpus: values asserted as printed on their pages.

Marked `corpus` (in the default set: each document is read once per test run, and a test
about a few pages of a long document reads only those pages, copied into a PDF of their own,
whose pages are then numbered from 1); `corpus_full` walks every PDF.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from budgetpdf.pipeline.document import process_document
from conftest import CATALOG, REAL, need

pytestmark = pytest.mark.corpus

GOOD = "d45e9231_samples_good_上海市普陀区财政局2024年度部门决算.pdf"
BAD = "6a2eb604_samples_bad_24年普陀区财政局（测试问题版本）.pdf"
SWU = "86287b24_21_swu_2023_final_accounts__download.jsp.pdf"
COURT, COURT_PAGES = "324795c7_省法院2017年度部门预算公开.pdf", (15, 17)  # 基本支出表 from p.15


@pytest.fixture
def results(corpus):
    return corpus


def _value(result, table_id, item, column, section=None):
    hits = [
        f
        for f in result.facts
        if f["table_id"] == table_id
        and f["column_name"] == column
        and (f["item_name"] == item or f["item_code"] == item)
        and (section is None or f["section"] == section)
    ]
    assert hits, (table_id, item, column)
    return hits[0]


def _failed(result):
    return sorted(c["check_id"] for c in result.checks if c["passed"] is False)


def test_district_final_account_tables_and_values(results):
    r = results(GOOD)
    assert r.document["fiscal_year"] == 2024 and r.document["doc_kind"] == "决算"
    ids = [t["table_id"] for t in r.tables if t["table_id"] != "other"]
    assert ids == [
        "income_expenditure_summary",
        "income",
        "expenditure",
        "appropriation_summary",
        "gpb_expenditure",
        "gpb_basic_expenditure",
        "three_public",
        "gov_fund",
        "soe_capital",
    ]
    # 公开04表 p.12: 一般公共预算财政拨款 2,940.05; split 类|款|项 codes joined (p.10)
    assert _value(r, "appropriation_summary", "一般公共预算财政拨款", "决算数", "收入")[
        "value"
    ] == Decimal("2940.05")
    row = _value(r, "expenditure", "2010601", "本年支出合计")
    assert (row["value"], row["item_name"], row["page"]) == (Decimal("1511.89"), "行政运行", 10)
    # 06 printed with split 类|款 columns over two pages (pp.16-17)
    assert _value(r, "gpb_basic_expenditure", "30228", "决算数")["value"] == Decimal("24.42")
    assert _value(r, "gpb_basic_expenditure", "公用经费合计", "决算数")["value"] == Decimal(
        "184.65"
    )


def test_good_version_reports_its_own_narrative_slip(results):
    # Its narrative says 财政拨款收入支出总计 0.3 万元 while 04 prints 2,961.68.
    assert _failed(results(GOOD)) == ["text_appropriation_total"]


def test_problem_version_shows_what_the_good_one_does_not(results):
    bad = results(BAD)
    assert _failed(bad) == ["listed_tables_present", "text_income_expenditure_total"]
    missing = next(
        c for c in bad.checks if c["check_id"] == "listed_tables_present" and c["passed"] is False
    )
    assert missing["table_id"] == "expenditure"


def test_university_final_account_with_continuations(results):
    r = results(SWU)
    ids = [t["table_id"] for t in r.tables if t["table_id"] != "other"]
    assert ids == ["income_expenditure_summary", "income", "expenditure", "gpb_expenditure"]
    gpb = next(t for t in r.tables if t["table_id"] == "gpb_expenditure")
    assert (gpb["page_first"], gpb["page_last"], gpb["table_code"]) == (14, 15, "表4")
    # p.15 continues 表4 with the 类|款|项 columns merged into one: still the same columns
    row = _value(r, "gpb_expenditure", "2080505", "合计")
    assert (row["value"], row["page"]) == (Decimal("8897.19"), 15)
    assert _value(r, "gpb_expenditure", "合计", "合计")["value"] == Decimal("237100.00")
    assert _failed(r) == []


def _on_page(result, page, value, item=None):
    """The facts on `page` with `value` (and the item code or name, if given)."""
    return [
        f
        for f in result.facts
        if f["page"] == page
        and f["value"] == Decimal(value)
        and (item is None or item in (f["item_code"], f["item_name"]))
    ]


def test_digits_of_a_font_with_a_deep_descent_stay_on_their_row(results):
    # 重庆市科学技术局: its digit font declares a descent of about one em; p.9's last row
    # (2060203 自然科学基金 15,500.00) used to fall out of the grid and names paired a row off.
    # pp. 8-13 alone, the pages test_pdfium compares (one reading for both): p.9 is their 2nd
    r = results("129d7714_2026年重庆市科学技术局部门预算.pdf", 8, 13)
    row = _on_page(r, 2, "15500.00", "2060203")
    assert {(f["item_name"], f["column_name"]) for f in row} == {
        ("自然科学基金", "合计"),  # printed 总计, with no 合计 column beside it
        ("自然科学基金", "一般公共预算"),
    }


def test_a_last_row_alone_on_its_page_continues_the_table(results):
    # 无锡市信访局 支出总表 ends p.12; p.13 holds one ruled row, 2210203 购房补贴 130.02.
    r = results("e8986585_预算数据_014_无锡_信访局_2026年部门预算.pdf")
    row = _on_page(r, 13, "130.02", "2210203")
    assert {(f["table_id"], f["column_name"]) for f in row} == {
        ("budget_expenditure", "合计"),
        ("budget_expenditure", "基本支出"),
    }


def test_continued_row_without_its_top_rule(results):
    # 省法院 2017 p.16: the page's first row (30206 电费) has column rules but no top rule.
    r = results(COURT, *COURT_PAGES)
    (fact,) = _on_page(r, 16 - COURT_PAGES[0] + 1, "235.00", "30206")
    assert (fact["table_id"], fact["item_name"]) == ("budget_gpb_basic_expenditure", "电费")


def test_frame_drawn_around_title_and_table_is_no_cell(results):
    # 江苏省委办公厅 2017 p.3: a rectangle around title and table held the whole table.
    r = results("a59d3e87_江苏省委办公厅2017年预算公开表格.pdf")
    printed = {(f["column_name"], f["value"]) for f in r.facts if f["page"] == 3}
    assert printed >= {
        ("合计", Decimal("20849.45")),
        ("基本支出", Decimal("9964.07")),
        ("项目支出", Decimal("10688.66")),
        ("单位预留机动经费", Decimal("196.72")),
    }


def test_pages_with_a_top_down_mediabox(results):
    # 西安市民政局 pp.61-70 write their MediaBox top-down; their text used to land off the
    # page, leaving the 专项业务经费支出表 without facts.
    r = results("688bbf25_预算数据_020_西安_民政局_2026年部门预算.pdf", 61, 62)
    assert r.document["status"] == "ok"
    total = _on_page(r, 1, "578716321.41", "合计")  # p.61
    assert [(f["table_id"], f["unit_name"]) for f in total] == [
        ("budget_project_expenditure", "西安市民政局")
    ]


def test_name_run_over_its_rule_leaves_the_amount_whole(results):
    # 西安市气象局 p.22: 其他社会保障和就业支出 runs over the rule: `出 1090.22`.
    r = results("5d77663c_预算数据_020_西安_气象局_2026年部门预算.pdf", 22)
    row = _on_page(r, 1, "1090.22", "2089999")  # p.22
    assert {f["column_name"] for f in row} == {"合计", "人员经费"}
    assert {f["item_name"] for f in row} == {"其他社会保障和就业支出"}


def test_a_form_printed_twice_is_read_twice(results):
    # 烟台市人社局 prints the same project's 绩效目标表 on pp.36 and 37.
    r = results("2b7c02fc_2026年烟台市人力资源和社会保障局部门预算.pdf", 36, 37)
    for page in (1, 2):  # pp.36, 37
        assert [f["item_name"] for f in _on_page(r, page, "0.00")] == ["其他资金"]


def _three_public(result, page):
    return {
        f["column_name"]: f["value"]
        for f in result.facts
        if f["table_id"] == "budget_three_public" and f["page"] == page
    }


def test_three_public_subtotal_beside_meeting_and_training(results):
    # 2017 template, p.11: 合计 | "三公"经费(小计 …) | 会议费 | 培训费. The 三公 subtotal is
    # its own column, and 合计 = 三公 + 会议费 + 培训费.
    r = results("42d4fd88_2017年度部门预算公开表.pdf")
    assert _three_public(r, 11) == {
        "合计": Decimal("1852.32"),
        '"三公"经费合计': Decimal("676.10"),
        "因公出国(境)费": Decimal("76.00"),
        "公务用车购置及运行维护费": Decimal("156.60"),
        "公务用车运行维护费": Decimal("156.60"),
        "公务接待费": Decimal("443.50"),
        "会议费": Decimal("1094.62"),
        "培训费": Decimal("81.60"),
    }
    assert [c for c in _failed(r) if c.startswith("budget_three_public")] == []


def test_white_boxes_behind_header_text_are_no_rules(results):
    # 省法院 2017 p.17: white boxes inset in the 三公 header cells used to cut them into
    # slivers (`因公出国|(境)费`), leaving amounts without their column name.
    r = results(COURT, *COURT_PAGES)
    printed = _three_public(r, 17 - COURT_PAGES[0] + 1)
    assert printed["因公出国(境)费"] == Decimal("180.00")
    assert printed["公务接待费"] == Decimal("185.72")
    assert printed['"三公"经费合计'] == Decimal("670.12")
    assert [c for c in _failed(r) if c.startswith("budget_three_public")] == []


def _catalog_slice(step: int) -> list[str]:
    with need(CATALOG).open(encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: r["sha256"])
    return [r["file"].removeprefix("real/") for r in rows[::step]]


# One cheap budget or final account per publisher family and template (深圳, 无锡, 苏州, 广州,
# 上海 and its 普陀区, 江苏 2017-2019, a university), none of them held out.
SLICE = [
    "3d991443_2026年深圳市民政局部门预算.pdf",
    "4b2b43b6_预算数据_014_无锡_应急管理局_2026年部门预算.pdf",
    "566b0189_审计局_2026年部门预算.pdf",
    "58417d10_信访局_2026年部门预算.pdf",
    "0c14414a_2026年上海市医疗保障局_部门预算.pdf",
    "af3bb6f5_上海市普陀区财政局部门25年预算.pdf",
    "a7aeca56_江苏省政协办公厅2019年预算公开表.pdf",
    "956e1557_2017年省检察院部门预算.pdf",
    "1ba4abe7_04_swu_2021_department_budget.pdf",
]


def _verified() -> dict[str, dict[str, str]]:
    """Publisher, fiscal year and kind of every corpus PDF, checked against its pages."""
    with (Path(__file__).parent / "data" / "publishers.csv").open(encoding="utf-8") as fh:
        return {r["file"]: r for r in csv.DictReader(fh)}


@pytest.mark.parametrize("name", SLICE)
def test_slice_of_budgets_reads_clean(results, name):
    # Each is a full set of tables: `skipped` (no tables found) or `failed` is a fault here.
    r = results(name)
    doc, verified = r.document, _verified()[name]
    assert (doc["status"], doc["error"]) == ("ok", None)
    assert (doc["doc_kind"], doc["fiscal_year"]) == (
        verified["doc_kind"],
        int(verified["fiscal_year"]),
    )
    canonical = [t for t in r.tables if t["table_id"] != "other" and t["facts"]]
    assert len(canonical) >= 4
    assert "listed_tables_present" not in _failed(r)  # every table the 目录 lists is read
    assert all(1 <= f["page"] <= doc["pages"] for f in r.facts)


@pytest.mark.corpus_full
@pytest.mark.parametrize("name", _catalog_slice(1) if CATALOG.exists() else [])
def test_every_corpus_pdf_runs_clean(name, knowledge):
    r = process_document(REAL / name, knowledge)
    assert r.document["status"] in ("ok", "partial", "skipped"), r.document["error"]
