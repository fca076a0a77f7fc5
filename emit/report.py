"""The run report: one static HTML file (OUT/report.html) a person opens from disk to see
what a run read and where it doubts — per document its status, publisher, year, tables
found against those its 目录 lists, facts, failed and not-evaluable checks; each failed
check with its arithmetic and an image of its page with the cells involved outlined; the
columns of the canonical tables that map to no concept, by table.

The data is embedded as JSON and laid out by a small script (sort by any column, filter by
text and status), so the file stays usable with thousands of documents; images are made
for failed checks only, next to the file (OUT/report/), and kept between runs while the
check is unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import regex
from budgetpdf.contract.files import plain_decimal, write_text
from budgetpdf.emit.draw import COLOURS, PageCanvas
from budgetpdf.emit.writer import CURRENT, read_dataset
from budgetpdf.schemas.knowledge import CONCEPT_DIMENSIONS, OTHER, Knowledge
from pypdfium2 import PdfiumError

REPORT = "report.html"
IMAGES = "report"  # the folder of the failed checks' page images, beside report.html
UNMAPPED_PREFIX = "x_"  # column_id of a column that maps to no concept
BOX = ("x0", "top", "x1", "bottom")
# A check's location: `item / column` (row and hierarchy sums) or `table:item/column` terms
# joined by ` + ` (equalities; `text '…' vs table:item/column` for narrative checks)
_AT = regex.compile(r"^(?P<item>[^/]+?) / (?P<column>.+)$")
_TERM = regex.compile(r"(?P<table>[a-z_]+):(?P<item>[^/]*)/(?P<column>.+?)(?= \+ |$)")
_SUM = regex.compile(r" = Σ (?P<parts>.+)$")

Fact = Mapping[str, object]


# ---------------------------------------------------------------- a check's cells


def _term_selects(f: Fact, item: str, column: str) -> bool:
    if item and item not in (f["item_name"], f["item_code"]):
        return False
    if "=" in column:  # a term by concepts: `fund=财政拨款,measure=决算数`
        pairs = dict(p.split("=", 1) for p in column.split(","))
        return all(f.get(d) == pairs[d] for d in CONCEPT_DIMENSIONS if d in pairs)
    return f["column_name"] == column


def check_cells(check: Fact, facts: Sequence[Fact]) -> tuple[list[Fact], list[Fact]]:
    """The cells a check compares, found back from its location and description (a check
    row names its cells, it does not link them): (printed, parts) — the printed figure(s)
    (actual) and the figures it is compared with (expected). facts: the document's facts.
    Empty lists where the location names no cell (a 目录 check, a check not evaluated)."""
    table = [f for f in facts if f["table_id"] == check["table_id"]]
    actual = check["actual"]
    location = check["location"] or ""
    at = _AT.match(location)
    if at:
        printed = [
            f
            for f in table
            if at["item"] in (f["item_code"], f["item_name"])
            and f["column_name"] == at["column"]
            and (actual is None or f["value"] == actual)
        ][:1]
        if not printed:
            return [], []
        total = printed[0]
        same_table = [f for f in table if f["table_no"] == total["table_no"]]
        summed = _SUM.search(check["description"])
        if summed:  # a hierarchy or column sum: the rows named, in the total's column
            names = set(summed["parts"].split("+"))
            parts = [
                f
                for f in same_table
                if f["column_name"] == total["column_name"]
                and f is not total
                and (f["item_code"] in names or f["item_name"] in names)
            ]
        else:  # a row sum: the other figures of the total's row, of its measure
            parts = [
                f
                for f in same_table
                if (f["section"], f["row_no"]) == (total["section"], total["row_no"])
                and f is not total
                and f.get("measure") == total.get("measure")
                and "其中" not in f["column_name"]
            ]
        return printed, parts
    terms = list(_TERM.finditer(location))
    compared = [
        next((f for f in facts if f["table_id"] == t["table"] and _term_selects(f, *t[2:4])), None)
        for t in terms
    ]
    compared = [f for f in compared if f is not None]
    if location.startswith("text "):  # the text quotes the figure; the table's cell is expected
        return compared, []
    items = {t["item"] for t in terms}
    printed = [f for f in table if f["value"] == actual and (f["item_name"] in items or not items)]
    return printed[:1], compared


def arithmetic(check: Fact, parts: Sequence[Fact]) -> str:
    """The check written out in ASCII (it is drawn on images with a Latin font): `printed
    1038.29 vs 347.00 + 689.29 = 1036.29: difference 2.00, tolerance 0.01`."""
    if check["actual"] is None:
        return "not evaluated"
    values = [plain_decimal(p["value"]) for p in parts]
    shown = " + ".join(values[:12]) + (f" + ... ({len(values)} parts)" if len(values) > 12 else "")
    expected = plain_decimal(check["expected"])
    if len(values) < 2:
        sum_text = expected
    elif sum((p["value"] for p in parts), Decimal(0)) == check["expected"]:
        sum_text = f"{shown} = {expected}"
    else:  # signed parts (结转结余 = 财政拨款 + 上年结转 - 支出): the rule says how they add
        sum_text = f"{expected} (from {', '.join(values[:12])})"
    return (
        f"printed {plain_decimal(check['actual'])} vs {sum_text}: difference "
        f"{plain_decimal(check['difference'])}, tolerance {plain_decimal(check['tolerance'])}"
    )


def draw_check(
    pdf: Path, check: Fact, printed: Sequence[Fact], parts: Sequence[Fact]
) -> PageCanvas:
    """The page of a check's printed cell, its cells outlined (printed red, parts orange)
    and its arithmetic written above. Raises IndexError when it has no printed cell."""
    page = (printed or parts)[0]["page"]
    canvas = PageCanvas(pdf, page)
    for f in parts:
        if f["page"] == page and f["x0"] is not None:
            canvas.outline(tuple(f[k] for k in BOX), COLOURS["part"], 2)
    for f in printed:
        if f["page"] == page and f["x0"] is not None:
            canvas.outline(tuple(f[k] for k in BOX), COLOURS["failed"], 3)
    canvas.note([f"{check['check_id']} (page {page})", arithmetic(check, parts)])
    return canvas


# ---------------------------------------------------------------- the report


def _image_name(check: Fact) -> str:
    """A name that changes when the check does: an image is redrawn only then."""
    key = json.dumps({k: str(v) for k, v in check.items()}, sort_keys=True, ensure_ascii=False)
    return f"{check['doc_id']}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.png"


def _listed_ids(knowledge: Knowledge) -> set[str]:
    """The ids of the checks that a 目录's tables are printed (kind `listed`)."""
    return {r["id"] for r in knowledge.checks.get("listed", [])}


def _number(value: Decimal | None) -> str | None:
    return None if value is None else plain_decimal(value)


Sources = Mapping[tuple[str, int], Path]  # a PDF by its file name and size in bytes


def report_data(out: Path, sources: Sources, knowledge: Knowledge) -> dict:
    """What the report shows of the flat tables now served (the dataset where none was
    compacted yet), as JSON-able data, drawing the failed checks' images into
    OUT/report/ (those of checks no longer failing are removed). sources: the PDFs by
    (documents.source, documents.bytes), for the images; a document whose PDF is not
    among them gets none. knowledge: which checks are 目录 checks, counted apart."""
    served = (out / CURRENT).resolve()  # one set, resolved once: what the flat tables say

    def table(name: str) -> pa.Table:
        flat = served / f"{name}.parquet"
        return pq.read_table(flat) if flat.exists() else read_dataset(out, name)

    docs = table("documents").to_pylist()
    checks = table("checks").to_pylist()
    facts = table("facts")
    # as Python rows only the facts a failed check may name, and those without concept
    doubted = pa.array(sorted({c["doc_id"] for c in checks if c["passed"] is False}), pa.string())
    facts_by_doc: dict[str, list[dict]] = defaultdict(list)
    for f in facts.filter(pc.is_in(facts["doc_id"], value_set=doubted)).to_pylist():
        facts_by_doc[f["doc_id"]].append(f)
    # forms and tables of no known kind (table_id other) have no concepts to map to
    unmapped = facts.filter(
        pc.and_(
            pc.starts_with(facts["column_id"], UNMAPPED_PREFIX),
            pc.not_equal(facts["table_id"], OTHER.id),
        )
    )
    listed = _listed_ids(knowledge)
    per_doc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in checks:
        counts = per_doc[c["doc_id"]]
        if c["check_id"] in listed:
            counts["listed"] += 1
            counts["listed_found"] += bool(c["passed"])
        counts["not_evaluable"] += c["passed"] is None
    folder = out / IMAGES
    by_id = {d["doc_id"]: d for d in docs}
    failed_rows, kept = [], set()
    for c in checks:
        if c["passed"] is not False:
            continue
        doc = by_id.get(c["doc_id"], {})
        printed, parts = check_cells(c, facts_by_doc[c["doc_id"]])
        name = _image_name(c)
        pdf = sources.get((doc.get("source"), doc.get("bytes")))
        if not (folder / name).exists() and pdf is not None and (printed or parts):
            # the PDF changed or vanished since the run: no image, the check is listed still
            with contextlib.suppress(OSError, IndexError, ValueError, PdfiumError):
                draw_check(pdf, c, printed, parts).save(folder / name)
        image = None
        if (folder / name).exists():
            kept.add(name)
            image = f"{IMAGES}/{name}"
        failed_rows.append(
            {
                "doc_id": c["doc_id"],
                "source": doc.get("source"),
                "check_id": c["check_id"],
                "table_id": c["table_id"],
                "description": c["description"],
                "location": c["location"],
                "unit": c["unit"],
                "page": (printed or parts)[0]["page"] if printed or parts else None,
                "arithmetic": arithmetic(c, parts),
                "difference": _number(c["difference"]),
                "image": image,
            }
        )
    if folder.exists():
        for old in folder.glob("*.png"):
            if old.name not in kept:
                old.unlink()
    documents = [
        {
            "doc_id": d["doc_id"],
            "source": d["source"],
            "status": d["status"],
            "publisher": d["publisher"],
            "year": d["fiscal_year"],
            "kind": d["doc_kind"],
            "tables": d["tables_found"],
            "listed": per_doc[d["doc_id"]]["listed"],
            "listed_found": per_doc[d["doc_id"]]["listed_found"],
            "facts": d["facts"],
            "failed": d["checks_failed"],
            "not_evaluable": per_doc[d["doc_id"]]["not_evaluable"],
            "error": d["error"],
            "notes": d["notes"],
        }
        for d in docs
    ]
    return {
        "documents": documents,
        "failed": failed_rows,
        "unmapped": _unmapped(
            unmapped.select(["doc_id", "table_id", "table_name", "column_name"]).to_pylist(), by_id
        ),
    }


def _unmapped(facts: Sequence[Fact], docs: Mapping[str, dict]) -> list[dict]:
    """The columns of facts (those whose column_id is x_…: no concept), by table: the
    printed path, in how many documents and facts, and one document that prints it."""
    seen: dict[tuple[str, str], dict] = {}
    for f in facts:
        key = (f["table_id"], f["column_name"])
        entry = seen.setdefault(
            key,
            {
                "table_id": f["table_id"],
                "table_name": f["table_name"],
                "column_name": f["column_name"],
                "docs": set(),
                "facts": 0,
                "example": docs.get(f["doc_id"], {}).get("source"),
            },
        )
        entry["docs"].add(f["doc_id"])
        entry["facts"] += 1
    rows = [{**e, "docs": len(e["docs"])} for e in seen.values()]
    return sorted(rows, key=lambda e: (e["table_id"], -e["docs"], e["column_name"]))


def render_html(data: dict, title: str) -> str:
    """The report page: data embedded as JSON (made safe for a <script> element), laid out
    by the page's own script; no network, no server."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        _PAGE.replace("{{title}}", html.escape(title))
        .replace("{{data}}", payload)
        .replace("{{failed_colour}}", "#{:02x}{:02x}{:02x}".format(*COLOURS["failed"]))
    )


def write_report(out: Path, sources: Sources, knowledge: Knowledge) -> Path:
    """OUT/report.html for what out holds (written atomically), with the failed checks'
    images in OUT/report/. sources: the PDFs by file name and size; knowledge: the loaded
    knowledge (see report_data)."""
    data = report_data(out, sources, knowledge)
    target = out / REPORT
    write_text(render_html(data, f"budgetpdf report — {out.resolve().name}"), target)
    return target


_PAGE = (Path(__file__).with_name("report.html")).read_text(encoding="utf-8")
