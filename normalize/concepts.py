"""What an amount column is (contract 1.1): its header path read into concepts, by rule.

Five closed vocabularies (`measure`, `flow`, `fund`, `spending`, `expense_item`) are matched
in each header component by the patterns of schemas/concepts.toml: the longest match wins
(预算 inside 一般公共预算 never counts alone), the decoration around a concept (拨款, 收入,
资金, 支出, 金额, brackets, 其中) is ignored, the order of the components does not matter
(`公务接待费/决算数` is `决算数/公务接待费`) and a total word (合计, 小计, 总计) is the total of
the dimension the table breaks down. No per-string alias list: a new wording of a known concept
is read by the pattern of its stem.

    read_concepts(path, spec, knowledge, doc_kind, fiscal_year, siblings) -> Concepts
    name_column(concepts, path, spec, knowledge, doc_kind) -> (column_name, Concepts)
    concept_column_id(concepts, name, knowledge) -> column_id

The rules come compiled with the knowledge (`Knowledge.concepts`); what is read from them
alone (a header cell's reading, the canonical names of a table) is kept in
`Knowledge.derived`, so each is read once per loaded knowledge.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import regex
from budgetpdf.schemas.knowledge import ConceptGroup, ConceptRules, Knowledge, TableSpec

DIMS = ("fund", "spending", "expense_item")
TOTAL = "合计"
RATE = "增减率"  # a rate column holds percentages, not money


@dataclass(frozen=True, slots=True)
class Concepts:
    """The concepts of one amount column. `detail`: text kept in column_name below the
    concepts (其中:教育收费); `unmapped`: the column names no concept (only `measure`)."""

    measure: str
    flow: str | None = None
    fund: str | None = None
    spending: str | None = None
    expense_item: str | None = None
    detail: str | None = None
    unmapped: bool = False

    def key(self, with_flow: bool = True) -> tuple[str | None, ...]:
        """The concepts as a tuple (measure, flow, fund, spending, expense_item, detail) to
        look a column up by; with_flow False leaves the flow out (None)."""
        return (
            self.measure,
            self.flow if with_flow else None,
            self.fund,
            self.spending,
            self.expense_item,
            self.detail,
        )


# ------------------------------------------------------------------ memo


def _memo(knowledge: Knowledge, name: str) -> dict:
    """A memo of one function's results, kept with the knowledge they were read by."""
    return knowledge.derived.setdefault(f"concepts.{name}", {})


# ------------------------------------------------------------------ one component


def normalize(text: str, rules: ConceptRules) -> str:
    """NFKC, no white space (text wrapped inside its cell is one word), quotes folded to `"`
    (by the rules' `quotes` pattern)."""
    text = regex.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return rules.quotes.sub('"', text)


@dataclass(slots=True)
class _Reading:
    text: str
    of_which: bool = False
    concepts: dict[str, str] = field(default_factory=dict)  # dim -> value (after the head rule)
    flow: str | None = None
    total: bool = False
    change: str | None = None
    word: ConceptGroup | None = None
    prior: bool = False
    current: bool = False
    year: int | None = None
    residue: str = ""

    @property
    def says_something(self) -> bool:
        """Names a concept, a flow, a total or a measure; a year or 上年 alone qualifies a
        heading without naming it (2026年政府采购项目 is still an unknown heading)."""
        return bool(self.concepts or self.flow or self.total or self.change or self.word)


def _read_component(
    raw: str, knowledge: Knowledge, parent_values: tuple[str, ...] = ()
) -> _Reading:
    """What one header cell says. parent_values: the concepts named above it, for fragments
    that only mean something under their heading (运行费 under 公务用车购置及运行维护费).
    Read once per cell text and knowledge."""
    memo = _memo(knowledge, "component")
    key = (raw, parent_values)
    if key not in memo:
        memo[key] = _read_component_now(raw, knowledge.concepts, parent_values)
    return memo[key]


def _read_component_now(raw: str, k: ConceptRules, parent_values: tuple[str, ...]) -> _Reading:
    text = normalize(raw, k)
    r = _Reading(text)
    m = k.of_which.match(text)
    if m:
        r.of_which, text = True, text[m.end() :]
    # a leading year qualifies the words after it, which then read as printed alone
    # (2024年支出 in a 项目概况表 is the flow 支出, its year the measure's)
    m = k.year.match(text)
    if m and m.end() < len(text):
        r.year, text = int(m.group(1)), text[m.end() :]
    # (length, preference, start, end, what, match): every group competes for the characters
    cands: list[tuple[int, int, int, int, Any, regex.Match]] = []
    for parent in parent_values:
        for value, pat in k.children.get(parent, ()):
            for mm in pat.finditer(text):
                if mm.end() > mm.start():
                    cands.append(
                        (
                            mm.end() - mm.start(),
                            10**6,
                            mm.start(),
                            mm.end(),
                            ("expense_item", value),
                            mm,
                        )
                    )
    for i, g in enumerate(k.groups):
        for mm in g.pattern.finditer(text):
            if mm.end() > mm.start():
                cands.append((mm.end() - mm.start(), -i, mm.start(), mm.end(), g, mm))
    # longest first; among equal lengths a heading's child, then the group listed first
    cands.sort(key=lambda c: (-c[0], -c[1]))
    covered = [False] * len(text)
    hits: list[tuple[int, Any, regex.Match]] = []
    for _, _, s, e, g, mm in cands:
        if any(covered[s:e]):
            continue
        covered[s:e] = [True] * (e - s)
        hits.append((s, g, mm))
    hits.sort(key=lambda h: h[0])
    dims_found: dict[str, list[str]] = {}
    for _, g, mm in hits:
        if isinstance(g, tuple):
            dims_found.setdefault(g[0], []).append(g[1])
        elif g.kind == "concept":
            dims_found.setdefault(g.dim, []).append(g.value)
        elif g.kind == "flow":
            r.flow = g.value
        elif g.kind == "total":
            r.total = True
        elif g.kind == "change":
            # 比上年增减%: the change word listed first in the file (增减率) wins
            if r.change is None or k.change_rank[g.value] < k.change_rank[r.change]:
                r.change = g.value
        elif g.kind == "word":
            r.word = g
        elif g.kind == "prior":
            r.prior = True
        elif g.kind == "current":
            r.current = True
        elif g.kind == "year":
            r.year = int(mm.group(1))
    # head rule: a cell naming several dimensions names the first of head_order; the others
    # only qualify it (一般公共预算拨款安排的"三公"经费 → expense_item only)
    head = next((d for d in k.head_order if d in dims_found), None)
    if head:
        r.concepts[head] = dims_found[head][-1]
    rest = "".join("\x00" if covered[j] else text[j] for j in range(len(text)))
    for pat in k.decoration:
        rest = pat.sub(lambda mm: "\x00" * len(mm.group()), rest)
    r.residue = regex.sub(r"[\x00\s]", "", rest)
    if r.of_which and r.residue:
        # a 其中 part names a concept only when that is all it says (其中:事业单位经营支出)
        r.concepts, r.flow, r.total = {}, None, False
        r.residue = text
    return r


# ------------------------------------------------------------------ a path


def children(dim: str, value: str, rules: ConceptRules) -> tuple[str, ...]:
    """The values one level below `value` in its dimension's hierarchy (schemas/concepts.toml
    `parent`): 公务用车购置及运行维护费 → 公务用车购置费, 公务用车运行维护费."""
    return tuple(v for (d, v), p in rules.parents.items() if d == dim and p == value)


def _ancestors(dim: str, value: str, rules: ConceptRules) -> list[str]:
    parents = rules.parents
    out = []
    while (p := parents.get((dim, value))) is not None:
        out.append(p)
        value = p
    return out


def _most_specific(dim: str, values: list[tuple[int, str]], rules: ConceptRules) -> str:
    """values: (component index, value). The value lowest in the hierarchy wins, whatever the
    printed order (财政拨款/一般公共预算拨款 and 一般公共预算拨款/财政拨款 → 一般公共预算);
    incomparable values: the lower component."""
    best_i, best = values[0]
    for i, v in values[1:]:
        if best in _ancestors(dim, v, rules):
            best_i, best = i, v
        elif v in _ancestors(dim, best, rules):
            continue
        elif i >= best_i:
            best_i, best = i, v
    return best


def _own_subject(table_id: str, knowledge: Knowledge) -> dict[str, str]:
    """What the table is about, read from its canonical name (政府性基金预算支出表 → fund
    政府性基金预算): a column naming it is the table's total (政府性基金预算支出/小计)."""
    memo = _memo(knowledge, "own_subject")
    if table_id not in memo:
        memo[table_id] = _own_subject_now(knowledge.table(table_id), knowledge.concepts)
    return memo[table_id]


def _own_subject_now(spec: TableSpec | None, rules: ConceptRules) -> dict[str, str]:
    if spec is None or not spec.name:
        return {}
    text = normalize(spec.name, rules)
    concept_groups = [g for g in rules.groups if g.kind == "concept"]
    out: dict[str, str] = {}
    for g in concept_groups:
        if g.dim == "spending" and "spending" not in out and g.pattern.search(text):
            out["spending"] = g.value
    # the longest fund word of the title (一般公共预算财政拨款… → 一般公共预算, not 财政拨款)
    funds = [
        (len(m.group()), g.value)
        for g in concept_groups
        if g.dim == "fund"
        for m in [g.pattern.search(text)]
        if m
    ]
    if funds:
        out["fund"] = max(funds)[1]
    return out


def _title_breakdown(table_id: str, knowledge: Knowledge) -> str:
    spec = knowledge.table(table_id)
    name = normalize(spec.name, knowledge.concepts) if spec else ""
    for pat, dim in knowledge.concepts.title_breakdown:
        if pat.search(name):
            return dim
    return "spending"


def _merge_fragments(parts: list[str], knowledge: Knowledge) -> list[str]:
    """Header text wrapped over two cells (会议/费, 因公出国/(境)费, 部门预算/对附属/单位上缴收入):
    two neighbours are one word when the join explains more of their text."""
    parts = list(parts)
    changed = True
    while changed and len(parts) > 1:
        changed = False
        for i in range(len(parts) - 1):
            a = _read_component(parts[i], knowledge)
            b = _read_component(parts[i + 1], knowledge)
            if (
                not (a.residue or b.residue)
                or (a.concepts and b.concepts)
                or a.of_which
                or b.of_which
            ):
                continue
            j = _read_component(parts[i] + parts[i + 1], knowledge)
            if (
                len(j.residue) < len(a.residue) + len(b.residue)
                and (j.concepts or j.flow)
                and len(j.concepts) >= max(len(a.concepts), len(b.concepts))
            ):
                parts[i : i + 2] = [parts[i] + parts[i + 1]]
                changed = True
                break
    return parts


def _measure(
    readings: list[_Reading], kind: str, fiscal_year: int | None, rules: ConceptRules
) -> str:
    """A change word wins; else the most specific measure word, turned into its `prior` value by
    a 上年 marker or a year before the fiscal year (2025年预算数 in a 2026 budget → 上年预算数);
    else the table's own figure (预算数 / 决算数)."""
    own = rules.own.get(kind, "预算数")
    change = next((r.change for r in readings if r.change), None)
    if change:
        return change
    word = next((r.word for r in reversed(readings) if r.word), None)
    prior = any(r.prior for r in readings) or any(
        r.year is not None and fiscal_year is not None and r.year < fiscal_year for r in readings
    )
    if word is None:
        if not prior:
            return own
        return "上年预算数" if kind == "预算" else "上年决算数"
    if prior:
        return word.prior or own
    value = word.value
    return value.get(kind, own) if isinstance(value, dict) else value


def doc_kind_of(spec: TableSpec, doc_kind: str | None) -> str:
    """预算 or 决算: the document's kind, else the table's own."""
    if doc_kind in ("预算", "决算"):
        return doc_kind
    if spec.kind:
        return spec.kind
    return "预算" if spec.id.startswith("budget_") else "决算"


def own_measure(spec: TableSpec, rules: ConceptRules, doc_kind: str | None) -> str:
    """The figure a column holds when its header names none (预算数 in a budget)."""
    return rules.own[doc_kind_of(spec, doc_kind)]


def _clean(path: Sequence[str], rules: ConceptRules) -> tuple[str, ...]:
    return tuple(p for p in (normalize(x, rules) for x in path) if p)


def _shallow(path: tuple[str, ...], knowledge: Knowledge) -> dict[str, str]:
    """Dimensions a sibling column names, without context (to see what the table breaks down);
    key "total" for a bare total (合计, 本年支出/小计)."""
    memo = _memo(knowledge, "shallow")
    if path not in memo:
        memo[path] = _shallow_now(path, knowledge)
    return memo[path]


def _shallow_now(path: tuple[str, ...], knowledge: Knowledge) -> dict[str, str]:
    out: dict[str, str] = {}
    parents: tuple[str, ...] = ()
    total = False
    for p in _merge_fragments(list(path), knowledge):
        r = _read_component(p, knowledge, parents)
        out.update(r.concepts)
        parents += tuple(r.concepts.values())
        total = total or (r.total and not out)
    if total and not out:
        out["total"] = TOTAL
    return out


def is_bare_total(text: str, rules: ConceptRules) -> bool:
    """A total word alone (合计, 总计, 小计): a row that sums the rows above it, naming no
    concept of its own (the 合计 row of a 绩效自评表's project list)."""
    t = normalize(text, rules)
    return any(g.kind == "total" and g.pattern.fullmatch(t) for g in rules.groups)


def is_of_which_heading(cell: str, rules: ConceptRules) -> bool:
    """A header cell that is only `其中` (`其中` spanning 事业单位经营支出 | 上缴上级支出 | …): the
    columns under it break down a column beside them and are no parts of its sum."""
    text = normalize(cell, rules)
    m = rules.of_which.match(text)
    return bool(m) and m.end() == len(text) > 0


def read_concepts(
    path: Sequence[str],
    spec: TableSpec,
    knowledge: Knowledge,
    doc_kind: str | None,
    fiscal_year: int | None,
    siblings: Sequence[Sequence[str]] = (),
) -> Concepts:
    """The concepts of one amount column.

    path: the printed header cells over the column, top to bottom (any order of dimensions);
    spec: its canonical table; knowledge: the loaded knowledge, whose concept rules read it;
    doc_kind: 预算/决算 of the document (else the table's);
    fiscal_year: the document's year (else the latest year printed among the columns);
    siblings: the header paths of the other amount columns of the same table side, which decide
    which dimension a bare total totals (`合计` beside 一般公共预算 | 政府性基金预算 → fund 合计).
    Never raises; a column naming nothing known is `unmapped`."""
    k = knowledge.concepts
    kind = doc_kind_of(spec, doc_kind)
    parts = list(_clean(path, k))
    sibs = [s for s in (_clean(s, k) for s in siblings) if s != tuple(parts)]
    # a heading over every amount column is the table's, not the column's (部门预算/…)
    while len(parts) > 1 and sibs and all(len(s) > 1 and s[0] == parts[0] for s in sibs):
        parts, sibs = parts[1:], [s[1:] for s in sibs]
    if fiscal_year is None:
        years = [
            int(m.group(1))
            for p in [parts, *sibs]
            for c in p
            if (m := regex.match(r"((?:19|20)\d{2})年", c))
        ]
        fiscal_year = max(years) if years else None
    parts = _merge_fragments(parts, knowledge)
    readings: list[_Reading] = []
    named: tuple[str, ...] = ()
    for p in parts:
        r = _read_component(p, knowledge, named)
        readings.append(r)
        named += tuple(r.concepts.values())
    measure = _measure(readings, kind, fiscal_year, k)
    if not parts:
        return Concepts(measure, unmapped=True)

    own = _own_subject(spec.id, knowledge)
    per_dim: dict[str, list[tuple[int, str]]] = {}
    own_hit = False
    flows: list[tuple[int, str]] = []
    for i, r in enumerate(readings):
        if r.flow:
            flows.append((i, r.flow))
        for d, v in r.concepts.items():
            if own.get(d) == v:
                own_hit = True  # 政府性基金预算支出/小计 in 政府性基金预算支出表: the table's total
                continue
            per_dim.setdefault(d, []).append((i, v))
    # a value heading other values of its own dimension is the flow (上年结转结余/一般公共预算资金)
    for d, vals in per_dim.items():
        if len(vals) > 1:
            for i, v in list(vals):
                f = k.as_flow.get((d, v))
                if f and any(j > i for j, _ in vals):
                    vals.remove((i, v))
                    flows.append((i, f))
    out: dict[str, str] = {d: _most_specific(d, vals, k) for d, vals in per_dim.items() if vals}
    flow = max(flows)[1] if flows else None

    # detail: unrecognised or 其中 text below the last component that names something
    last_named = max(
        (i for i, r in enumerate(readings) if r.concepts or r.total or r.flow), default=-1
    )
    detail = (
        "/".join(
            parts[i]
            for i, r in enumerate(readings)
            if i > last_named and (r.of_which or (r.residue and not r.concepts))
        )
        or None
    )
    # an unrecognised heading above a bare total: that heading's subtotal (政府采购项目/小计)
    unknown_heading = any(
        r.residue and not r.says_something and i < last_named for i, r in enumerate(readings)
    )

    pending = False
    total_at = [i for i, r in enumerate(readings) if r.total]
    for i in total_at:
        if any(j <= i for vals in per_dim.values() for j, _ in vals):
            continue  # absorbed: 财政拨款/小计 is fund 财政拨款
        if unknown_heading and not out:
            return Concepts(measure, unmapped=True)
        pending = True
    if own_hit and not out and not total_at:
        pending = True
    measure_only = (
        not out
        and not flow
        and not pending
        and not detail
        and all(not r.residue or r.word or r.change or r.year for r in readings)
    )
    if measure_only and not any(r.residue for r in readings) and not spec.two_sided:
        # 预算数 | 人员经费 | 公用经费: the bare figure beside a breakdown is its total; so is a
        # figure beside only other figures (上年预算数 | 本年预算数 | 增减额 | 增减率) in a table
        # whose contract columns break its amount down (have a 合计). Not on a two-sided table,
        # whose single figure serves both sides.
        sib_dims = {d for s in sibs for d in _shallow(s, knowledge)}
        if (sib_dims and "total" not in sib_dims) or (not sib_dims and TOTAL in spec.columns):
            pending = True
    if pending:
        dim = _total_dimension(out, flows, spec.id, sibs, knowledge)
        if dim:
            out[dim] = TOTAL
            # 合计 beside 总计 (总计 | 合计 | funds | 上年结转): the year's own money
            bare = len(parts) == 1 and not k.grand_total.search(parts[0])
            if (
                bare
                and flow is None
                and any(len(s) == 1 and k.grand_total.search(s[0]) for s in sibs)
            ):
                flow = k.grand_inner_flow.get(dim)
    if not out and not flow:
        if measure_only or (
            not detail and not unknown_heading and all(not r.residue for r in readings)
        ):
            return Concepts(measure)  # the table's single figure (预算数, 金额, 项目金额)
        return Concepts(measure, unmapped=True)
    return Concepts(
        measure, flow, out.get("fund"), out.get("spending"), out.get("expense_item"), detail
    )


def _total_dimension(
    named: dict[str, str],
    flows: list[tuple[int, str]],
    table_id: str,
    sibs: list[tuple[str, ...]],
    knowledge: Knowledge,
) -> str | None:
    """Which dimension a bare total totals: the one its flow word says (本年支出/小计 →
    spending), else the one the sibling columns break down (the title's if among several), else
    the title's (三公 → expense_item, 收入 → fund, 支出 → spending)."""
    k = knowledge.concepts
    free = [d for d in DIMS if d not in named]
    for _, f in sorted(flows, reverse=True):
        d = k.flow_total.get(f)
        if d in free:
            return d
    own = _own_subject(table_id, knowledge)
    counts: dict[str, int] = {}
    for s in sibs:
        for d, v in _shallow(s, knowledge).items():
            if d != "total" and v != TOTAL and own.get(d) != v and d in free:
                counts[d] = counts.get(d, 0) + 1
    title = _title_breakdown(table_id, knowledge)
    if counts:
        if title in counts and len(counts) > 1:
            return title
        return max(counts, key=lambda d: (counts[d], d == title))
    return title if title in free else (free[0] if free else None)


# ------------------------------------------------------------------ column_name and column_id


@dataclass(frozen=True)
class _Canonical:
    exact: dict[tuple[str | None, ...], str]
    loose: dict[tuple[str | None, ...], str]
    concepts: dict[str, Concepts]  # 1.0 name → its concepts
    measured: bool  # the 1.0 names carry a measure (三公决算表: 决算数/会议费)


def _canonical(table_id: str, kind: str, knowledge: Knowledge) -> _Canonical:
    """The contract-1.0 names of a table, read by the same rules with each other as siblings
    (so no per-table alias list); read once per table, kind and knowledge."""
    memo = _memo(knowledge, "canonical")
    if (table_id, kind) not in memo:
        memo[(table_id, kind)] = _canonical_now(table_id, kind, knowledge)
    return memo[(table_id, kind)]


def _canonical_now(table_id: str, kind: str, knowledge: Knowledge) -> _Canonical:
    spec = knowledge.table(table_id)
    cols = [tuple(c.split("/")) for c in spec.columns] if spec else []
    exact: dict[tuple[str | None, ...], str] = {}
    loose: dict[tuple[str | None, ...], list[str]] = {}
    concepts: dict[str, Concepts] = {}
    for c in cols:
        con = read_concepts(c, spec, knowledge, kind, None, [s for s in cols if s != c])
        if con.unmapped:
            continue
        concepts["/".join(c)] = con
        exact.setdefault(con.key(), "/".join(c))
        loose.setdefault(con.key(with_flow=False), []).append("/".join(c))
    measured = any(
        any(_read_component(p, knowledge).word for p in c[:-1]) for c in cols if len(c) > 1
    )
    return _Canonical(exact, {k: v[0] for k, v in loose.items() if len(v) == 1}, concepts, measured)


def name_column(
    concepts: Concepts,
    path: Sequence[str],
    spec: TableSpec,
    knowledge: Knowledge,
    doc_kind: str | None,
    fiscal_year: int | None = None,
    keep_flow: bool = False,
) -> tuple[str, Concepts]:
    """Contract 1.1 column_name, and the concepts that go with it.

    1. A column with no concept keeps its printed path, less the document's own year, so that
       the name holds from year to year (2026年政府采购项目/小计 → 政府采购项目/小计).
    2. The 1.0 canonical names of the table are kept: the printed path when it is one, else the
       1.0 name whose concepts are the column's (exactly, else ignoring the year's own flow when
       that leaves one candidate: 合计 of 收入决算表 → 本年收入合计, whose flow it then takes).
    3. Else the concepts joined by '/': measure, flow, fund, spending, expense_item, detail; the
       year's own flow only when nothing else is named, a balance flow always; the measure when
       it is not the table's own (上年预算数/合计), the 1.0 names carry one, or it is all.
    keep_flow: the column's printed year flow tells it from a sibling that would otherwise read
    the same (收入总表 合计 | 本年收入/小计 | 上年结转结余/小计 → 合计 and 本年收入/合计).
    knowledge: the loaded knowledge (concept rules and the table's canonical names)."""
    k = knowledge.concepts
    printed = "/".join(
        c[m.end() :]
        if (m := k.year.match(c)) and m.end() < len(c) and int(m.group(1)) == fiscal_year
        else c
        for c in _clean(path, k)
    )
    kind = doc_kind_of(spec, doc_kind)
    canon = _canonical(spec.id, kind, knowledge)
    if concepts.unmapped:
        # a 1.0 name that is no concept (得分): a one-cell header ending with it (项目绩效评价得分)
        plain = [c for c in spec.columns if c not in canon.concepts and "/" not in c]
        if "/" not in printed and (found := next((c for c in plain if printed.endswith(c)), None)):
            return found, concepts
        return printed, concepts
    if printed in spec.columns:
        return printed, concepts
    if concepts.key() in canon.exact:
        return canon.exact[concepts.key()], concepts
    year_flows = k.year_flows
    loose = canon.loose.get(concepts.key(with_flow=False))
    if loose and concepts.flow in (None, *year_flows) and not (keep_flow and concepts.flow):
        return loose, replace(concepts, flow=canon.concepts[loose].flow)
    own = k.own[kind]
    named = [v for v in (concepts.fund, concepts.spending, concepts.expense_item) if v is not None]
    flow = concepts.flow
    if flow in year_flows and named and not keep_flow:
        flow = None
    body = ([flow] if flow else []) + named
    prefix = [concepts.measure] if (concepts.measure != own or canon.measured or not body) else []
    tail = [concepts.detail] if concepts.detail else []
    return "/".join(prefix + body + tail), concepts


def _ids_of_canonical(knowledge: Knowledge) -> dict[tuple[str | None, ...], str]:
    """Concept combination → the id of the 1.0 name that reads as it. Where two 1.0 names of
    different tables read as one combination (预算数/公务接待费 of the 决算 三公 table and
    公务接待费 of the budget's), the bare name (the table's own figure) keeps its id, so one
    concept has one id. Read once per knowledge."""
    memo = _memo(knowledge, "ids_of_canonical")
    if not memo:
        memo.update(_ids_of_canonical_now(knowledge))
    return memo


def _ids_of_canonical_now(knowledge: Knowledge) -> dict[tuple[str | None, ...], str]:
    ids = knowledge.column_ids
    ranked: list[tuple[int, int, tuple[str | None, ...], str]] = []
    for n, spec in enumerate(knowledge.tables):
        if not spec.kind:
            continue
        canon = _canonical(spec.id, spec.kind, knowledge)
        for name, con in canon.concepts.items():
            if name in ids:
                bare = con.measure == knowledge.concepts.own[spec.kind]
                ranked.append((0 if bare else 1, n, con.key(), ids[name]))
    out: dict[tuple[str | None, ...], str] = {}
    for _, _, key, cid in sorted(ranked, key=lambda r: r[:2]):
        out.setdefault(key, cid)
    return out


def concept_column_id(concepts: Concepts, name: str, knowledge: Knowledge) -> str:
    """One id per concept combination, in every table: the 1.0 id of a canonical name reading as
    it, else composed from the vocabulary ids of schemas/columns.toml (prior_budget_spending_total);
    a column with no concept: its 1.0 id (得分), else `x_` + a hash of its printed name."""
    if concepts.unmapped:
        return knowledge.column_ids.get(name) or _hashed("x_", name)
    known = _ids_of_canonical(knowledge).get(concepts.key())
    if known:
        return known
    parts = knowledge.concept_ids
    dims = (("measure", concepts.measure), ("flow", concepts.flow)) + tuple(
        (d, getattr(concepts, d)) for d in DIMS
    )
    try:
        cid = "_".join(parts[d][v] for d, v in dims if v is not None)
    except KeyError:
        return _hashed("x_", name)
    return _hashed(cid + "_", concepts.detail) if concepts.detail else cid


def _hashed(prefix: str, text: str) -> str:
    return prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
