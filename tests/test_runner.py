"""The nightly runner as an operator meets it: versions, retries, limits, bad files, errors."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from budgetpdf import __version__, code_digest, pipeline_version
from budgetpdf.normalize.numbers import parse_amount
from budgetpdf.pipeline.runner import run
from conftest import ROOT, SHARED, need

CASES = SHARED / "cases"
SAMPLE = ROOT / "data" / "raw" / "sample_final_account.pdf"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "budgetpdf.pipeline.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


# ---------------------------------------------------------------- pipeline version


def test_pipeline_version_is_package_version_and_code_digest():
    version = pipeline_version()
    assert version.startswith(__version__ + "+") and len(version) == len(__version__) + 11
    assert _cli("--version").stdout.strip() == version


def test_code_digest_follows_code_and_schemas_not_tests(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "__init__.py").write_text("")
    (tmp_path / "schemas" / "tables.toml").write_text("a = 1\n")
    (tmp_path / "tests").mkdir()
    before = code_digest(tmp_path)
    (tmp_path / "tests" / "test_x.py").write_text("x = 1\n")
    assert code_digest(tmp_path) == before
    (tmp_path / "schemas" / "tables.toml").write_text("a = 2\n")
    changed = code_digest(tmp_path)
    assert changed != before
    (tmp_path / "schemas" / "__init__.py").write_text("# why\n")
    assert code_digest(tmp_path) != changed


def _stamp(out: Path, version: str) -> None:
    """Make the committed documents look as if an older pipeline had written them."""
    for marker in (out / "dataset" / "documents").glob("*.parquet"):
        table = pq.read_table(marker)
        column = pa.array([version] * table.num_rows, pa.string())
        table = table.set_column(
            table.schema.get_field_index("pipeline_version"), "pipeline_version", column
        )
        pq.write_table(table, marker)


def test_output_of_older_code_is_reprocessed(tmp_path):
    out = tmp_path / "out"
    assert run([SAMPLE], out).processed == 1
    assert run([SAMPLE], out).skipped_unchanged == 1
    _stamp(out, __version__)  # what every commit wrote before the digest
    again = run([SAMPLE], out)
    assert (again.processed, again.skipped_unchanged) == (1, 0)
    docs = pq.read_table(out / "documents.parquet").to_pylist()
    assert [d["pipeline_version"] for d in docs] == [pipeline_version()]


# ---------------------------------------------------------------- minus signs


@pytest.mark.parametrize(
    "printed", ["-5.44", "－5.44", "\u22125.44", "\u20105.44", "(5.44)", "（5.44）", "﹣5.44"]
)
def test_every_minus_sign_makes_a_negative(printed):
    assert parse_amount(printed) == Decimal("-5.44")


@pytest.mark.parametrize("printed", ["\u2212", "\u2010", "－", "-"])
def test_a_lone_minus_sign_is_a_blank(printed):
    assert parse_amount(printed) is None


def test_u2212_negatives_are_read_from_the_case():
    from budgetpdf.pipeline.document import process_document

    result = process_document(need(CASES / "17e5b6e9_negatives_and_rates.pdf"))
    row = {
        f["column_name"]: f["value"] for f in result.facts if f["item_name"] == "社会保障和就业支出"
    }
    assert row["增减额"] == Decimal("-5.44")
    assert row["增减率(%)"] == Decimal("-3.89")
