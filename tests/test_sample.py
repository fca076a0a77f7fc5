"""The bundled sample, data/raw/sample_final_account.pdf, end to end: a clone without
../shared still tests every stage on a real PDF. Its figures are the ones
tools/make_sample.py prints (a fictitious 2024 部门决算 of 示例市应急管理局, four ruled tables,
公开01/02/03/09表), including its one deliberate 0.01 rounding gap."""

from __future__ import annotations

from decimal import Decimal


def _facts(result, table_id: str) -> dict[tuple, Decimal]:
    return {
        (f["section"], f["item_code"] or f["item_name"], f["column_name"]): f["value"]
        for f in result.facts
        if f["table_id"] == table_id
    }


def test_document_row(sample):
    doc = sample.document
    assert (doc["status"], doc["error"]) == ("ok", None)
    assert (doc["publisher"], doc["fiscal_year"], doc["doc_kind"], doc["scope"]) == (
        "示例市应急管理局",
        2024,
        "决算",
        "部门",
    )
    assert (doc["pages"], doc["unit_default"]) == (5, "万元")
    assert (doc["tables_found"], doc["facts"], doc["checks_failed"]) == (4, 64, 1)


def test_tables_with_their_labels_and_pages(sample):
    assert [
        (t["table_id"], t["table_code"], t["page_first"], t["page_last"], t["unit"])
        for t in sample.tables
    ] == [
        ("income_expenditure_summary", "公开01表", 2, 2, "万元"),
        ("income", "公开02表", 3, 3, "万元"),
        ("expenditure", "公开03表", 4, 4, "万元"),
        ("three_public", "公开09表", 5, 5, "万元"),
    ]
    assert {t["unit_name"] for t in sample.tables} == {"示例市应急管理局"}


def test_two_sided_summary(sample):
    facts = _facts(sample, "income_expenditure_summary")
    assert facts[("收入", "一般公共预算财政拨款收入", "决算数")] == Decimal("1676.94")
    assert facts[("收入", "年初结转和结余", "决算数")] == Decimal("20.00")
    assert facts[("收入", "总计", "决算数")] == Decimal("1759.24")
    assert facts[("支出", "224", "决算数")] == Decimal("1600.78")  # 类 row named, no code printed
    assert facts[("支出", "年末结转和结余", "决算数")] == Decimal("72.86")
    assert facts[("支出", "总计", "决算数")] == Decimal("1759.24")
    assert len(facts) == 11


def test_coded_rows_and_blank_cells(sample):
    income = _facts(sample, "income")
    assert income[(None, "合计", "本年收入合计")] == Decimal("1739.24")
    assert income[(None, "2240401", "本年收入合计")] == Decimal("1246.86")
    assert income[(None, "2240402", "上级补助收入")] == Decimal("50.00")
    assert (None, "2240401", "上级补助收入") not in income  # a blank cell is no fact
    expenditure = _facts(sample, "expenditure")
    assert expenditure[(None, "合计", "基本支出")] == Decimal("1266.05")
    assert expenditure[(None, "2240402", "项目支出")] == Decimal("420.33")
    row = next(f for f in sample.facts if f["item_code"] == "2080505")
    assert (row["item_name"], row["code_system"], row["code_level"], row["parent_code"]) == (
        "机关事业单位基本养老保险缴费支出",
        "功能分类",
        "项",
        "20805",
    )
    assert str(row["amount_yuan"]) == "856000.00"


def test_three_public_columns_under_their_groups(sample):
    assert _facts(sample, "three_public") == {
        (None, "", "预算数/合计"): Decimal("25.00"),
        (None, "", "预算数/因公出国(境)费"): Decimal("5.00"),
        (None, "", "预算数/公务用车购置及运行维护费"): Decimal("15.00"),
        (None, "", "预算数/公务用车运行维护费"): Decimal("15.00"),
        (None, "", "预算数/公务接待费"): Decimal("5.00"),
        (None, "", "决算数/合计"): Decimal("21.47"),
        (None, "", "决算数/因公出国(境)费"): Decimal("3.20"),
        (None, "", "决算数/公务用车购置及运行维护费"): Decimal("14.35"),
        (None, "", "决算数/公务用车运行维护费"): Decimal("14.34"),
        (None, "", "决算数/公务接待费"): Decimal("3.92"),
    }


def test_the_one_deliberate_gap_is_the_one_failed_check(sample):
    failed = [c for c in sample.checks if c["passed"] is False]
    assert [(c["check_id"], c["table_id"]) for c in failed] == [
        ("three_public_vehicles_final", "three_public")
    ]
    (gap,) = failed
    assert (gap["expected"], gap["actual"], gap["difference"]) == (
        Decimal("14.34"),
        Decimal("14.35"),
        Decimal("0.01"),
    )
    passed = {c["check_id"] for c in sample.checks if c["passed"]}
    # every other sum holds: the summary's two sides, rows and classification levels, the
    # 三公 合计 over the printed 小计 (14.35), the same 小计 in the 预算数 group
    assert passed >= {
        "summary_balance",
        "summary_income_vs_income",
        "summary_expenditure_vs_expenditure",
        "income_row_sum",
        "expenditure_row_sum",
        "classification_sums",
        "three_public_final",
        "three_public_budget",
        "three_public_vehicles_budget",
    }
