"""OUT/datapackage.json: the flat tables described as a Frictionless Data Package, checked
with the frictionless library on a real run's output."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import frictionless
import pytest
from budgetpdf.contract.rows import SCHEMAS
from budgetpdf.emit.datapackage import TABLE_DESCRIPTION, column_descriptions, table_schema


def test_every_column_is_described_and_every_description_is_a_column():
    words = column_descriptions()
    for name, schema in SCHEMAS.items():
        described = set(words[name]) - {TABLE_DESCRIPTION}
        assert described == set(schema.names), name


def test_schema_types_enums_and_keys(knowledge):
    facts = {f["name"]: f for f in table_schema("facts", knowledge)["fields"]}
    assert facts["value"]["type"] == "number"
    assert facts["row_no"]["type"] == "integer"
    assert facts["row_no"]["constraints"]["required"] is True
    assert "增减率" in facts["measure"]["constraints"]["enum"]
    assert '"三公"经费合计' in facts["expense_item"]["constraints"]["enum"]
    assert "gpb_expenditure" in facts["table_id"]["constraints"]["enum"]
    keys = table_schema("facts", knowledge)["foreignKeys"]
    assert {"fields": ["doc_id"], "reference": {"resource": "documents", "fields": ["doc_id"]}} in (
        keys
    )
    assert table_schema("documents", knowledge)["primaryKey"] == ["doc_id"]


def _validate(out: Path) -> frictionless.Report:
    # frictionless resolves resource paths against the working folder (its basepath rules
    # refuse ../ paths), so it is run from the output folder, as a user would
    here = Path.cwd()
    os.chdir(out)
    try:
        return frictionless.validate("datapackage.json")
    finally:
        os.chdir(here)


def test_real_run_validates(sample_run):
    descriptor = json.loads((sample_run / "datapackage.json").read_text(encoding="utf-8"))
    # it is written in the generation folder with the tables it describes
    assert (sample_run / "datapackage.json").resolve().parent == (sample_run / "current").resolve()
    rows = {r["name"]: r["stats"]["rows"] for r in descriptor["resources"]}
    assert rows["documents"] == 3 and rows["facts"] == 3 * 64
    report = _validate(sample_run)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_a_value_outside_its_vocabulary_fails(sample_run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    current = (sample_run / "current").resolve()
    for f in current.iterdir():
        shutil.copy(f, out / f.name)
    text = (out / "documents.csv").read_text(encoding="utf-8-sig")
    (out / "documents.csv").write_text(text.replace(",ok,", ",done,", 1), encoding="utf-8-sig")
    report = _validate(out)
    assert not report.valid
    assert "constraint-error" in {e[0] for e in report.flatten(["type"])}


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_pandas_and_duckdb_read_the_described_columns(sample_run, name):
    import duckdb

    descriptor = json.loads((sample_run / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == name)
    columns = [f["name"] for f in resource["schema"]["fields"]]
    got = duckdb.sql(f"SELECT * FROM '{sample_run / resource['path']}' LIMIT 0").columns
    assert got == columns
