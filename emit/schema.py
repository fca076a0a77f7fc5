"""Arrow schemas of the four contract tables (plus the project's documented extensions)."""

import pyarrow as pa

AMOUNT = pa.decimal128(38, 10)
YUAN = pa.decimal128(20, 2)

DOCUMENTS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source", pa.string()),
        ("sha256", pa.string()),
        ("bytes", pa.int64()),
        ("pages", pa.int32()),
        ("publisher", pa.string()),
        ("fiscal_year", pa.int32()),
        ("doc_kind", pa.string()),
        ("scope", pa.string()),
        ("unit_default", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("tables_found", pa.int32()),
        ("facts", pa.int32()),
        ("checks_failed", pa.int32()),
        ("seconds", pa.float64()),
        ("pipeline_version", pa.string()),
    ]
)

TABLES = pa.schema(
    [
        ("doc_id", pa.string()),
        ("table_id", pa.string()),
        ("table_name", pa.string()),
        ("table_code", pa.string()),
        ("title_raw", pa.string()),
        ("unit", pa.string()),
        ("page_first", pa.int32()),
        ("page_last", pa.int32()),
        ("rows", pa.int32()),
        ("columns", pa.int32()),
        ("facts", pa.int32()),
        ("unit_name", pa.string()),
        ("table_no", pa.int32()),
    ]
)

FACTS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("table_id", pa.string()),
        ("table_name", pa.string()),
        ("table_code", pa.string()),
        ("section", pa.string()),
        ("row_no", pa.int32()),
        ("item_code", pa.string()),
        ("code_system", pa.string()),
        ("code_level", pa.string()),
        ("parent_code", pa.string()),
        ("item_name", pa.string()),
        ("item_raw", pa.string()),
        ("column_name", pa.string()),
        ("column_id", pa.string()),
        ("value", AMOUNT),
        ("unit", pa.string()),
        ("amount_yuan", YUAN),
        ("page", pa.int32()),
        ("unit_name", pa.string()),
        ("table_no", pa.int32()),
    ]
)

CHECKS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("check_id", pa.string()),
        ("table_id", pa.string()),
        ("description", pa.string()),
        ("expected", AMOUNT),
        ("actual", AMOUNT),
        ("difference", AMOUNT),
        ("tolerance", AMOUNT),
        ("passed", pa.bool_()),
        ("location", pa.string()),
    ]
)

SCHEMAS = {"documents": DOCUMENTS, "tables": TABLES, "facts": FACTS, "checks": CHECKS}
