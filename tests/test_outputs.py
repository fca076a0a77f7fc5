"""What a run writes: the contract tables, readable by DuckDB, pandas and Excel, and a
second run over the same input skips it and changes no byte."""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd
import pytest
from budgetpdf.pipeline.cli import main
from conftest import SEED, need

CONTRACT_FACTS = [
    "doc_id",
    "table_id",
    "table_name",
    "table_code",
    "section",
    "row_no",
    "item_code",
    "code_system",
    "code_level",
    "parent_code",
    "item_name",
    "item_raw",
    "column_name",
    "column_id",
    "value",
    "unit",
    "amount_yuan",
    "page",
]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    assert main(["run", str(need(SEED / "seed_lattice.pdf")), "--out", str(folder)]) == 0
    return folder


def test_four_tables_in_both_formats(out):
    for name in ("documents", "tables", "facts", "checks"):
        assert (out / f"{name}.parquet").exists()
        assert (out / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel: BOM


def test_duckdb_reads_typed_amounts(out):
    con = duckdb.connect()
    cols = con.sql(f"describe select * from '{out}/facts.parquet'").fetchall()
    types = {c[0]: c[1] for c in cols}
    assert [c[0] for c in cols][: len(CONTRACT_FACTS)] == CONTRACT_FACTS
    assert types["value"].startswith("DECIMAL") and types["amount_yuan"] == "DECIMAL(20,2)"
    total = con.sql(
        f"select amount_yuan from '{out}/facts.parquet' "
        "where table_id='income_expenditure_summary' and section='收入' and item_name='总计'"
    ).fetchall()[0][0]
    assert str(total) == "41845000.00"


def test_pandas_reads_csv(out):
    facts = pd.read_csv(out / "facts.csv", encoding="utf-8-sig", dtype=str)
    row = facts[(facts.table_id == "income") & (facts.item_code == "2240401")]
    assert row.set_index("column_name").loc["本年收入合计", "value"] == "843.97"


def test_second_run_skips_and_keeps_bytes(out):
    before = hashlib.sha256((out / "facts.parquet").read_bytes()).hexdigest()
    assert main(["run", str(SEED / "seed_lattice.pdf"), "--out", str(out)]) == 0
    assert hashlib.sha256((out / "facts.parquet").read_bytes()).hexdigest() == before


def test_forced_rerun_gives_identical_facts(out, tmp_path):
    before = (out / "facts.csv").read_bytes()
    assert main(["run", str(SEED / "seed_lattice.pdf"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "facts.csv").read_bytes() == before


def test_checks_command_prints_failures(out, capsys):
    assert main(["checks", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "project_overview_total" in printed and "5 failed checks" in printed
