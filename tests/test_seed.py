"""The user's own document, rendered ruled and unruled, against its gold facts."""

from __future__ import annotations

import csv

import pytest
from conftest import SEED
from gold import compare


@pytest.mark.parametrize("fixture", ["seed_lattice", "seed_stream"])
def test_facts_equal_gold(fixture, request):
    result = request.getfixturevalue(fixture)
    missing, extra = compare(result.facts, SEED / "gold_facts.csv")
    assert not missing, f"{sum(missing.values())} gold facts missing: {list(missing)[:5]}"
    assert not extra, f"{sum(extra.values())} facts not in gold: {list(extra)[:5]}"


@pytest.mark.parametrize("fixture", ["seed_lattice", "seed_stream"])
def test_tables_found_with_pages_and_labels(fixture, request):
    result = request.getfixturevalue(fixture)
    with (SEED / "gold_tables.csv").open(encoding="utf-8") as fh:
        gold = [
            (r["table_id"], r["table_code"] or None, int(r["page_first"]), int(r["page_last"]))
            for r in csv.DictReader(fh)
        ]
    ours = [
        (t["table_id"], t["table_code"], t["page_first"], t["page_last"])
        for t in result.tables
        if t["table_id"] != "other"
    ]
    assert ours == gold


def test_document_metadata_from_text(seed_lattice):
    doc = seed_lattice.document
    assert doc["publisher"] == "国家矿山安全监察局青海局"
    assert (doc["fiscal_year"], doc["doc_kind"], doc["scope"]) == (2024, "决算", "部门")
    assert doc["unit_default"] == "万元"
    assert doc["status"] == "ok"
    assert doc["doc_id"] == "35bcfca9e2921dc1"


def test_classification_of_coded_rows(seed_lattice):
    by_key = {(f["table_id"], f["item_code"]): f for f in seed_lattice.facts if f["item_code"]}
    f = by_key[("income", "2240401")]
    assert (f["code_system"], f["code_level"], f["parent_code"]) == ("功能分类", "项", "22404")
    f = by_key[("gpb_basic_expenditure", "30101")]
    assert (f["code_system"], f["code_level"], f["parent_code"]) == ("经济分类", "款", "301")
    f = by_key[("income_expenditure_summary", "224")]  # 类 row printed without its code
    assert (f["item_name"], f["code_level"], f["parent_code"]) == (
        "灾害防治及应急管理支出",
        "类",
        None,
    )


def test_amounts_in_yuan_are_exact(seed_lattice):
    total = next(
        f
        for f in seed_lattice.facts
        if f["table_id"] == "income_expenditure_summary" and f["item_name"] == "总计"
    )
    assert str(total["value"]) == "4184.50"
    assert str(total["amount_yuan"]) == "41845000.00"


def test_failed_checks_are_the_known_source_errors(seed_lattice):
    failed = sorted(
        (c["check_id"], str(c["expected"]), str(c["actual"]))
        for c in seed_lattice.checks
        if c["passed"] is False
    )
    assert failed == [
        ("project_overview_balance", "313.04", "315.04"),
        ("project_overview_total", "1036.29", "1038.29"),
        ("project_overview_vs_05", "1036.29", "1038.29"),
        ("text_reception", "5900.00", "0.58"),  # printed "0.58 元" for 0.59 万元
        ("text_vehicle_operation", "389900.00", "38.99"),  # "38.99 元" for 38.99 万元
    ]
    assert len(seed_lattice.checks) > 150
