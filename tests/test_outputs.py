"""What a run writes: the contract tables, readable by DuckDB, pandas and Excel; a second
run over the same input skips it and changes no byte; `--force` reprocesses it to the same
facts. Runs on the bundled sample, so a clone without ../shared tests it too."""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from budgetpdf.pipeline.cli import main
from conftest import SAMPLE

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
    assert main(["run", str(SAMPLE), "--out", str(folder)]) == 0
    return folder


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    ).fetchall()
    assert [str(t[0]) for t in total] == ["17592400.00"]  # 公开01表: 总计 1,759.24 万元


def test_pandas_reads_csv(out):
    facts = pd.read_csv(out / "facts.csv", encoding="utf-8-sig", dtype=str)
    row = facts[(facts.table_id == "income") & (facts.item_code == "2240401")]
    assert row.set_index("column_name").loc["本年收入合计", "value"] == "1246.86"


def _log(out) -> list[str]:
    return (out / "log.jsonl").read_text(encoding="utf-8").splitlines()


def test_second_run_skips_and_keeps_bytes(out, capsys):
    before, logged = _sha(out / "facts.parquet"), _log(out)
    capsys.readouterr()
    assert main(["run", str(SAMPLE), "--out", str(out)]) == 0
    assert "0 processed" in capsys.readouterr().out and _log(out) == logged
    assert _sha(out / "facts.parquet") == before


def test_forced_rerun_reprocesses_to_identical_facts(out, capsys):
    before, logged = (out / "facts.csv").read_bytes(), _log(out)
    capsys.readouterr()
    assert main(["run", str(SAMPLE), "--out", str(out), "--force"]) == 0
    assert "1 processed" in capsys.readouterr().out  # done again, not skipped as unchanged
    assert len(_log(out)) == len(logged) + 1
    assert len(pq.read_table(out / "documents.parquet")) == 1  # replaced, not appended
    assert (out / "facts.csv").read_bytes() == before


def test_checks_command_prints_failures(out, capsys):
    assert main(["checks", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "three_public_vehicles_final" in printed
    assert "expected 14.34, actual 14.35" in printed
    assert "1 failed checks in 1 of 1 documents" in printed
