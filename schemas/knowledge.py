"""The declarative knowledge in schemas/, loaded once, validated, as one `Knowledge` object.

`load_knowledge(root)` reads every file of a schemas folder and returns a frozen `Knowledge`
holding each part in the form the stages use (squashed words, compiled patterns, the concept
rules compiled for normalize/concepts.py); the entry points load it once and pass it down as
an argument, so nothing reads knowledge from a module-level cache.

Every file is checked against a pydantic model when it is loaded: an unknown key, a rule of
an unknown kind, a pattern that does not compile or a value of the wrong shape (a nested list
of title variants) raises `KnowledgeError` naming the file and the key, so that a typo in a
knowledge file stops a run before its first PDF instead of silently moving facts.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import regex
from budgetpdf.contract.text import squash
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SCHEMAS = Path(__file__).resolve().parent


class KnowledgeError(ValueError):
    """A knowledge file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def compiles(pattern: str) -> str:
    """The pattern itself when `regex` compiles it; else ValueError naming it (for validators)."""
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


# Where a unit pattern names the money units: replaced by the units of [money] when loaded.
MONEY = "{money}"


def money_alternation(units: Iterable[str]) -> str:
    """The money units as one alternation, longest first (`千元|万元|亿元|元`), for MONEY."""
    return "|".join(regex.escape(u) for u in sorted(units, key=len, reverse=True))


class _ContextModel(_Strict):
    label_patterns: list[str]
    unit_pattern: str
    title_unit_pattern: str
    publisher_patterns: list[str]
    other_titles: list[str] = []
    not_title: list[str]
    page_number: str
    note: str
    toc_heading: str

    @field_validator("label_patterns", "publisher_patterns", "not_title")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        return [compiles(p) for p in v]

    @field_validator("unit_pattern", "title_unit_pattern")
    @classmethod
    def _unit_pattern(cls, v: str) -> str:
        if MONEY not in v:
            raise ValueError(f"a unit pattern names the money units as {MONEY} ([money] units)")
        try:
            regex.compile(v.replace(MONEY, "元"))
        except regex.error as exc:
            raise ValueError(f"bad pattern {v!r}: {exc}") from exc
        return v

    @field_validator("page_number", "note", "toc_heading")
    @classmethod
    def _pattern(cls, v: str) -> str:
        return compiles(v)


class _MoneyModel(_Strict):
    units: dict[str, int] = Field(min_length=1)

    @field_validator("units")
    @classmethod
    def _factors(cls, v: dict[str, int]) -> dict[str, int]:
        for unit, factor in v.items():
            if not unit.strip() or factor < 1:
                raise ValueError(f"money unit {unit!r}: a name and a factor of 1 or more")
        return v


# Where a pattern finds a classification code: replaced by [codes] code when loaded.
CODE = "{code}"


def _with_placeholder(pattern: str, placeholder: str, stand_in: str) -> str:
    """The pattern itself when it holds the placeholder and compiles with a stand-in for it;
    else ValueError (for validators)."""
    if placeholder not in pattern:
        raise ValueError(f"pattern {pattern!r} names the code as {placeholder}")
    compiles(pattern.replace(placeholder, stand_in))
    return pattern


class _CodesModel(_Strict):
    code: str
    leading: str

    @field_validator("code")
    @classmethod
    def _pattern(cls, v: str) -> str:
        return compiles(v)

    @field_validator("leading")
    @classmethod
    def _leading(cls, v: str) -> str:
        _with_placeholder(v, CODE, "201")
        if regex.compile(v.replace(CODE, "201")).groups != 2:
            raise ValueError(f"pattern {v!r} needs two groups: the code and the name")
        return v


class _UnruledModel(_Strict):
    code: str
    layout_words: list[str] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _pattern(cls, v: str) -> str:
        return _with_placeholder(v, CODE, "201")


class _TablesFile(_Strict):
    table: list[_TableModel]
    context: _ContextModel
    money: _MoneyModel
    codes: _CodesModel
    unruled: _UnruledModel

    @model_validator(mode="after")
    def _known_twins(self) -> _TablesFile:
        ids = {t.id for t in self.table}
        for t in self.table:
            if t.beside_primary is not None and t.beside_primary not in ids:
                raise ValueError(f"{t.id}: beside_primary {t.beside_primary!r} is no table id")
        return self


class _QuantitiesModel(_Strict):
    units: list[str] = Field(min_length=1)
    score: str
    score_unit: str
    indicator: str
    unit_column: str
    direction: str
    magnitude: str

    @field_validator("score", "indicator", "unit_column", "direction", "magnitude")
    @classmethod
    def _pattern(cls, v: str) -> str:
        return compiles(v)


class _HeadersFile(_Strict):
    code: list[str]
    code_suffixes: list[str] = Field(min_length=1)
    economic: list[str] = Field(min_length=1)
    label: list[str]
    unit_label: list[str]
    layout: list[str]
    sections: list[str]
    label_block: list[str]
    caption_keys: list[str] = []
    block_headings: list[str] = []
    ordinals: dict[str, str] = Field(min_length=1)
    quantities: _QuantitiesModel

    @field_validator("ordinals")
    @classmethod
    def _ordinals(cls, v: dict[str, str]) -> dict[str, str]:
        return {style: compiles(p) for style, p in v.items()}


class _ColumnsFile(_Strict):
    ids: dict[str, str]
    concept_ids: dict[
        Literal["measure", "flow", "fund", "spending", "expense_item"], dict[str, str]
    ] = {}


class _Patterns(_Strict):
    patterns: list[str] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _compile(cls, v: list[str]) -> list[str]:
        return [compiles(p) for p in v]


class _Pattern(_Strict):
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compile(cls, v: str) -> str:
        return compiles(v)


_MEASURES = Literal[
    "预算数",
    "决算数",
    "年初预算数",
    "调整预算数",
    "全年预算数",
    "上年预算数",
    "上年决算数",
    "上年执行数",
    "实施期预算数",  # project addition: a 绩效目标表 project's whole implementation period
    "增减额",
    "增减率",
]
_FLOWS = Literal["年初结转和结余", "本年收入", "本年支出", "结余分配", "年末结转和结余"]
_DIMENSION = Literal["fund", "spending", "expense_item"]
_KIND = Literal["预算", "决算"]


class _Normalize(_Strict):
    quotes: str


class _ChangeWord(_Patterns):
    value: _MEASURES


class _MeasureWord(_Patterns):
    value: _MEASURES | dict[_KIND, _MEASURES]
    prior: _MEASURES


class _Measure(_Strict):
    own: dict[_KIND, _MEASURES]
    year: str
    prior: list[str]
    current: list[str]
    change: list[_ChangeWord]
    word: list[_MeasureWord]


class _ConceptValue(_Patterns):
    parent: str | None = None
    as_flow: _FLOWS | None = None


class _YearFlows(_Strict):
    values: list[_FLOWS]


class _Dimensions(_Strict):
    order: list[_DIMENSION]
    head_order: list[_DIMENSION]


class _TitleBreakdown(_Pattern):
    dimension: _DIMENSION


class _GrandTotal(_Pattern):
    inner_flow: dict[_DIMENSION, _FLOWS]


class _ConceptsFile(_Strict):
    """schemas/concepts.toml: the patterns of each concept of contract 1.1."""

    normalize: _Normalize
    decoration: _Patterns
    of_which: _Pattern
    total: _Patterns
    measure: _Measure
    flow: dict[_FLOWS, list[str]]
    year_flows: _YearFlows
    flow_total_dimension: dict[_FLOWS, _DIMENSION]
    dimensions: _Dimensions
    fund: dict[str, _ConceptValue]
    spending: dict[str, _ConceptValue]
    expense_item: dict[str, _ConceptValue]
    children: dict[str, dict[str, list[str]]] = {}
    title_breakdown: list[_TitleBreakdown]
    grand_total: _GrandTotal


CONCEPT_DIMENSIONS = ("measure", "flow", "fund", "spending", "expense_item")
Dimension = Literal["measure", "flow", "fund", "spending", "expense_item"]


class _Term(_Strict):
    """One cell: by canonical `column` (1.0) and/or by concepts (1.1 facts columns)."""

    table: str
    column: str | None = None
    section: str | None = None
    item: str | None = None
    optional: bool = False
    measure: str | None = None
    flow: str | None = None
    fund: str | None = None
    spending: str | None = None
    expense_item: str | None = None

    @model_validator(mode="after")
    def _selects_a_column(self) -> _Term:
        if self.column is None and not any(getattr(self, d) for d in CONCEPT_DIMENSIONS):
            raise ValueError("a term needs `column` or a concept (measure, fund, spending …)")
        return self


class _Rule(_Strict):
    id: str
    description: str = ""


class _RowSum(_Rule):
    """Without `by`: `total` and `parts` are column names. With `by`: they are values of that
    concept dimension, `measure` restricts the columns to one figure, and `required` lists the
    parts the table must print for the sum to be evaluable; `others` are values of the
    dimension that are neither (known, not summed), read by name where 1.0 gave no id."""

    table: str
    total: str
    parts: list[str] = Field(min_length=1)
    by: Dimension | None = None
    measure: str | None = None
    required: list[str] = []
    others: list[str] = []

    @model_validator(mode="after")
    def _required_are_parts(self) -> _RowSum:
        if self.by is None and (self.required or self.measure):
            raise ValueError("`required` and `measure` need `by` (a concept dimension)")
        if not set(self.required) <= set(self.parts):
            raise ValueError("every `required` entry must be one of `parts`")
        return self


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
        if not {"amount", "unit"} <= set(regex.compile(compiles(v)).groupindex):
            raise ValueError("a narrative pattern needs the groups `amount` and `unit`")
        return v


class _Listed(_Rule):
    pass


class _ChecksFile(_Strict):
    not_additive: list[str] = []
    row_sum: list[_RowSum] = []
    hierarchy: list[_Hierarchy] = []
    column_sum: list[_ColumnSum] = []
    equal: list[_Equal] = []
    narrative: list[_Narrative] = []
    listed: list[_Listed] = []


class _OrganisationModel(_Strict):
    suffixes: list[str] = Field(min_length=1)
    scope_mark: str
    min_length: int = Field(ge=1)
    max_length: int = Field(ge=1)
    headings: list[str]
    decorations: list[str]
    fragments: list[str]
    place: str

    @field_validator("headings", "decorations", "fragments")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        return [compiles(p) for p in v]

    @field_validator("scope_mark", "place")
    @classmethod
    def _pattern(cls, v: str) -> str:
        return compiles(v)


class _PositionsModel(_Strict):
    title: str
    title_lines: int = Field(ge=1)
    cover_lines: int = Field(ge=1)
    cover_end: str
    labels: list[str] = Field(min_length=1)
    label_tail: str

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        groups = set(regex.compile(compiles(v)).groupindex)
        if not {"pre", "year", "mid", "scope", "kind"} <= groups:
            raise ValueError("the title pattern needs the groups pre, year, mid, scope, kind")
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: list[str]) -> list[str]:
        for p in v:
            if "name" not in regex.compile(compiles(p)).groupindex:
                raise ValueError(f"label pattern {p!r} needs the group `name`")
        return v

    @field_validator("cover_end", "label_tail")
    @classmethod
    def _pattern(cls, v: str) -> str:
        return compiles(v)


class _YearModel(_Strict):
    mark: str
    header: str
    heading: str
    in_title: str

    @field_validator("mark", "header", "heading", "in_title")
    @classmethod
    def _year(cls, v: str) -> str:
        if "year" not in regex.compile(compiles(v)).groupindex:
            raise ValueError(f"year pattern {v!r} needs the group `year`")
        return v

    @field_validator("heading")
    @classmethod
    def _heading(cls, v: str) -> str:
        if not {"scope", "kind"} <= set(regex.compile(v).groupindex):
            raise ValueError(f"heading pattern {v!r} needs the groups `scope` and `kind`")
        return v

    @field_validator("in_title")
    @classmethod
    def _one_group(cls, v: str) -> str:
        if regex.compile(v).groups != 1:
            raise ValueError(f"in_title pattern {v!r} needs exactly one group, `year`")
        return v


class _MetadataFile(_Strict):
    organisation: _OrganisationModel
    positions: _PositionsModel
    year: _YearModel


def read_toml(path: Path, model: type[BaseModel], shown: str, error: type[ValueError]) -> Any:
    """A TOML file validated by a pydantic model. Raises `error` with one line naming the file
    as `shown` and the first key at fault (`sources.toml: source.0.follow.1: Value error, bad
    pattern '(' …`): unreadable, not UTF-8, not TOML, or not what the model says."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return model.model_validate(data)
    except OSError as exc:
        raise error(f"{shown}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{shown}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{shown}: not valid TOML ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise error(f"{shown}: {where}: {first['msg']}{more}") from exc


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
    unit_label: frozenset[str]
    caption_keys: tuple[str, ...] = ()  # suffixes of the keys of a form's key–value lines
    block_headings: frozenset[str] = frozenset()  # a second header inside a form
    code_suffixes: tuple[str, ...] = ()  # a heading ending so is over codes or numbering
    economic: tuple[str, ...] = ()  # a label heading holding one names 经济分类 rows


@dataclass(frozen=True)
class Quantities:
    """Figures that are not money (schemas/headers.toml [quantities]); units squashed."""

    units: frozenset[str]
    score: regex.Pattern
    score_unit: str
    indicator: regex.Pattern
    unit_column: regex.Pattern
    direction: regex.Pattern  # a cell that only says which way a target points (≥, 定性)
    magnitude: regex.Pattern  # a count's scale before a unit: 万 of 万人


@dataclass(frozen=True)
class Context:
    """The text around a table (schemas/tables.toml [context]), as compiled patterns."""

    labels: tuple[regex.Pattern, ...]
    unit: regex.Pattern
    title_unit: regex.Pattern
    publisher: tuple[regex.Pattern, ...]
    not_title: regex.Pattern
    other_titles: tuple[str, ...]
    page_number: regex.Pattern  # a line that is only a page number
    note: regex.Pattern  # a note line under a table (注：…)
    toc_heading: regex.Pattern  # the heading of a table of contents (目录)


@dataclass(frozen=True)
class CodeFormat:
    """How a classification code is printed (schemas/tables.toml [codes]): `whole`, a text
    that is a code and nothing else (squashed: `2010101`); `leading`, a label that starts
    with its code, groups 1 (the code) and 2 (the name)."""

    whole: regex.Pattern
    leading: regex.Pattern


@dataclass(frozen=True)
class StreamVocabulary:
    """What extract/stream.py reads an unruled table by: schemas/tables.toml [unruled] (the
    code that opens a body line, the words of a 栏次 line, squashed) and the page-number and
    note patterns of [context] (the same compiled objects as `Context`'s)."""

    code: regex.Pattern
    layout_words: frozenset[str]
    page_number: regex.Pattern
    note: regex.Pattern


# A table of no known kind may be a form: nothing printed in it is dropped.
OTHER = TableSpec(id="other", name="", kind="", titles=(), columns=(), form=True)


@dataclass(frozen=True)
class TitleVariant:
    """One printed title a table goes by (squashed), and whether it is a fallback title (a
    table that stands for the canonical one only where the document prints no primary twin);
    the `other_titles` of [context] name OTHER."""

    text: str
    spec: TableSpec
    fallback: bool


@dataclass(frozen=True, slots=True)
class ConceptGroup:
    """One pattern of schemas/concepts.toml with what a match of it says."""

    kind: str  # concept | flow | total | change | word | prior | current | year
    dim: str | None
    value: Any  # a vocabulary value, or {doc kind: value} for 执行数
    prior: str | None
    pattern: regex.Pattern


@dataclass(frozen=True)
class ConceptRules:
    """schemas/concepts.toml compiled for normalize/concepts.py.

    groups: every pattern that competes for a header cell's characters, in file order (change
    words, measure words, 上年 and 本年 marks, the year, total words, flows, then the values of
    fund, spending and expense_item); parents and as_flow: (dimension, value) → its parent value
    or the flow it stands for above other values of its dimension; children: a parent value →
    (value, pattern) of the fragments read only under it; change_rank: a change word's rank
    (the one listed first wins)."""

    groups: tuple[ConceptGroup, ...]
    decoration: tuple[regex.Pattern, ...]
    quotes: regex.Pattern
    of_which: regex.Pattern
    own: dict[str, str]
    year: regex.Pattern
    parents: dict[tuple[str, str], str]
    as_flow: dict[tuple[str, str], str]
    children: dict[str, tuple[tuple[str, regex.Pattern], ...]]
    flow_total: dict[str, str]
    year_flows: tuple[str, ...]
    change_rank: dict[str, int]
    grand_total: regex.Pattern
    grand_inner_flow: dict[str, str]
    head_order: tuple[str, ...]
    title_breakdown: tuple[tuple[regex.Pattern, str], ...]


@dataclass(frozen=True)
class MetadataRules:
    """How publisher and year are read (schemas/metadata.toml), as compiled patterns."""

    name: regex.Pattern  # an organisation name: ends with a suffix, then a scope mark
    min_length: int
    max_length: int
    headings: regex.Pattern
    decorations: regex.Pattern
    fragments: regex.Pattern
    place: regex.Pattern
    title: regex.Pattern
    title_lines: int
    cover_lines: int
    cover_end: regex.Pattern
    labels: tuple[regex.Pattern, ...]
    label_tail: regex.Pattern
    year_mark: regex.Pattern
    year_header: regex.Pattern
    year_heading: regex.Pattern  # groups year, scope, kind: a document heading in any line
    year_in_title: regex.Pattern  # one group, year: a year a table title prints


@dataclass(frozen=True)
class CodeEntry:
    """One code of schemas/codes/ (functional.csv, economic.csv): the code as printed
    (`2010101`), its name, its level (类, 款, 项) and its parent's code (None for a 类)."""

    code: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Everything schemas/ says, loaded and validated once by `load_knowledge` and handed to
    every stage that reads by it.

    tables: the canonical tables in file order; titles: every printed title variant, the
    other_titles of [context] included; context, headers, quantities, concepts, metadata: the
    compiled rules of tables.toml [context], headers.toml, its [quantities], concepts.toml and
    metadata.toml; column_ids: canonical column name → stable English id; concept_ids: concept
    dimension → vocabulary value → id part (columns.toml [concept_ids]); checks: the rules of
    checks.toml by kind, each a plain dict (absent optional keys filled with their defaults),
    plus `not_additive`; codes: functional and economic codes by code (the newest name wins);
    class_by_name: a functional 类's squashed name → its 3-digit code; money: each money
    unit (tables.toml [money], the one list the unit patterns are built from) → its worth in
    元, an exact Decimal; code_format: how a classification code is printed (tables.toml
    [codes]); ordinals: (style, pattern) of each way a row label is numbered, in file order
    (headers.toml [ordinals]); stream: what the unruled reader (extract/stream.py) reads by.

    `derived` holds what later stages compute from this knowledge alone and keep with it, so
    that it is computed once per load (normalize/concepts.py's readings of header cells and of
    the canonical column names); it is no part of the knowledge and is not pickled."""

    tables: tuple[TableSpec, ...]
    titles: tuple[TitleVariant, ...]
    context: Context
    headers: HeaderVocabulary
    quantities: Quantities
    column_ids: dict[str, str]
    concepts: ConceptRules
    concept_ids: dict[str, dict[str, str]]
    checks: dict[str, Any]
    metadata: MetadataRules
    codes: dict[str, CodeEntry]
    class_by_name: dict[str, str]
    money: dict[str, Decimal]
    code_format: CodeFormat
    ordinals: tuple[tuple[str, regex.Pattern], ...]
    stream: StreamVocabulary
    derived: dict[str, Any] = field(default_factory=dict, repr=False)

    def table(self, table_id: str) -> TableSpec | None:
        """The canonical table of that id, or None."""
        return next((s for s in self.tables if s.id == table_id), None)

    def __getstate__(self) -> dict[str, Any]:
        # a worker started by forkserver, spawn or Dask gets the knowledge, not the memo
        return {**self.__dict__, "derived": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)


def _table_specs(data: _TablesFile) -> tuple[TableSpec, ...]:
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


def _title_variants(specs: tuple[TableSpec, ...], context: Context) -> tuple[TitleVariant, ...]:
    out = [TitleVariant(v, spec, False) for spec in specs for v in spec.titles]
    out += [TitleVariant(v, spec, True) for spec in specs for v in spec.fallback_titles]
    out += [TitleVariant(squash(v), OTHER, False) for v in context.other_titles]
    return tuple(out)


def _context(data: _ContextModel, money: _MoneyModel) -> Context:
    units = money_alternation(money.units)
    return Context(
        labels=tuple(regex.compile(p) for p in data.label_patterns),
        unit=regex.compile(data.unit_pattern.replace(MONEY, units)),
        title_unit=regex.compile(data.title_unit_pattern.replace(MONEY, units)),
        publisher=tuple(regex.compile(p) for p in data.publisher_patterns),
        not_title=regex.compile("|".join(data.not_title)),
        other_titles=tuple(data.other_titles),
        page_number=regex.compile(data.page_number),
        note=regex.compile(data.note),
        toc_heading=regex.compile(data.toc_heading),
    )


def _code_format(data: _CodesModel) -> CodeFormat:
    return CodeFormat(
        whole=regex.compile(f"^(?:{data.code})$"),
        leading=regex.compile(data.leading.replace(CODE, data.code)),
    )


def _stream_vocabulary(
    data: _UnruledModel, context: Context, codes: _CodesModel
) -> StreamVocabulary:
    return StreamVocabulary(
        code=regex.compile(data.code.replace(CODE, codes.code)),
        layout_words=frozenset(squash(w) for w in data.layout_words),
        page_number=context.page_number,
        note=context.note,
    )


def _quantities(data: _QuantitiesModel, money: _MoneyModel) -> Quantities:
    # money units are units of a figure too (`预算金额（万元）`): listed once, in [money]
    return Quantities(
        units=frozenset(squash(u) for u in [*data.units, *money.units]),
        score=regex.compile(data.score),
        score_unit=data.score_unit,
        indicator=regex.compile(data.indicator),
        unit_column=regex.compile(data.unit_column),
        direction=regex.compile(data.direction),
        magnitude=regex.compile(data.magnitude),
    )


def _header_vocabulary(data: _HeadersFile) -> HeaderVocabulary:
    def words(values: list[str]) -> frozenset[str]:
        return frozenset(squash(x) for x in values)

    return HeaderVocabulary(
        code=words(data.code),
        label=words(data.label),
        layout=words(data.layout),
        sections=words(data.sections),
        label_block=words(data.label_block),
        unit_label=words(data.unit_label),
        caption_keys=tuple(squash(x) for x in data.caption_keys),
        block_headings=words(data.block_headings),
        code_suffixes=tuple(squash(x) for x in data.code_suffixes),
        economic=tuple(squash(x) for x in data.economic),
    )


_CONCEPT_VALUE_DIMS = ("fund", "spending", "expense_item")


def _concept_rules(data: _ConceptsFile) -> ConceptRules:
    k = data.model_dump()
    groups: list[ConceptGroup] = []

    def add(kind: str, dim: str | None, value: Any, prior: str | None, pats: list[str]) -> None:
        groups.extend(ConceptGroup(kind, dim, value, prior, regex.compile(p)) for p in pats)

    m = k["measure"]
    for g in m["change"]:
        add("change", None, g["value"], None, g["patterns"])
    for g in m["word"]:
        add("word", None, g["value"], g["prior"], g["patterns"])
    add("prior", None, None, None, m["prior"])
    add("current", None, None, None, m["current"])
    add("year", None, None, None, [m["year"]])
    add("total", None, None, None, k["total"]["patterns"])
    for value, pats in k["flow"].items():
        add("flow", "flow", value, None, pats)
    parents: dict[tuple[str, str], str] = {}
    as_flow: dict[tuple[str, str], str] = {}
    for dim in _CONCEPT_VALUE_DIMS:
        for value, spec in k[dim].items():
            add("concept", dim, value, None, spec["patterns"])
            if spec["parent"]:
                parents[(dim, value)] = spec["parent"]
            if spec["as_flow"]:
                as_flow[(dim, value)] = spec["as_flow"]
    return ConceptRules(
        groups=tuple(groups),
        decoration=tuple(regex.compile(p) for p in k["decoration"]["patterns"]),
        quotes=regex.compile(k["normalize"]["quotes"]),
        of_which=regex.compile(k["of_which"]["pattern"]),
        own=m["own"],
        year=regex.compile(m["year"]),
        parents=parents,
        as_flow=as_flow,
        children={
            parent: tuple((v, regex.compile(p)) for v, pats in kids.items() for p in pats)
            for parent, kids in k["children"].items()
        },
        flow_total=k["flow_total_dimension"],
        year_flows=tuple(k["year_flows"]["values"]),
        change_rank={g["value"]: i for i, g in enumerate(m["change"])},
        grand_total=regex.compile(k["grand_total"]["pattern"]),
        grand_inner_flow=k["grand_total"]["inner_flow"],
        head_order=tuple(k["dimensions"]["head_order"]),
        title_breakdown=tuple(
            (regex.compile(t["pattern"]), t["dimension"]) for t in k["title_breakdown"]
        ),
    )


def _metadata_rules(data: _MetadataFile) -> MetadataRules:
    org, pos = data.organisation, data.positions

    def either(patterns: list[str]) -> regex.Pattern:
        return regex.compile("|".join(f"(?:{p})" for p in patterns))

    suffixes = "|".join(regex.escape(s) for s in sorted(org.suffixes, key=len, reverse=True))
    return MetadataRules(
        name=regex.compile(f"^.+?(?:{suffixes})(?:{org.scope_mark})?$"),
        min_length=org.min_length,
        max_length=org.max_length,
        headings=either(org.headings),
        decorations=either(org.decorations),
        fragments=either(org.fragments),
        place=regex.compile(org.place),
        title=regex.compile(pos.title),
        title_lines=pos.title_lines,
        cover_lines=pos.cover_lines,
        cover_end=regex.compile(pos.cover_end),
        labels=tuple(regex.compile(p) for p in pos.labels),
        label_tail=regex.compile(pos.label_tail),
        year_mark=regex.compile(data.year.mark),
        year_header=regex.compile(data.year.header),
        year_heading=regex.compile(data.year.heading),
        year_in_title=regex.compile(data.year.in_title),
    )


def _code_catalog(root: Path) -> dict[str, CodeEntry]:
    """Functional and economic codes, keyed by code (the newest name wins). Raises
    KnowledgeError for a catalog that cannot be read or lacks the columns code, name, level."""
    catalog: dict[str, CodeEntry] = {}
    for file in ("functional.csv", "economic.csv"):
        shown = f"{root.name}/codes/{file}"
        try:
            with (root / "codes" / file).open(encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                missing = {"code", "name", "level"} - set(reader.fieldnames or ())
                if missing:
                    raise KnowledgeError(f"{shown}: missing columns {sorted(missing)}")
                for row in reader:
                    catalog[row["code"]] = CodeEntry(
                        row["code"], row["name"], row["level"], row.get("parent") or None
                    )
        except OSError as exc:
            raise KnowledgeError(f"{shown}: cannot be read ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise KnowledgeError(f"{shown}: not UTF-8 text ({exc.reason})") from exc
    return catalog


def _class_by_name(codes: dict[str, CodeEntry]) -> dict[str, str]:
    """类 name → 3-digit code, for 类 rows printed without their code."""
    return {
        squash(e.name): e.code for e in codes.values() if e.level == "类" and e.code.startswith("2")
    }


def load_knowledge(root: Path = SCHEMAS) -> Knowledge:
    """Every knowledge file of `root` (the package's schemas/ unless a caller gives a copy)
    read, validated and compiled: call once, before the first document, and hand the result
    to the stages. Raises KnowledgeError, one line naming the first broken file (as
    `schemas/tables.toml`, the folder's own name first) and its key."""

    def load(name: str, model: type[_Strict]) -> Any:
        return read_toml(root / name, model, f"{root.name}/{name}", KnowledgeError)

    tables: _TablesFile = load("tables.toml", _TablesFile)
    headers: _HeadersFile = load("headers.toml", _HeadersFile)
    columns: _ColumnsFile = load("columns.toml", _ColumnsFile)
    concepts: _ConceptsFile = load("concepts.toml", _ConceptsFile)
    checks: _ChecksFile = load("checks.toml", _ChecksFile)
    codes = _code_catalog(root)
    metadata: _MetadataFile = load("metadata.toml", _MetadataFile)
    specs = _table_specs(tables)
    context = _context(tables.context, tables.money)
    return Knowledge(
        tables=specs,
        titles=_title_variants(specs, context),
        context=context,
        headers=_header_vocabulary(headers),
        quantities=_quantities(headers.quantities, tables.money),
        column_ids=dict(columns.ids),
        concepts=_concept_rules(concepts),
        concept_ids=dict(columns.concept_ids),
        checks=checks.model_dump(),
        metadata=_metadata_rules(metadata),
        codes=codes,
        class_by_name=_class_by_name(codes),
        money={unit: Decimal(factor) for unit, factor in tables.money.units.items()},
        code_format=_code_format(tables.codes),
        ordinals=tuple((style, regex.compile(p)) for style, p in headers.ordinals.items()),
        stream=_stream_vocabulary(tables.unruled, context, tables.codes),
    )
