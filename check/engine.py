"""Run the declarative checks of schemas/checks.toml over one document's facts.

Each rule kind is one small function; the rules themselves are data. A check compares a
printed figure (actual) with what the other figures say it should be (expected).

Not evaluable (contract 1.1): a check whose table the document prints but whose inputs it does
not yield is a row with `passed` null and a description naming the missing input: a cell not
found, a required part column not identified, a column that maps to no concept carrying a
figure in the row summed, two figures for one cell. A rule about a table the document does not
print at all is no check of this document and yields nothing (a budget prints no 决算 table).
Rows of one table that cannot be evaluated are reported as one row per table, not one each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

import regex
from budgetpdf.contract.rows import CheckRow, FactRow
from budgetpdf.contract.text import squash
from budgetpdf.extract.layout import TextLine
from budgetpdf.normalize.concepts import children
from budgetpdf.normalize.numbers import parse_amount, to_yuan
from budgetpdf.schemas.knowledge import CONCEPT_DIMENSIONS, ConceptRules, Knowledge

UNKNOWN = "\0unknown"  # role of a column that maps to no concept
NARRATIVE_UNIT = "元"  # narrative checks compare in yuan


def _unit_of_last_digit(values: Iterable[Decimal]) -> Decimal:
    exponent = min((v.as_tuple().exponent for v in values), default=0)
    return Decimal(1).scaleb(min(int(exponent), 0))


class PrintedColumn(TypedDict):
    """An amount column a table prints, read like a fact's column (blank columns too)."""

    column_name: str
    column_id: str
    measure: str | None
    flow: str | None
    fund: str | None
    spending: str | None
    expense_item: str | None


@dataclass(slots=True)
class _Instance:
    """One printed table: its facts, the amount columns it prints, lookups by row and item."""

    table_id: str
    facts: list[FactRow]
    columns: list[PrintedColumn] = field(default_factory=list)

    @property
    def reads_concepts(self) -> bool:
        """Whether the reading carries contract 1.1 concepts (`measure` is always filled
        then); a 1.0 reading is selected by canonical column name instead."""
        return any(f.get("measure") for f in self.facts)

    def selects(self, f: FactRow, term: dict) -> bool:
        """Whether fact `f` is in the column `term` names: by its concepts when the reading
        has them and the term names some, else by `column` (or, for a term that names only
        concepts, by the 1.0 name those concepts spell, joined by `/`)."""
        concepts = {d: term[d] for d in CONCEPT_DIMENSIONS if term.get(d)}
        if concepts and self.reads_concepts:
            return "其中" not in f["column_name"] and all(
                f.get(d) == v for d, v in concepts.items()
            )
        return f["column_name"] == (term.get("column") or "/".join(concepts.values()))

    def cell(self, term: dict) -> FactRow | None:
        """The first fact of the term's column (and item and section, where given)."""
        item, section = term.get("item"), term.get("section")
        for f in self.facts:
            if not self.selects(f, term) or (section and f["section"] != section):
                continue
            if item is None or f["item_name"] == item or f["item_code"] == item:
                return f
        return None

    def rows(self) -> dict[tuple, dict[str, FactRow]]:
        out: dict[tuple, dict[str, FactRow]] = defaultdict(dict)
        for f in self.facts:
            out[(f["section"], f["row_no"])].setdefault(f["column_name"], f)
        return out


def _instances(
    facts: list[FactRow], columns: dict[int, list[PrintedColumn]]
) -> dict[str, list[_Instance]]:
    by_table: dict[tuple[str, int, str | None], list[FactRow]] = defaultdict(list)
    for f in facts:
        if f["amount_yuan"] is None:
            continue  # not money (增减率 in %, a score, an indicator value): no check adds it
        by_table[(f["table_id"], f.get("table_no", 0), f.get("unit_name"))].append(f)
    out: dict[str, list[_Instance]] = defaultdict(list)
    for (table_id, table_no, _), rows in by_table.items():
        out[table_id].append(_Instance(table_id, rows, columns.get(table_no, [])))
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
    unit: str | None = None,
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
        "unit": unit,
    }


def _not_evaluable(
    doc_id: str, rule: dict, table_id: str | None, missing: str, location: str | None = None
) -> CheckRow:
    """A check that could not run: `passed` null, the description says what was missing."""
    return {
        "doc_id": doc_id,
        "check_id": rule["id"],
        "table_id": table_id,
        "description": f"{rule['description'] or rule['id']} — not evaluable: {missing}",
        "expected": None,
        "actual": None,
        "difference": None,
        "tolerance": None,
        "passed": None,
        "location": location,
        "unit": None,
    }


def _total_check(
    doc_id: str,
    rule: dict,
    table_id: str,
    total: FactRow,
    parts: list[Decimal],
    where: str,
    description: str | None = None,
) -> CheckRow:
    """A printed total against the sum of its printed (signed) parts, within one unit of the
    last printed digit per part beyond the first (the documents' 尾数误差 note)."""
    tol = _unit_of_last_digit([total["value"], *parts]) * (len(parts) - 1)
    expected = sum(parts, Decimal(0))
    return _row(
        doc_id, rule, table_id, expected, total["value"], tol, where, description, total["unit"]
    )


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
            present = [cells[name]["value"] * sign for name, sign in terms if name in cells]
            if total is None or not present:
                continue
            where = f"{total['item_code'] or total['item_name']} / {rule['total']}"
            yield _total_check(doc_id, rule, inst.table_id, total, present, where)


def _role(
    inst: _Instance,
    rule: dict,
    f: FactRow | PrintedColumn,
    not_additive: set[str],
    rules: ConceptRules,
) -> str | None:
    """What column `f` is to a row-sum rule by concept: its total, one of its parts, UNKNOWN
    (maps to no concept: it may be a part the reading missed), or None (another figure or
    dimension, or a `其中` breakdown that would count twice)."""
    if "其中" in f["column_name"]:
        return None
    named = {rule["total"], *rule["parts"], *_stand_ins(rule, rules)}
    if inst.reads_concepts:
        if f.get("measure") in not_additive or (
            rule["measure"] and f.get("measure") != rule["measure"]
        ):
            return None
        value = f.get(rule["by"])
        if value in named:
            return value
        return UNKNOWN if not any(f.get(d) for d in CONCEPT_DIMENSIONS[1:]) else None
    # 1.0 reading: canonical names spell the concept (`决算数/合计`); an `x_` id has none
    prefix = f"{rule['measure']}/" if rule["measure"] else ""
    name = f["column_name"]
    if name.startswith(prefix) and name[len(prefix) :] in named:
        return name[len(prefix) :]
    if name[len(prefix) :] in rule["others"]:
        return None  # a concept 1.0 gave no id (会议费) that is not this sum's
    return UNKNOWN if f["column_id"].startswith("x_") else None


def _children(rule: dict, part: str, rules: ConceptRules) -> tuple[str, ...]:
    return children(rule["by"], part, rules) if rule["by"] else ()


def _part_cells(
    rule: dict, part: str, cells: dict[str, list[FactRow]], rules: ConceptRules
) -> list[FactRow]:
    """A part's cell in one row, or, where the row leaves it blank (not printed, or printed
    empty: a 公务用车购置及运行维护费 小计 left blank over 购置费 18.69 | 运行维护费 4.83), the
    cells of its own parts."""
    if part in cells:
        return cells[part][:1]
    return [cells[c][0] for c in _children(rule, part, rules) if c in cells]


def _stand_ins(rule: dict, rules: ConceptRules) -> set[str]:
    """Values that may stand in for a part the table does not print: its own parts."""
    return {c for p in rule["parts"] for c in _children(rule, p, rules)}


def _concept_row_sum(
    doc_id: str, rule: dict, inst: _Instance, not_additive: set[str], rules: ConceptRules
) -> Iterator[CheckRow]:
    """One table's rows: total = Σ the parts printed, each row of each figure (measure)."""
    rows: dict[tuple, dict[str, list[FactRow]]] = defaultdict(lambda: defaultdict(list))
    for f in inst.facts:
        role = _role(inst, rule, f, not_additive, rules)
        if role is not None:
            measure = f.get("measure") if inst.reads_concepts else None
            rows[(f["section"], f["row_no"], measure)][role].append(f)
    printed = {role for cells in rows.values() for role in cells} | {
        role
        for c in inst.columns
        if (role := _role(inst, rule, c, not_additive, rules)) is not None and role != UNKNOWN
    }
    unknown = sorted({f["column_name"] for cells in rows.values() for f in cells.get(UNKNOWN, [])})
    shown = ", ".join(unknown[:3]) + (f" … ({len(unknown)} in all)" if len(unknown) > 3 else "")
    no_concept = f"column(s) {shown} map to no concept"
    if rule["total"] not in printed:
        # a total the table does not print is no check of it, unless a column we could
        # not name may be that total
        if unknown:
            yield _not_evaluable(
                doc_id, rule, inst.table_id, f"total {rule['total']} not identified; {no_concept}"
            )
        return
    # a required part may be printed as its own parts only (购置费 | 运行维护费)
    missing = [
        p
        for p in rule["required"]
        if p not in printed and not printed & set(_children(rule, p, rules))
    ]
    if missing:
        yield _not_evaluable(
            doc_id, rule, inst.table_id, f"required column(s) {', '.join(missing)} not identified"
        )
        return
    skipped: dict[str, list[str]] = defaultdict(list)
    for cells in rows.values():
        if rule["total"] not in cells:
            continue
        total = cells[rule["total"]][0]
        where = f"{total['item_code'] or total['item_name']} / {total['column_name']}"
        if any(f["value"] != 0 for f in cells.get(UNKNOWN, [])):
            skipped[no_concept].append(where)
            continue
        doubled = [r for r, fs in cells.items() if r != UNKNOWN and len(fs) > 1]
        if doubled:
            skipped[f"two figures for one cell in {', '.join(doubled)}"].append(where)
            continue
        values = [f["value"] for p in rule["parts"] for f in _part_cells(rule, p, cells, rules)]
        if not values:
            continue
        yield _total_check(doc_id, rule, inst.table_id, total, values, where)
    for reason, wheres in skipped.items():
        where = f"{len(wheres)} row(s): {', '.join(wheres[:5])}{' …' if len(wheres) > 5 else ''}"
        yield _not_evaluable(doc_id, rule, inst.table_id, reason, where)


def _row_sums_by_concept(
    doc_id: str,
    rule: dict,
    tables: dict[str, list[_Instance]],
    not_additive: set[str],
    rules: ConceptRules,
) -> Iterator[CheckRow]:
    """Row sums of every printed instance of the rule's table; a document that prints the
    table once per 单位 and cannot evaluate them for one reason gets one row, not one each."""
    unevaluable: dict[str, CheckRow] = {}
    counts: dict[str, int] = defaultdict(int)
    for inst in tables.get(rule["table"], []):
        for row in _concept_row_sum(doc_id, rule, inst, not_additive, rules):
            if row["passed"] is not None:
                yield row
                continue
            counts[row["description"]] += 1
            unevaluable.setdefault(row["description"], row)
    for description, row in unevaluable.items():
        if counts[description] > 1:
            row["location"] = f"{counts[description]} tables; first: {row['location'] or ''}"
        yield row


def _children_sums(doc_id: str, rule: dict, inst: _Instance) -> Iterator[CheckRow]:
    groups: dict[tuple, list[FactRow]] = defaultdict(list)
    for f in inst.facts:
        if rule.get("section") and f["section"] != rule["section"]:
            continue
        groups[(f["section"], f["column_name"])].append(f)
    for (_, column), facts in groups.items():
        rows = [f["row_no"] for f in facts]
        if len(rows) != len(set(rows)):
            # two figures for one (row, column): any sum over this column would count one twice
            yield _not_evaluable(
                doc_id, rule, inst.table_id, f"two figures for one cell in {column}", column
            )
            continue
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
    codes = "+".join(p["item_code"] or p["item_name"] for p in parts)
    where = f"{total['item_code'] or total['item_name']} / {column}"
    description = f"{inst.table_id}: {total['item_code'] or total['item_name']} = Σ {codes}"
    values = [p["value"] for p in parts]
    return _total_check(doc_id, rule, inst.table_id, total, values, where, description)


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
        if found := inst.cell(term):
            return found
    return None


def _term_text(term: dict) -> str:
    concepts = [f"{d}={term[d]}" for d in CONCEPT_DIMENSIONS if term.get(d)]
    column = term.get("column") or ",".join(concepts)
    return f"{term['table']}:{term['item'] or ''}/{column}"


def _side(
    tables: dict[str, list[_Instance]], terms: list[dict], missing: list[str]
) -> list[FactRow]:
    """The cells of one side; a term not found (and not optional) is added to `missing`."""
    found = []
    for term in terms:
        cell = _select(tables, term)
        if cell is not None:
            found.append(cell)
        elif not term.get("optional"):
            missing.append(_term_text(term))
    return found


def _equals(doc_id: str, rule: dict, tables: dict[str, list[_Instance]]) -> Iterator[CheckRow]:
    terms = rule["left"] + rule["right"]
    if any(t["table"] not in tables for t in terms if not t.get("optional")):
        return  # a table the document does not print: no check of this document
    missing: list[str] = []
    left, right = _side(tables, rule["left"], missing), _side(tables, rule["right"], missing)
    if missing or not left or not right:
        yield _not_evaluable(
            doc_id, rule, rule["left"][0]["table"], f"not found: {'; '.join(missing)}"
        )
        return
    values = [c["value"] for c in left + right]
    tol = _unit_of_last_digit(values) * (len(left) + len(right) - 2)
    where = " + ".join(_term_text(t) for t in rule["right"])
    yield _row(
        doc_id,
        rule,
        rule["left"][0]["table"],
        sum((c["value"] for c in right), Decimal(0)),
        sum((c["value"] for c in left), Decimal(0)),
        tol,
        where,
        unit=left[0]["unit"],
    )


def _narrative(
    doc_id: str,
    rule: dict,
    tables: dict[str, list[_Instance]],
    text: str,
    money: Mapping[str, Decimal],
) -> Iterator[CheckRow]:
    """Amounts the narrative text quotes (rule's pattern, groups amount and unit) against the
    cells they stand for, in 元 (money: each unit's worth in 元, `Knowledge.money`)."""
    matches = list(regex.finditer(rule["pattern"], text))
    candidates = [t for t in rule["candidates"] if t["table"] in tables]
    if not matches or not candidates:
        return  # the text states no such figure, or no table it could be compared with
    cells = [c for term in candidates if (c := _select(tables, term))]
    if not cells:
        missing = "; ".join(_term_text(t) for t in candidates)
        yield _not_evaluable(doc_id, rule, candidates[0]["table"], f"not found: {missing}")
        return
    cells = [c for c in cells if c["amount_yuan"] is not None]
    if not cells:
        where = f"{candidates[0]['table']}: no unit"
        yield _not_evaluable(doc_id, rule, candidates[0]["table"], "no amount in yuan", where)
        return
    for m in matches:
        quoted = parse_amount(m.group("amount"))
        if quoted is None:
            continue
        yuan = to_yuan(quoted, m.group("unit"), money)
        half_digit = _unit_of_last_digit([quoted]) / 2
        tol = to_yuan(half_digit, m.group("unit"), money) or Decimal(0)
        best = min(cells, key=lambda c: abs(c["amount_yuan"] - yuan))
        where = (
            f"text '{m.group(0)}' vs {best['table_id']}:{best['item_name']}/{best['column_name']}"
        )
        yield _row(
            doc_id,
            rule,
            best["table_id"],
            best["amount_yuan"],
            yuan,
            tol,
            where,
            unit=NARRATIVE_UNIT,
        )


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
    knowledge: Knowledge,
    listed: dict[str, str] | None = None,
    found: set[str] | None = None,
    printed_columns: dict[int, list[PrintedColumn]] | None = None,
) -> list[CheckRow]:
    """All checks of one document, by the rules of knowledge.checks (knowledge.concepts gives
    the parts a concept's sum may stand in by). listed: canonical tables its 目录 names (id →
    title as printed); found: the table_ids the document was found to print; printed_columns:
    each table's amount columns by table_no, blank ones included, so that a part column printed
    without a figure counts as printed (its cells are zero), not as unidentified. Each
    row's `unit` is
    the unit its figures are in (the table's; 元 for narrative checks); a row with `passed`
    null could not be evaluated and says why in `description`."""
    tables = _instances(facts, printed_columns or {})
    spec = knowledge.checks
    out: list[CheckRow] = []
    not_additive = set(spec.get("not_additive", []))
    for rule in spec.get("row_sum", []):
        if rule["by"]:
            out.extend(_row_sums_by_concept(doc_id, rule, tables, not_additive, knowledge.concepts))
        else:
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
            out.extend(_narrative(doc_id, rule, tables, text, knowledge.money))
    return out
