"""A stitched table (grids over one or more pages) → canonical records, one per amount cell.

The grid is read in three passes: where the header ends, what each column is (code, label,
layout or amount, with its header path), and then row by row, group by group — a group being
one code–label–amounts block, of which two-sided and side-by-side tables print several.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import regex
from budgetpdf.extract.grid import Grid
from budgetpdf.normalize.codes import (
    UNCLASSIFIED,
    Classification,
    SplitCodeJoiner,
    classify,
    is_code,
    split_leading_code,
)
from budgetpdf.normalize.numbers import parse_amount
from budgetpdf.normalize.text import item_name, join_wrapped, squash
from budgetpdf.schemas.knowledge import TableSpec, column_ids, context, header_vocabulary

_YEAR_PREFIX = regex.compile(r"^(\d{4})年度?(?=.)")
_SUBTOTAL = {"小计", "合计"}
TOTAL, GRAND_TOTAL = "合计", "总计"
_OF_WHICH = "其中:"
_FILLER = regex.compile(r"^[*＊]+$")  # `** ** 1 2 3`: stars mark a 栏次 row's label columns
_BRACKETS = regex.compile(r"[()]")
_CODE_HEADINGS = ("编码", "代码", "编号")


@dataclass(slots=True)
class Column:
    index: int
    role: str  # code | label | layout | amount
    path: tuple[str, ...]  # normalized header components, top to bottom
    header: str  # lowest header text, normalized


@dataclass(slots=True)
class Group:
    section: str | None
    code_cols: list[int] = field(default_factory=list)
    label_cols: list[int] = field(default_factory=list)
    amount_cols: list[int] = field(default_factory=list)
    unit_cols: list[int] = field(default_factory=list)  # label columns naming a 预算单位
    economic: bool = False  # its labels are 经济分类 names: no functional 类 by name


@dataclass(slots=True)
class Layout:
    """How to read the body rows of a grid: its groups and the name of each amount column."""

    n_cols: int
    groups: list[Group]
    names: dict[int, str]
    header_rows: int


@dataclass(slots=True)
class Record:
    section: str | None
    row_no: int
    classification: Classification
    item_name: str
    item_raw: str
    unit_name: str | None
    column_name: str
    column_id: str
    value: Decimal
    page: int


@dataclass(slots=True)
class TableFrame:
    records: list[Record]
    rows: int
    columns: int
    pages: list[int]


# ---------------------------------------------------------------- header and columns


def _is_layout_row(texts: Sequence[str]) -> bool:
    """A 栏次 row: `栏次 1 2 3` or bare consecutive column numbers (stars aside)."""
    vocab = header_vocabulary()
    cells = [t for t in texts if t and not _FILLER.match(t)]
    if not cells:
        return False
    if any(t in vocab.layout for t in cells):
        rest = [t for t in cells if t not in vocab.layout]
        return all(t.isdigit() or t in {"-", "—"} for t in rest)
    numbers = [int(t) for t in cells if t.isdigit() and len(t) <= 2]
    return len(numbers) >= 2 and len(numbers) == len(cells) and numbers == sorted(numbers)


def _row_texts(grid: Grid, row: int) -> list[str]:
    return [squash(grid.text(row, c)) for c in range(grid.n_cols)]


def _is_body_row(grid: Grid, row: int) -> bool:
    texts = _row_texts(grid, row)
    if _is_layout_row(texts):
        return False
    return any(parse_amount(t) is not None and not is_code(t) for t in texts) or (
        any(is_code(t) for t in texts[:3]) and any(t and not t.isdigit() for t in texts)
    )


def header_row_count(grid: Grid) -> int:
    for r in range(grid.n_rows):
        if _is_body_row(grid, r):
            return r
    last_layout = max(
        (r for r in range(grid.n_rows) if _is_layout_row(_row_texts(grid, r))), default=-1
    )
    return last_layout + 1 if last_layout >= 0 else min(grid.n_rows, 1)


def _header_path(grid: Grid, col: int, rows: Sequence[int]) -> list[tuple[str, int]]:
    """Distinct header cells over a column, top to bottom, with the columns each spans.
    rows: the header rows that are not 栏次 rows."""
    path: list[tuple[str, int]] = []
    seen = set()
    for r in rows:
        cell = grid.at(r, col)
        if cell is None or id(cell) in seen or (cell.colspan == grid.n_cols > 1):
            continue  # a caption ruled across the whole table is not a column header
        seen.add(id(cell))
        text = squash(cell.text)
        if text and not _is_caption(text):
            path.append((text, cell.colspan))
    return path


def _is_caption(text: str) -> bool:
    """A title, unit or publisher line ruled into the header (预算03表支出总表, 单位:万元)."""
    ctx = context()
    return (
        text.endswith(("表", "表)"))
        or bool(ctx.unit.search(text))
        or any(p.match(text) for p in ctx.publisher)
    )


def _is_caption_row(texts: Sequence[str]) -> bool:
    """A publisher and unit line ruled into the header (部门： | 某某厅 | 单位：万元): the row
    that holds the unit holds no column heading."""
    return any(t and context().unit.search(t) for t in texts) and any(
        t.endswith((":", "：")) for t in texts
    )


def _body_role(grid: Grid, col: int, start: int) -> str | None:
    texts = [t for r in range(start, grid.n_rows) if (t := squash(grid.text(r, col)))]
    if not texts:
        return None
    codes = sum(is_code(t) for t in texts)
    amounts = sum(parse_amount(t) is not None for t in texts) - codes
    words = len(texts) - codes - amounts
    if codes and codes >= amounts and codes >= words:
        return "code"
    if words > amounts:
        return "label"
    return "amount"


def _columns(grid: Grid, header_rows: int) -> list[Column]:
    vocab = header_vocabulary()
    text_rows = [
        r
        for r in range(header_rows)
        if not _is_layout_row(texts := _row_texts(grid, r)) and not _is_caption_row(texts)
    ]
    columns = []
    for c in range(grid.n_cols):
        path = _header_path(grid, c, text_rows)
        texts = [t for t, _ in path]
        lowest = texts[-1] if texts else ""
        body = _body_role(grid, c, header_rows)
        if any(t in vocab.layout for t in texts) or "".join(texts) in vocab.layout:
            role = "layout"  # 序号 also when its two characters sit in two header rows
        elif lowest in vocab.code or (lowest in vocab.label and body == "code"):
            role = "code"
        elif lowest.endswith(_CODE_HEADINGS):  # 部门经济科目编码 codes; 单位编码 is layout
            role = "code" if body == "code" else "layout"
        elif lowest in vocab.label or lowest in vocab.unit_label or body == "label":
            role = "label"
        elif not texts and body == "code":
            role = "code"
        else:
            role = "amount"
        measures = tuple(t for t, span in path if t not in vocab.label_block)
        columns.append(Column(c, role, measures, lowest))
    return columns


def _groups(grid: Grid, columns: list[Column], spec: TableSpec) -> list[Group]:
    vocab = header_vocabulary()
    groups: list[Group] = []
    for col in columns:
        starts_group = not groups or (col.role in ("code", "label") and groups[-1].amount_cols)
        if starts_group:
            section = None
            if spec.two_sided:
                top = grid.at(0, col.index)
                text = squash(top.text) if top else ""
                section = text if text in vocab.sections else None
            groups.append(Group(section))
        group = groups[-1]
        if col.role == "code":
            group.code_cols.append(col.index)
        elif col.role == "label":
            group.label_cols.append(col.index)
            group.economic = group.economic or "经济" in col.header
            if col.header in vocab.unit_label:
                group.unit_cols.append(col.index)
        elif col.role == "amount":
            group.amount_cols.append(col.index)
    return groups


def _alias(component: str, year: int | None) -> str:
    """The contract's wording of a header component. A year prefix goes when it is the
    document's own year (2026年预算数 → 预算数); another year's figures keep it (2025年预算数)."""
    m = _YEAR_PREFIX.match(component)
    if m and (year is None or int(m.group(1)) == year):
        component = component[m.end() :]
    component = regex.sub(r"[“”„‟″]", '"', component)
    return header_vocabulary().aliases.get(component, component)


def _candidates(path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Ways of reading a header path, most specific first.

    A 小计/合计 leaf names its parent's total (预算数/公务用车…/小计 → 预算数/公务用车…,
    本年支出/小计 → 本年支出合计); it is the table's 合计 only under a generic parent
    (本年支出, 预算数 …), never under a specific one (政府采购项目/合计 stays so).
    """
    vocab = header_vocabulary()
    if any(p.startswith(vocab.other_measures) or _YEAR_PREFIX.match(p) for p in path[:-1]):
        return [path]  # 上年预算数/合计 or 2025年预算数/合计: another measure keeps its path
    measures = vocab.measure_headers
    out = _candidates_of(path)
    if len(path) > 1 and path[0] in measures:
        out += _candidates(path[1:])
    if path[-1].startswith(_OF_WHICH):  # 支出/其中:基本支出 beside 项目支出 is 基本支出
        out += _candidates((*path[:-1], path[-1].removeprefix(_OF_WHICH)))
    return out


def _candidates_of(path: tuple[str, ...]) -> list[tuple[str, ...]]:
    if path[-1] not in _SUBTOTAL:
        out = [path]
        if len(path) > 2:
            out.append((path[0], path[-1]))
        out.append(path[-1:])
        return out
    if len(path) == 1:
        return [path]
    parent = path[:-1]
    out = [parent, (*parent[:-1], parent[-1] + "合计")]
    if len(parent) > 1:
        out.append((parent[0], parent[-1]))
    if parent[-1] in header_vocabulary().measure_headers:
        out += [(*parent[:-1], "合计"), ("合计",)]
    return out


def canonical_column(
    path: tuple[str, ...], spec: TableSpec, sections: frozenset[str], year: int | None = None
) -> str:
    parts = tuple(_alias(p, year) for p in path if p not in sections)
    if not parts:
        return spec.single_amount or ""
    unbracketed = {_BRACKETS.sub("", c): c for c in spec.columns}
    for candidate in _candidates(parts):
        name = "/".join(candidate)
        if name in spec.columns:
            return name
        # brackets set in a font whose glyphs sit off the line come out of their place:
        # 因公出国(境)费 read as 因公出国境费()
        if _BRACKETS.search(name) and (known := unbracketed.get(_BRACKETS.sub("", name))):
            return known
    return "/".join(parts)


def column_id(name: str) -> str:
    known = column_ids().get(name)
    if known:
        return known
    return "x_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


def layout_of(grid: Grid, spec: TableSpec, year: int | None = None) -> Layout:
    header_rows = header_row_count(grid)
    columns = _columns(grid, header_rows)
    groups = _groups(grid, columns, spec)
    sections = header_vocabulary().sections if spec.two_sided else frozenset()
    names: dict[int, str] = {}
    for group in groups:
        single = spec.single_amount and len(group.amount_cols) == 1
        for c in group.amount_cols:
            names[c] = (
                spec.single_amount
                if single
                else canonical_column(columns[c].path, spec, sections, year)
            )
    return Layout(grid.n_cols, groups, _grand_total_is_total(names), header_rows)


def _grand_total_is_total(names: dict[int, str]) -> dict[int, str]:
    """总计 is the table's 合计 where no 合计 column is printed beside it (总计 | 财政拨款 …);
    beside a 合计 (总计 = 合计 + 上年结转) it stays a measure of its own."""
    if GRAND_TOTAL not in names.values() or TOTAL in names.values():
        return names
    return {c: TOTAL if name == GRAND_TOTAL else name for c, name in names.items()}


# ---------------------------------------------------------------- body rows


@dataclass(slots=True)
class _RowReader:
    spec: TableSpec
    layout: Layout
    joiners: list[SplitCodeJoiner]
    units: dict[int, str] = field(default_factory=dict)

    def read(self, grid: Grid, row: int, row_no: int) -> list[Record]:
        records = []
        for group, joiner in zip(self.layout.groups, self.joiners, strict=True):
            records.extend(self._group_records(grid, row, row_no, group, joiner))
        if self.spec.form:
            records.extend(self._form_records(grid, row, row_no))
        return records

    def _form_records(self, grid: Grid, row: int, row_no: int) -> list[Record]:
        """Forms printed as tables (绩效目标表: `其他资金 | 0.00`) put amounts in columns that
        are mostly text: in a table of no known kind, every such amount is kept, named by
        the text to its left, so that nothing printed is lost."""
        out = []
        amount_cols = {c for g in self.layout.groups for c in g.amount_cols}
        label = ""
        for c in range(grid.n_cols):
            text = grid.text(row, c)
            value = parse_amount(text)
            if value is None:
                label = text or label
            elif c not in amount_cols and label and not is_code(text):
                name = item_name(label)
                out.append(
                    Record(
                        None,
                        row_no,
                        UNCLASSIFIED,
                        name,
                        join_wrapped(label),
                        None,
                        name,
                        column_id(name),
                        value,
                        grid.page,
                    )
                )
        return out

    def _label_text(self, grid: Grid, row: int, group: Group) -> str:
        """The row's name: the preferred label column (the last one, or the table's
        label_headers), else whichever label column is printed (a unit's subtotal row)."""
        chosen = self._label_cols(grid, group)
        text = "\n".join(dict.fromkeys(t for c in chosen if (t := _covering_text(grid, row, c))))
        if text:
            return text
        return "\n".join(
            dict.fromkeys(t for c in group.label_cols if (t := _covering_text(grid, row, c)))
        )

    def _track_unit(self, grid: Grid, row: int, group: Group) -> None:
        """Tables that list several 预算单位 print each unit's name on its subtotal row and
        its codes below it: the rows that follow belong to that unit."""
        for c in group.unit_cols:
            text = squash(_covering_text(grid, row, c))
            if text:
                self.units[self.layout.groups.index(group)] = text

    def _label_cols(self, grid: Grid, group: Group) -> list[int]:
        cols = group.label_cols
        if len(cols) > 1 and self.spec.label_headers:
            preferred = [
                c
                for c in cols
                if any(_header_is(grid, c, h, self.layout) for h in self.spec.label_headers)
            ]
            return preferred or cols[-1:]
        return cols[-1:]

    def _group_records(
        self, grid: Grid, row: int, row_no: int, group: Group, joiner: SplitCodeJoiner
    ) -> list[Record]:
        values = [(c, parse_amount(grid.text(row, c))) for c in group.amount_cols]
        values = [(c, v) for c, v in values if v is not None]
        code_texts = [grid.text(row, c) for c in group.code_cols]
        code = self._code(code_texts, joiner)
        self._track_unit(grid, row, group)
        label = self._label_text(grid, row, group)
        if not label:
            # A merged 合计 cell starts in the code column.
            label = "\n".join(t for t in code_texts if t and not is_code(t) and not t.isdigit())
        if code is None:
            code, label = _code_from_label(label)
        if code is None and label and any(_is_unit_code(t) for t in code_texts):
            self.units[self.layout.groups.index(group)] = squash(label)
        by_name = self.spec.class_by_name and not group.economic and code is None
        # every labelled row is seen, with amounts or not: its siblings decide its level
        class_code = joiner.by_name.code(label) if by_name and label else None
        if not values:
            return []
        if not label and code is None:
            label = _orphan_label(grid, row, group)
            class_code = joiner.by_name.code(label) if by_name and label else None
        name = item_name(label)
        code = code or class_code
        classification = classify(code) if code else UNCLASSIFIED
        return [
            Record(
                section=group.section,
                row_no=row_no,
                classification=classification,
                item_name=name,
                item_raw=join_wrapped(label),
                unit_name=self.units.get(self.layout.groups.index(group)),
                column_name=self.layout.names[c],
                column_id=column_id(self.layout.names[c]),
                value=v,
                page=grid.page,
            )
            for c, v in values
        ]

    @staticmethod
    def _code(texts: list[str], joiner: SplitCodeJoiner) -> str | None:
        if len(texts) > 1:
            return joiner.join(texts)
        if texts and is_code(texts[0]):
            return squash(texts[0])
        return None


_UNIT_CODE = regex.compile(r"^\d{6,}$")


def _is_unit_code(text: str) -> bool:
    """A 预算单位's own code (125001) printed in the code column over the rows of that unit:
    six digits or more, never a classification code (3, 5 or 7 digits)."""
    return bool(_UNIT_CODE.match(text.strip())) and not is_code(text)


def _orphan_label(grid: Grid, row: int, group: Group) -> str:
    """A label printed across two groups (`公用经费合计` over the middle block of 06) names
    the amounts of the next group: the nearest text to the left, unless an amount is nearer."""
    first = min(group.code_cols + group.label_cols + group.amount_cols)
    for c in range(first - 1, -1, -1):
        text = _covering_text(grid, row, c)
        if text:
            return "" if parse_amount(text) is not None else text
    return ""


def _covering_text(grid: Grid, row: int, col: int) -> str:
    """Text of the cell over a position, also when it was merged in from the left."""
    cell = grid.at(row, col)
    return cell.text if cell is not None and cell.row == row else ""


def _code_from_label(label: str) -> tuple[str | None, str]:
    code, rest = split_leading_code(label)
    return (code, rest) if code else (None, label)


def _header_is(grid: Grid, col: int, header: str, layout: Layout) -> bool:
    return any(
        squash(c.text) == header
        for r in range(layout.header_rows)
        if (c := grid.at(r, col)) is not None
    )


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _realigned(own: Layout, grid: Grid, before: Layout, before_grid: Grid) -> Layout:
    """A continuation printed with other column boundaries (split code columns merged into
    one, say): its own groups, each amount column named after the amount column of the page
    before that it stands under, each group with the section of the group above it."""
    names: dict[int, str] = {}
    for c in (c for g in own.groups for c in g.amount_cols):
        spans = [
            (_overlap(grid.xs[c], grid.xs[c + 1], before_grid.xs[p], before_grid.xs[p + 1]), p)
            for p in before.names
        ]
        width, p = max(spans, default=(0.0, -1))
        if width > 0:
            names[c] = before.names[p]
    groups = []
    for g in own.groups:
        cols = g.code_cols + g.label_cols + g.amount_cols
        above = max(
            before.groups,
            key=lambda b: sum(
                _overlap(grid.xs[c], grid.xs[c + 1], before_grid.xs[d], before_grid.xs[d + 1])
                for c in cols
                for d in b.code_cols + b.label_cols + b.amount_cols
            ),
        )
        amounts = [c for c in g.amount_cols if c in names]
        groups.append(
            Group(above.section, g.code_cols, g.label_cols, amounts, economic=above.economic)
        )
    return Layout(grid.n_cols, groups, names, 0)


def _header_texts(grid: Grid, rows: int) -> set[str]:
    return {t for r in range(rows) for t in _row_texts(grid, r) if t}


def _row_signature(grid: Grid, row: int) -> tuple[str, ...]:
    return tuple(squash(grid.text(row, c)) for c in range(grid.n_cols))


def build_frame(spec: TableSpec, grids: Sequence[Grid], year: int | None = None) -> TableFrame:
    """Records of a table printed over one or more grids (pages), in printed order."""
    records: list[Record] = []
    layout: Layout | None = None
    first_body: list[tuple[str, ...]] = []
    first_header: set[str] = set()
    previous: Grid | None = None
    row_no = 0
    joiners: list[SplitCodeJoiner] = []
    units: dict[int, str] = {}  # the 预算单位 each group's rows belong to, across pages
    for grid in grids:
        own = layout_of(grid, spec, year)
        texts = _header_texts(grid, own.header_rows)
        # A page that continues a table without repeating its header: its leading rows
        # (blank, or label-only template rows) share no text with the real header.
        inherits = layout is not None and not (texts & first_header)
        if inherits and grid.n_cols != layout.n_cols:
            layout = _realigned(own, grid, layout, previous)
            joiners = [SplitCodeJoiner() for _ in layout.groups]
        elif not inherits:
            layout = own
            first_header = first_header or texts
            if len(joiners) != len(layout.groups):  # a repeated header keeps the 类/款 carry
                joiners = [SplitCodeJoiner() for _ in layout.groups]
        previous = grid
        start = 0 if inherits else layout.header_rows
        reader = _RowReader(spec, layout, joiners, units)
        # Only a known table's page that reprints the header exactly can reprint its first
        # rows as layout; a form (one project a page) may print the same project twice.
        repeated = not spec.form and grid is not grids[0] and texts == first_header
        for r in range(start, grid.n_rows):
            signature = _row_signature(grid, r)
            if repeated and signature in first_body:
                continue  # a repeated header block, 合计 row included, is layout
            if grid is grids[0] and len(first_body) < 3:
                first_body.append(signature)
            repeated = False
            row_no += 1
            records.extend(reader.read(grid, r, row_no))
    pages = sorted({g.page for g in grids})
    rows = row_no
    columns = max((g.n_cols for g in grids), default=0)
    return TableFrame(records, rows, columns, pages)
