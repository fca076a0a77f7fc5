"""The declarative knowledge in schemas/, loaded once into plain objects."""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from normalize.text import squash

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@dataclass(frozen=True)
class TableSpec:
    id: str
    name: str
    kind: str
    titles: tuple[str, ...]
    columns: tuple[str, ...]
    two_sided: bool = False
    single_amount: str | None = None
    class_by_name: bool = False
    label_headers: tuple[str, ...] = ()
    unit: str | None = None
    fallback_titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeaderVocabulary:
    code: frozenset[str]
    label: frozenset[str]
    layout: frozenset[str]
    sections: frozenset[str]
    label_block: frozenset[str]
    measure_headers: frozenset[str]
    unit_label: frozenset[str]
    other_measures: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)


OTHER = TableSpec(id="other", name="", kind="", titles=(), columns=())


@cache
def table_specs() -> tuple[TableSpec, ...]:
    data = tomllib.loads((SCHEMAS / "tables.toml").read_text(encoding="utf-8"))
    specs = []
    for t in data["table"]:
        specs.append(
            TableSpec(
                id=t["id"],
                name=t["name"],
                kind=t["kind"],
                titles=tuple(squash(x) for x in t["titles"]),
                columns=tuple(t["columns"]),
                two_sided=t.get("two_sided", False),
                single_amount=t.get("single_amount"),
                class_by_name=t.get("class_by_name", False),
                label_headers=tuple(t.get("label_headers", ())),
                unit=t.get("unit"),
                fallback_titles=tuple(squash(x) for x in t.get("fallback_titles", ())),
            )
        )
    return tuple(specs)


@cache
def header_vocabulary() -> HeaderVocabulary:
    data = tomllib.loads((SCHEMAS / "headers.toml").read_text(encoding="utf-8"))

    def words(key: str) -> frozenset[str]:
        return frozenset(squash(x) for x in data[key])

    return HeaderVocabulary(
        code=words("code"),
        label=words("label"),
        layout=words("layout"),
        sections=words("sections"),
        label_block=words("label_block"),
        measure_headers=words("measure_headers"),
        unit_label=words("unit_label"),
        other_measures=tuple(squash(x) for x in data["other_measures"]),
        aliases={squash(k): v for k, v in data["aliases"].items()},
    )


@cache
def column_ids() -> dict[str, str]:
    data = tomllib.loads((SCHEMAS / "columns.toml").read_text(encoding="utf-8"))
    return dict(data["ids"])


@dataclass(frozen=True)
class CodeEntry:
    code: str
    name: str
    level: str
    parent: str | None


@cache
def code_catalog() -> dict[str, CodeEntry]:
    """Functional and economic codes, keyed by code (the newest name wins)."""
    catalog: dict[str, CodeEntry] = {}
    for file in ("functional.csv", "economic.csv"):
        path = SCHEMAS / "codes" / file
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                catalog[row["code"]] = CodeEntry(
                    row["code"], row["name"], row["level"], row.get("parent") or None
                )
    return catalog


@cache
def functional_class_by_name() -> dict[str, str]:
    """类 name → 3-digit code, for 类 rows printed without their code."""
    return {
        squash(e.name): e.code
        for e in code_catalog().values()
        if e.level == "类" and e.code.startswith("2")
    }
