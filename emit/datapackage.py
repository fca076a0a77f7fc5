"""The output described for tools: a Frictionless Data Package (datapackage.json) beside the
flat tables, one resource and Table Schema per contract table.

Columns and types come from contract/rows.py (the Arrow schema of each row type), words and
closed vocabularies from contract/columns.toml, the concept vocabularies and table ids from
the knowledge (schemas/), so nothing here lists a column.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib.resources import files
from typing import Any, get_type_hints

import pyarrow as pa
from budgetpdf import pipeline_version
from budgetpdf.contract.rows import ROW_TYPES, SCHEMAS
from budgetpdf.schemas.knowledge import CONCEPT_DIMENSIONS, OTHER, Knowledge

PROFILE = "tabular-data-package"
TABLE_DESCRIPTION = "_"  # the key of a table's own description in columns.toml
# A table's primary key, and the tables its columns point into (column(s) → table, column(s)).
PRIMARY_KEYS = {"documents": ["doc_id"], "tables": ["doc_id", "table_no"]}
FOREIGN_KEYS = {
    "tables": [(["doc_id"], "documents", ["doc_id"])],
    "facts": [
        (["doc_id"], "documents", ["doc_id"]),
        (["doc_id", "table_no"], "tables", ["doc_id", "table_no"]),
    ],
    "checks": [(["doc_id"], "documents", ["doc_id"])],
    "files": [(["doc_id"], "documents", ["doc_id"])],
}


@cache
def column_descriptions() -> dict[str, Any]:
    """contract/columns.toml: {"vocabularies": {name: [values]}, table: {column: text or
    {description, enum}}}."""
    text = files("budgetpdf.contract").joinpath("columns.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def vocabularies(knowledge: Knowledge) -> dict[str, list[str]]:
    """Every closed vocabulary a column may name: columns.toml's own, the five concept
    dimensions and table_id from the knowledge."""
    out = dict(column_descriptions()["vocabularies"])
    out.update(
        {d: list(values) for d, values in knowledge.concept_ids.items() if d in CONCEPT_DIMENSIONS}
    )
    out["table_id"] = [spec.id for spec in knowledge.tables] + [OTHER.id]
    return out


def _field_type(arrow: pa.DataType) -> dict[str, Any]:
    """The Table Schema type of an Arrow type; decimals are numbers read exactly (the CSV
    prints them plain, `2030.89`)."""
    if pa.types.is_string(arrow):
        return {"type": "string"}
    if pa.types.is_integer(arrow):
        return {"type": "integer"}
    if pa.types.is_decimal(arrow):
        return {"type": "number", "arrowType": str(arrow)}
    if pa.types.is_floating(arrow):
        return {"type": "number"}
    if pa.types.is_timestamp(arrow):
        return {"type": "datetime", "format": "any"}  # CSV prints `2026-11-29 16:00:00+00:00`
    if pa.types.is_boolean(arrow):
        return {"type": "boolean", "trueValues": ["True"], "falseValues": ["False"]}
    raise TypeError(f"no Table Schema type for Arrow type {arrow}")


def table_schema(name: str, knowledge: Knowledge) -> dict[str, Any]:
    """The Table Schema of one contract table (name: documents, tables, facts, checks), its
    closed vocabularies from the knowledge. Raises KeyError naming the column when
    columns.toml does not describe it."""
    words = column_descriptions()[name]
    vocab = vocabularies(knowledge)
    hints = get_type_hints(ROW_TYPES[name])
    fields = []
    for column in SCHEMAS[name]:
        entry = words[column.name]
        entry = entry if isinstance(entry, dict) else {"description": entry}
        spec: dict[str, Any] = {
            "name": column.name,
            "description": entry["description"],
            **_field_type(column.type),
        }
        constraints: dict[str, Any] = {}
        nullable = type(None) in getattr(hints[column.name], "__args__", ())
        if not nullable and spec["type"] != "string":  # a CSV reads an empty string as null
            constraints["required"] = True
        if "enum" in entry:
            constraints["enum"] = vocab[entry["enum"]]
        if constraints:
            spec["constraints"] = constraints
        fields.append(spec)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if name in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[name]
    if name in FOREIGN_KEYS:
        schema["foreignKeys"] = [
            {"fields": own, "reference": {"resource": target, "fields": theirs}}
            for own, target, theirs in FOREIGN_KEYS[name]
        ]
    return schema


def datapackage(rows: dict[str, int], knowledge: Knowledge) -> dict[str, Any]:
    """The descriptor of a set of flat tables, rows being each table's row count (validators
    compare it with the file); the knowledge gives the closed vocabularies. Resources point at
    the CSVs beside the descriptor; the Parquet files beside them hold the same columns,
    typed."""
    words = column_descriptions()
    return {
        "profile": PROFILE,
        "name": "budgetpdf-output",
        "title": "budgetpdf output: 部门预算/部门决算 tables read from PDFs",
        "description": "The tables of the budgetpdf output contract (contract/OUTPUT.md).",
        "version": pipeline_version(),
        "resources": [
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "description": words[name][TABLE_DESCRIPTION],
                "stats": {"rows": rows[name]},
                "schema": table_schema(name, knowledge),
            }
            for name in SCHEMAS
        ],
    }


def datapackage_json(rows: dict[str, int], knowledge: Knowledge) -> str:
    """datapackage() as indented JSON, Chinese kept readable."""
    return json.dumps(datapackage(rows, knowledge), ensure_ascii=False, indent=2) + "\n"
