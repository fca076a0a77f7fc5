"""The declarative knowledge in schemas/, loaded once, validated, as plain objects.

Every file is checked against a pydantic model when it is loaded: an unknown key, a rule of
an unknown kind, a pattern that does not compile or a value of the wrong shape (a nested list
of title variants) raises `KnowledgeError` naming the file and the key, so that a typo in a
knowledge file stops a run before its first PDF instead of silently moving facts.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import regex
from budgetpdf.normalize.text import squash
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SCHEMAS = Path(__file__).resolve().parent


class KnowledgeError(ValueError):
    """A knowledge file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(pattern: str) -> str:
    try:
        regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"bad pattern {pattern!r}: {exc}") from exc
    return pattern


# ---------------------------------------------------------------- file models


class _TableModel(_Strict):
    id: str
    name: str
    kind: Literal["决算", "预算", ""]
    titles: list[str] = Field(min_length=1)
    columns: list[str]
    two_sided: bool = False
    single_amount: str | None = None
    class_by_name: bool = False
    label_headers: list[str] = []
    unit: Literal["none"] | None = None
    fallback_titles: list[str] = []
    beside_primary: str | None = None
    form: bool = False


class _ContextModel(_Strict):
    label_patterns: list[str]
    unit_pattern: str
    title_unit_pattern: str
    publisher_patterns: list[str]
    other_titles: list[str] = []
    not_title: list[str]

    @field_validator("label_patterns", "publisher_patterns", "not_title")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        return [_compiles(p) for p in v]

    @field_validator("unit_pattern", "title_unit_pattern")
    @classmethod
    def _pattern(cls, v: str) -> str:
        return _compiles(v)


class _TablesFile(_Strict):
    table: list[_TableModel]
    context: _ContextModel

    @model_validator(mode="after")
    def _known_twins(self) -> _TablesFile:
        ids = {t.id for t in self.table}
        for t in self.table:
            if t.beside_primary is not None and t.beside_primary not in ids:
                raise ValueError(f"{t.id}: beside_primary {t.beside_primary!r} is no table id")
        return self


class _HeadersFile(_Strict):
    code: list[str]
    label: list[str]
    other_measures: list[str]
    unit_label: list[str]
    layout: list[str]
    sections: list[str]
    label_block: list[str]
    measure_headers: list[str]
    aliases: dict[str, str]


class _ColumnsFile(_Strict):
    ids: dict[str, str]


class _Term(_Strict):
    table: str
    column: str
    section: str | None = None
    item: str | None = None
    optional: bool = False


class _Rule(_Strict):
    id: str
    description: str = ""


class _RowSum(_Rule):
    table: str
    total: str
    parts: list[str] = Field(min_length=1)


class _Hierarchy(_Rule):
    tables: list[str] = Field(min_length=1)
    section: str | None = None
    total_rows: list[str] = []


class _ColumnSum(_Rule):
    table: str
    total_rows: list[str] = Field(min_length=1)


class _Equal(_Rule):
    left: list[_Term] = Field(min_length=1)
    right: list[_Term] = Field(min_length=1)


class _Narrative(_Rule):
    pattern: str
    candidates: list[_Term] = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _groups(cls, v: str) -> str:
        if not {"amount", "unit"} <= set(regex.compile(_compiles(v)).groupindex):
            raise ValueError("a narrative pattern needs the groups `amount` and `unit`")
        return v


class _Listed(_Rule):
    pass


class _ChecksFile(_Strict):
    row_sum: list[_RowSum] = []
    hierarchy: list[_Hierarchy] = []
    column_sum: list[_ColumnSum] = []
    equal: list[_Equal] = []
    narrative: list[_Narrative] = []
    listed: list[_Listed] = []


def _load(name: str, model: type[_Strict]) -> Any:
    """A TOML file of schemas/ validated by its model. Raises KnowledgeError (one line)."""
    path = SCHEMAS / name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return model.model_validate(data)
    except OSError as exc:
        raise KnowledgeError(f"schemas/{name}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"schemas/{name}: not valid TOML ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise KnowledgeError(f"schemas/{name}: {where}: {first['msg']}{more}") from exc


# ---------------------------------------------------------------- what the stages use


@dataclass(frozen=True)
class TableSpec:
    """A canonical table (schemas/tables.toml): titles and column names are squashed."""

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
    beside_primary: str | None = None
    form: bool = False


@dataclass(frozen=True)
class HeaderVocabulary:
    """How header cells are read (schemas/headers.toml); words are squashed."""

    code: frozenset[str]
    label: frozenset[str]
    layout: frozenset[str]
    sections: frozenset[str]
    label_block: frozenset[str]
    measure_headers: frozenset[str]
    unit_label: frozenset[str]
    other_measures: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """The text around a table (schemas/tables.toml [context]), as compiled patterns."""

    labels: tuple[regex.Pattern, ...]
    unit: regex.Pattern
    title_unit: regex.Pattern
    publisher: tuple[regex.Pattern, ...]
    not_title: regex.Pattern
    other_titles: tuple[str, ...]


# A table of no known kind may be a form: nothing printed in it is dropped.
OTHER = TableSpec(id="other", name="", kind="", titles=(), columns=(), form=True)


@cache
def table_specs() -> tuple[TableSpec, ...]:
    """Every canonical table, in file order. Raises KnowledgeError."""
    data: _TablesFile = _load("tables.toml", _TablesFile)
    return tuple(
        TableSpec(
            id=t.id,
            name=t.name,
            kind=t.kind,
            titles=tuple(squash(x) for x in t.titles),
            columns=tuple(t.columns),
            two_sided=t.two_sided,
            single_amount=t.single_amount,
            class_by_name=t.class_by_name,
            label_headers=tuple(t.label_headers),
            unit=t.unit,
            fallback_titles=tuple(squash(x) for x in t.fallback_titles),
            beside_primary=t.beside_primary,
            form=t.form,
        )
        for t in data.table
    )


@cache
def context() -> Context:
    """Title labels, unit and publisher lines, non-title lines. Raises KnowledgeError."""
    data: _ContextModel = _load("tables.toml", _TablesFile).context
    return Context(
        labels=tuple(regex.compile(p) for p in data.label_patterns),
        unit=regex.compile(data.unit_pattern),
        title_unit=regex.compile(data.title_unit_pattern),
        publisher=tuple(regex.compile(p) for p in data.publisher_patterns),
        not_title=regex.compile("|".join(data.not_title)),
        other_titles=tuple(data.other_titles),
    )


@cache
def header_vocabulary() -> HeaderVocabulary:
    """Raises KnowledgeError."""
    data: _HeadersFile = _load("headers.toml", _HeadersFile)

    def words(values: list[str]) -> frozenset[str]:
        return frozenset(squash(x) for x in values)

    return HeaderVocabulary(
        code=words(data.code),
        label=words(data.label),
        layout=words(data.layout),
        sections=words(data.sections),
        label_block=words(data.label_block),
        measure_headers=words(data.measure_headers),
        unit_label=words(data.unit_label),
        other_measures=tuple(squash(x) for x in data.other_measures),
        aliases={squash(k): v for k, v in data.aliases.items()},
    )


@cache
def column_ids() -> dict[str, str]:
    """Canonical column name → stable English id. Raises KnowledgeError."""
    return dict(_load("columns.toml", _ColumnsFile).ids)


@cache
def check_rules() -> dict[str, list[dict[str, Any]]]:
    """The checks of schemas/checks.toml by kind, each rule a plain dict (absent optional
    keys filled with their defaults). Raises KnowledgeError."""
    data: _ChecksFile = _load("checks.toml", _ChecksFile)
    return data.model_dump()


@dataclass(frozen=True)
class CodeEntry:
    code: str
    name: str
    level: str
    parent: str | None


@cache
def code_catalog() -> dict[str, CodeEntry]:
    """Functional and economic codes, keyed by code (the newest name wins). Raises
    KnowledgeError for a catalog without the columns code, name, level."""
    catalog: dict[str, CodeEntry] = {}
    for file in ("functional.csv", "economic.csv"):
        path = SCHEMAS / "codes" / file
        with path.open(encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"code", "name", "level"} - set(reader.fieldnames or ())
            if missing:
                raise KnowledgeError(f"schemas/codes/{file}: missing columns {sorted(missing)}")
            for row in reader:
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


def load_knowledge() -> None:
    """Load and validate every knowledge file once, before any document is read.
    Raises KnowledgeError naming the first broken file and key."""
    table_specs()
    context()
    header_vocabulary()
    column_ids()
    check_rules()
    code_catalog()
