"""Run the declarative checks of schemas/checks.toml over one document's facts.

Each rule kind is one small function; the rules themselves are data. A check compares a
printed figure (actual) with what the other figures say it should be (expected).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import regex
from budgetpdf.contract.rows import CheckRow, FactRow
from budgetpdf.extract.layout import TextLine
from budgetpdf.normalize.numbers import parse_amount, to_yuan
from budgetpdf.normalize.text import squash
from budgetpdf.schemas.knowledge import check_rules

TOTAL_NAMES = ("合计", "总计")


def _unit_of_last_digit(values: Iterable[Decimal]) -> Decimal:
    exponent = min((v.as_tuple().exponent for v in values), default=0)
    return Decimal(1).scaleb(min(int(exponent), 0))


@dataclass(slots=True)
class _Instance:
    """One printed table: its facts, and lookups by row and by item."""

    table_id: str
    facts: list[FactRow]

    def cell(self, item: str, column: str, section: str | None = None) -> FactRow | None:
        for f in self.facts:
            if f["column_name"] != column or (section and f["section"] != section):
                continue
            if f["item_name"] == item or f["item_code"] == item:
                return f
        return None

    def rows(self) -> dict[tuple, dict[str, FactRow]]:
        out: dict[tuple, dict[str, FactRow]] = defaultdict(dict)
        for f in self.facts:
            out[(f["section"], f["row_no"])].setdefault(f["column_name"], f)
        return out


def _instances(facts: list[FactRow]) -> dict[str, list[_Instance]]:
    by_table: dict[tuple[str, int, str | None], list[FactRow]] = defaultdict(list)
    for f in facts:
        by_table[(f["table_id"], f.get("table_no", 0), f.get("unit_name"))].append(f)
    out: dict[str, list[_Instance]] = defaultdict(list)
    for (table_id, _, _), rows in by_table.items():
        out[table_id].append(_Instance(table_id, rows))
    return out


def _row(
    doc_id: str,
    rule: dict,
    table_id: str,
    expected: Decimal,
    actual: Decimal,
    tolerance: Decimal,
    location: str,
    description: str | None = None,
) -> CheckRow:
    difference = actual - expected
    return {
        "doc_id": doc_id,
        "check_id": rule["id"],
        "table_id": table_id,
        "description": description or rule["description"] or rule["id"],
        "expected": expected,
        "actual": actual,
        "difference": difference,
        "tolerance": tolerance,
        "passed": abs(difference) <= tolerance,
        "location": location,
        "unit": None,
    }


def _terms(parts: list[str], total: str, cells: dict[str, FactRow]) -> list[tuple[str, int]]:
    """(column, sign) pairs; `*` stands for every other column of the row except the
    `其中` (of which) breakdowns, which would count twice."""
    if parts == ["*"]:
        return [(c, 1) for c in cells if c != total and "其中" not in c]
    return [(p.lstrip("-"), -1 if p.startswith("-") else 1) for p in parts]


def _row_sums(doc_id: str, rule: dict, tables: dict[str, list[_Instance]]) -> Iterator[CheckRow]:
    for inst in tables.get(rule["table"], []):
        for cells in inst.rows().values():
            total = cells.get(rule["total"])
            terms = _terms(rule["parts"], rule["total"], cells)
            present = [(cells[name]["value"], sign) for name, sign in terms if name in cells]
            if total is None or not present:
                continue
            expected = sum((v * s for v, s in present), Decimal(0))
            tol = _unit_of_last_digit([total["value"], *(v for v, _ in present)]) * (
                len(present) - 1
            )
            where = f"{total['item_code'] or total['item_name']} / {rule['total']}"
            yield _row(doc_id, rule, inst.table_id, expected, total["value"], tol, where)


def _children_sums(doc_id: str, rule: dict, inst: _Instance) -> Iterator[CheckRow]:
    groups: dict[tuple, list[FactRow]] = defaultdict(list)
    for f in inst.facts:
        if rule.get("section") and f["section"] != rule["section"]:
            continue
        groups[(f["section"], f["column_name"])].append(f)
    for (_, column), facts in groups.items():
        children: dict[str, list[FactRow]] = defaultdict(list)
        printed = {f["item_code"] for f in facts if f["item_code"]}
        for f in facts:
            parent = f["parent_code"]
            while parent and parent not in printed and len(parent) > 3:
                parent = parent[:-2]  # a 项 printed without its 款 counts in the 类
            if parent in printed:
                children[parent].append(f)
        classes = [f for f in facts if f["code_level"] == "类"]
        for f in facts:
            kids = children.get(f["item_code"] or "")
            if kids:
                yield _sum_row(doc_id, rule, inst, f, kids, column)
            elif f["item_code"] is None and f["item_name"] in rule["total_rows"] and classes:
                yield _sum_row(doc_id, rule, inst, f, classes, column)


def _sum_row(
    doc_id: str, rule: dict, inst: _Instance, total: FactRow, parts: list[FactRow], column: str
) -> CheckRow:
    expected = sum((p["value"] for p in parts), Decimal(0))
    tol = _unit_of_last_digit([total["value"], *(p["value"] for p in parts)]) * (len(parts) - 1)
    codes = "+".join(p["item_code"] or p["item_name"] for p in parts)
    where = f"{total['item_code'] or total['item_name']} / {column}"
    description = f"{inst.table_id}: {total['item_code'] or total['item_name']} = Σ {codes}"
    return _row(doc_id, rule, inst.table_id, expected, total["value"], tol, where, description)


def _hierarchies(doc_id: str, rule: dict, tables: dict[str, list[_Instance]]) -> Iterator[CheckRow]:
    for table_id in rule["tables"]:
        for inst in tables.get(table_id, []):
            yield from _children_sums(doc_id, rule, inst)


def _column_sums(doc_id: str, rule: dict, tables: dict[str, list[_Instance]]) -> Iterator[CheckRow]:
    for inst in tables.get(rule["table"], []):
        by_column: dict[str, list[FactRow]] = defaultdict(list)
        for f in inst.facts:
            by_column[f["column_name"]].append(f)
        for column, facts in by_column.items():
            totals = [f for f in facts if f["item_name"] in rule["total_rows"]]
            parts = [f for f in facts if f["item_name"] not in rule["total_rows"]]
            if len(totals) == 1 and parts:
                yield _sum_row(doc_id, rule, inst, totals[0], parts, column)


def _select(tables: dict[str, list[_Instance]], term: dict) -> FactRow | None:
    for inst in tables.get(term["table"], []):
        if term["item"] is None:
            found = next((f for f in inst.facts if f["column_name"] == term["column"]), None)
        else:
            found = inst.cell(term["item"], term["column"], term.get("section"))
        if found:
            return found
    return None


def _side(tables: dict[str, list[_Instance]], terms: list[dict]) -> list[Decimal] | None:
    values = []
    for term in terms:
        found = _select(tables, term)
        if found is None:
            if term.get("optional"):
                continue
            return None
        values.append(found["value"])
    return values or None


def _equals(doc_id: str, rule: dict, tables: dict[str, list[_Instance]]) -> Iterator[CheckRow]:
    left, right = _side(tables, rule["left"]), _side(tables, rule["right"])
    if left is None or right is None:
        return
    tol = _unit_of_last_digit(left + right) * (len(left) + len(right) - 2)
    where = " + ".join(f"{t['table']}:{t['item'] or ''}/{t['column']}" for t in rule["right"])
    yield _row(
        doc_id,
        rule,
        rule["left"][0]["table"],
        sum(right, Decimal(0)),
        sum(left, Decimal(0)),
        tol,
        where,
    )


def _narrative(
    doc_id: str, rule: dict, tables: dict[str, list[_Instance]], text: str
) -> Iterator[CheckRow]:
    cells = [c for term in rule["candidates"] if (c := _select(tables, term))]
    cells = [c for c in cells if c["amount_yuan"] is not None]
    if not cells:
        return
    for m in regex.finditer(rule["pattern"], text):
        quoted = parse_amount(m.group("amount"))
        if quoted is None:
            continue
        yuan = to_yuan(quoted, m.group("unit"))
        half_digit = _unit_of_last_digit([quoted]) / 2
        tol = to_yuan(half_digit, m.group("unit")) or Decimal(0)
        best = min(cells, key=lambda c: abs(c["amount_yuan"] - yuan))
        where = (
            f"text '{m.group(0)}' vs {best['table_id']}:{best['item_name']}/{best['column_name']}"
        )
        yield _row(doc_id, rule, best["table_id"], best["amount_yuan"], yuan, tol, where)


def narrative_text(lines: list[TextLine]) -> str:
    """The document's text in reading position order, white space removed, quotes unified,
    so that a sentence wrapped over lines reads as one."""
    text = "".join(squash(line.text) for line in lines)
    return regex.sub(r"[“”„‟″]", '"', text)


def _listed(doc_id: str, rule: dict, listed: dict[str, str], found: set[str]) -> Iterator[CheckRow]:
    for table_id, title in sorted(listed.items()):
        present = Decimal(1 if table_id in found else 0)
        yield _row(doc_id, rule, table_id, Decimal(1), present, Decimal(0), f"目录: {title}")


def run_checks(
    doc_id: str,
    facts: list[FactRow],
    lines: list[TextLine],
    listed: dict[str, str] | None = None,
    found: set[str] | None = None,
) -> list[CheckRow]:
    """All checks of one document. listed: canonical tables its 目录 names (id → title as
    printed); found: the table_ids the document was found to print."""
    tables = _instances(facts)
    spec = check_rules()
    out: list[CheckRow] = []
    for rule in spec.get("row_sum", []):
        out.extend(_row_sums(doc_id, rule, tables))
    for rule in spec.get("hierarchy", []):
        out.extend(_hierarchies(doc_id, rule, tables))
    for rule in spec.get("column_sum", []):
        out.extend(_column_sums(doc_id, rule, tables))
    for rule in spec.get("equal", []):
        out.extend(_equals(doc_id, rule, tables))
    for rule in spec.get("listed", []) if found else []:  # a narrative-only file lists
        out.extend(_listed(doc_id, rule, listed or {}, found))  # tables printed elsewhere
    if spec.get("narrative"):
        text = narrative_text(lines)
        for rule in spec["narrative"]:
            out.extend(_narrative(doc_id, rule, tables, text))
    return out
