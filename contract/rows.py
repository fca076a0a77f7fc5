"""The contract tables (OUTPUT.md: the four of 1.0, and files), defined once: a TypedDict per
row, its Arrow schema derived from the same annotations. Every stage builds these rows, the
writer refuses a row whose keys differ from its type (a misspelt key never becomes a silent
all-null column), and the tests read them.

Column order is the Parquet/CSV column order: the contract's 1.0 columns first, then the
project's documented extensions, then contract 1.1's additions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Annotated, TypedDict, get_type_hints

import pyarrow as pa

AMOUNT = pa.decimal128(38, 10)  # value, in the table's own unit, exactly as printed
YUAN = pa.decimal128(20, 2)  # amount_yuan

Str = Annotated[str, pa.string()]
OptStr = Annotated[str | None, pa.string()]
Int32 = Annotated[int, pa.int32()]
OptInt32 = Annotated[int | None, pa.int32()]
# PDF points from the page's top-left corner, in the page's reading orientation (/Rotate
# applied): where a cell or table was printed. Geometry, not money.
Point = Annotated[float | None, pa.float64()]


class DocumentRow(TypedDict):
    """One row of documents: one per input PDF, whatever its status."""

    doc_id: Str
    source: Str
    sha256: Str
    bytes: Annotated[int, pa.int64()]
    pages: Int32
    publisher: OptStr
    fiscal_year: OptInt32
    doc_kind: OptStr  # 决算 | 预算
    scope: OptStr  # 部门 | 单位
    unit_default: OptStr
    status: Str  # ok | partial | failed | skipped
    error: OptStr
    tables_found: Int32
    facts: Int32
    checks_failed: Int32
    seconds: Annotated[float, pa.float64()]  # wall time, not money
    pipeline_version: Str
    notes: OptStr  # 1.1: what a person should know of this reading, joined by `; `
    # extension: where `budgetpdf fetch` got the bytes, from RAW/manifest.parquet by sha256;
    # null for a file given by hand
    source_url: OptStr
    fetched_at: Annotated[datetime | None, pa.timestamp("s", tz="UTC")]


class TableRow(TypedDict):
    """One row of tables: one per canonical table read from a document (pages 1-based)."""

    doc_id: Str
    table_id: Str
    table_name: Str
    table_code: OptStr
    title_raw: OptStr
    unit: OptStr
    page_first: OptInt32
    page_last: OptInt32
    rows: Int32
    columns: Int32
    facts: Int32
    unit_name: OptStr  # extension: the 部门/单位 the table is printed for
    table_no: Int32  # extension: order in the document, joins facts
    # extension: the table's box on page_first
    x0: Point
    top: Point
    x1: Point
    bottom: Point


class FactRow(TypedDict):
    """One row of facts: one printed amount. value is exact and in the table's unit (万元 or
    元, in unit); amount_yuan is it in 元 to the cent, null when the unit is unknown."""

    doc_id: Str
    table_id: Str
    table_name: Str
    table_code: OptStr
    section: OptStr
    row_no: Int32
    item_code: OptStr
    code_system: OptStr
    code_level: OptStr
    parent_code: OptStr
    item_name: Str
    item_raw: Str
    column_name: Str
    column_id: Str
    value: Annotated[Decimal, AMOUNT]
    unit: OptStr
    amount_yuan: Annotated[Decimal | None, YUAN]
    page: Int32
    unit_name: OptStr
    table_no: Int32
    # 1.1: the column's concepts, from the closed vocabularies of schemas/concepts.toml
    measure: OptStr
    flow: OptStr
    fund: OptStr
    spending: OptStr
    expense_item: OptStr
    # extension: the box of the cell the amount was read from, on page
    x0: Point
    top: Point
    x1: Point
    bottom: Point
    # extension: where the fact's text came from, `pdf` (the text layer) or `ocr` (the page's
    # image), and for OCR how sure the recogniser was of the amount (0–1; null for pdf)
    text_source: Str
    ocr_confidence: Annotated[float | None, pa.float64()]


class CheckRow(TypedDict):
    """One row of checks: one identity evaluated on a document's facts; the amounts are in
    unit (the table's unit)."""

    doc_id: Str
    check_id: Str
    table_id: OptStr
    description: Str
    expected: Annotated[Decimal | None, AMOUNT]
    actual: Annotated[Decimal | None, AMOUNT]
    difference: Annotated[Decimal | None, AMOUNT]
    tolerance: Annotated[Decimal | None, AMOUNT]
    passed: Annotated[bool | None, pa.bool_()]  # 1.1: null = not evaluable, description says why
    location: OptStr
    unit: OptStr  # 1.1: the unit of expected/actual/difference/tolerance


class FileRow(TypedDict):
    """One row of files: one per input path and content seen there, so that every file given
    is accounted for — duplicates (two paths, one sha256), two names of one file (a link),
    and a file replaced under the same path (two rows, the older superseded)."""

    path: Str  # absolute, as given (links not resolved); bytes that are not UTF-8 as \xNN
    source: Str  # the file name, as documents.source
    sha256: Str  # empty when the file could not be read (its document says why)
    bytes: Annotated[int, pa.int64()]
    mtime: Annotated[datetime | None, pa.timestamp("us", tz="UTC")]  # as last listed
    doc_id: Str  # the document this content is (documents.doc_id)
    superseded_by: OptStr  # doc_id now at this path, when this content was replaced; else null


def arrow_schema(row_type: type) -> pa.Schema:
    """The Arrow schema of a row type, columns in declaration order: each field's Arrow type
    is its annotation's metadata. Raises AttributeError for a field declared without one."""
    hints = get_type_hints(row_type, include_extras=True)
    return pa.schema([(name, hint.__metadata__[0]) for name, hint in hints.items()])


ROW_TYPES: dict[str, type] = {
    "documents": DocumentRow,
    "tables": TableRow,
    "facts": FactRow,
    "checks": CheckRow,
    "files": FileRow,
}
SCHEMAS: dict[str, pa.Schema] = {name: arrow_schema(t) for name, t in ROW_TYPES.items()}


@dataclass(slots=True)
class DocumentResult:
    """What one processed document yields: the rows of the four contract tables."""

    document: DocumentRow
    tables: list[TableRow] = field(default_factory=list)
    facts: list[FactRow] = field(default_factory=list)
    checks: list[CheckRow] = field(default_factory=list)
