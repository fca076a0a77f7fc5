"""A stitched table (grids over one or more pages) → canonical records, one per amount cell.

The grid is read in three passes: where the header ends, what each column is (code, label,
layout or amount, with its header path), and then row by row, group by group — a group being
one code–label–amounts block, of which two-sided and side-by-side tables print several.

Forms (绩效目标表, 绩效自评表, tables of no known kind) also rule key–value lines above their
header (`部门预算编码 | 127`), which are neither body nor header, and may print a second
header inside the grid (the indicator block): each block is read by its own header.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import regex
from budgetpdf.contract.text import item_name, join_wrapped, squash
from budgetpdf.extract.grid import Cell, Grid
from budgetpdf.extract.layout import BBox
from budgetpdf.normalize.codes import (
    UNCLASSIFIED,
    Classification,
    SplitCodeJoiner,
    classify,
    is_code,
    split_leading_code,
)
from budgetpdf.normalize.concepts import (
    RATE,
    Concepts,
    concept_column_id,
    is_bare_total,
    is_of_which_heading,
    name_column,
    own_measure,
    read_concepts,
)
from budgetpdf.normalize.numbers import parse_amount
from budgetpdf.normalize.quantities import (
    PERCENT,
    heading_unit,
    is_direction,
    is_indicator,
    is_unit_column,
    row_unit,
)
from budgetpdf.schemas.knowledge import (
    CodeFormat,
    Context,
    HeaderVocabulary,
    Knowledge,
    TableSpec,
)

_FILLER = regex.compile(r"^[*＊]+$")  # `** ** 1 2 3`: stars mark a 栏次 row's label columns
_DASHES = regex.compile(r"^[-—–－]+$")
_BRACKETED = regex.compile(r"\([^()]*\)")


@dataclass(slots=True)
class Column:
    """One grid column as the header reads it: its index (0-based), its role (code, label,
    layout, amount, or free: a form's figure named by the text left of it), its header path
    (squashed cells top to bottom, label-block words such as 项目 left out) and its lowest
    header text ("" when none)."""

    index: int
    role: str  # code | label | layout | amount
    path: tuple[str, ...]  # normalized header components, top to bottom
    header: str  # lowest header text, normalized


@dataclass(slots=True)
class Group:
    """One code–label–amounts block of a grid, by column index: a two-sided table prints one
    per side (section 收入 or 支出, else None), a side-by-side table several."""

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
    names: dict[int, ColumnMeaning]
    header_rows: int
    headers: dict[int, str] = field(default_factory=dict)  # each column's lowest heading


@dataclass(slots=True)
class Record:
    """One amount cell read: the row's section, 1-based row number in the table and code
    (`Classification`), its name (item_name: the contract's comparable text; item_raw: as
    printed, wrapped lines joined), the 预算单位 it belongs to, the column's contract name,
    id and concepts, the value (Decimal as printed, in the table's unit unless `unit`
    says otherwise), its page (1-based) and the cell's box (x0, top, x1, bottom) in PDF
    points, top-left origin."""

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
    concepts: Concepts
    # The unit printed with the figure itself (a rate's %, a score's 分, an indicator's 项);
    # None: the table's money unit, or none at all when `money` is False.
    unit: str | None = None
    money: bool = True
    box: BBox | None = None  # the cell the amount was read from, on page


@dataclass(slots=True)
class TableFrame:
    """A stitched table read: its records, counts, pages, and every amount column it prints
    (`amount_columns`, blank ones included: a column printed with no figure in it is
    printed, not unidentified, to a check that needs it)."""

    records: list[Record]
    rows: int
    columns: int
    pages: list[int]
    amount_columns: list[ColumnMeaning] = field(default_factory=list)
    box: BBox | None = None  # the table's extent on its first page


# ---------------------------------------------------------------- header and columns


def _is_layout_row(texts: Sequence[str], vocab: HeaderVocabulary) -> bool:
    """A 栏次 row: `栏次 1 2 3` or bare consecutive column numbers (stars aside)."""
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


def _is_body_row(grid: Grid, row: int, knowledge: Knowledge) -> bool:
    """A row with an amount (a code is none), or a code in its first three cells and words."""
    texts = _row_texts(grid, row)
    if _is_layout_row(texts, knowledge.headers):
        return False
    codes = knowledge.code_format
    return any(parse_amount(t) is not None and not is_code(t, codes) for t in texts) or (
        any(is_code(t, codes) for t in texts[:3]) and any(t and not t.isdigit() for t in texts)
    )


def header_row_count(grid: Grid, knowledge: Knowledge, form: bool = False) -> int:
    """Rows above the first body row. knowledge: its header vocabulary tells 栏次 rows, and
    form keys; form: the key–value lines a form rules above its header (`部门预算编码 |
    127`) are not body rows, whatever their values look like."""
    vocab = knowledge.headers
    captions = _key_value_rows(grid, knowledge) if form else frozenset()
    for r in range(grid.n_rows):
        if r not in captions and _is_body_row(grid, r, knowledge):
            return r
    last_layout = max(
        (r for r in range(grid.n_rows) if _is_layout_row(_row_texts(grid, r), vocab)),
        default=-1,
    )
    return last_layout + 1 if last_layout >= 0 else min(grid.n_rows, 1)


def _strip_key(text: str) -> str:
    return _BRACKETED.sub("", text).rstrip(":：")


def _is_key(text: str, vocab: HeaderVocabulary) -> bool:
    """The key of a form's key–value line: 专项名称, 部门(单位)名称, 主管部门及代码, 实施单位."""
    return bool(text) and _strip_key(text).endswith(vocab.caption_keys)


def _is_value(text: str, knowledge: Knowledge) -> bool:
    """A key's value is a name or a code (`宁德市人民政府办公室`, `127`, blank), never a
    figure with decimals, another key or a column heading."""
    vocab = knowledge.headers
    if not text:
        return True
    if (
        _is_key(text, vocab)
        or text in vocab.label
        or text in vocab.code
        or knowledge.context.unit.search(text)
    ):
        return False
    return parse_amount(text) is None or text.isdigit()


def _is_key_value_row(grid: Grid, row: int, knowledge: Knowledge) -> bool:
    """`专项名称 | 127部门整体` or `部门(单位)名称 | 宁德市人民政府办公室 | 部门预算编码 | 127`:
    the row's own cells, left to right, are key | value pairs (a lone unit caption aside)."""
    texts: list[str] = []
    for c in range(grid.n_cols):
        cell = grid.at(row, c)
        if cell is None:
            continue
        if cell.row != row:
            return False  # a heading ruled over several rows: a header, not a caption line
        if cell.col == c:
            texts.append(squash(cell.text))
    vocab, unit = knowledge.headers, knowledge.context.unit
    texts = [t for t in texts if not (t and unit.search(t) and not _is_key(t, vocab))]
    if len(texts) % 2:
        texts.append("")
    pairs = list(zip(texts[::2], texts[1::2], strict=True))
    return any(k for k, _ in pairs) and all(
        (_is_key(k, vocab) and _is_value(v, knowledge)) or not (k or v) for k, v in pairs
    )


def _texts(grid: Grid, row: int) -> list[tuple[int, str]]:
    return list(enumerate(_row_texts(grid, row)))


def _key_value_rows(grid: Grid, knowledge: Knowledge) -> frozenset[int]:
    """The key–value lines at the top of a form, above its header (titles ruled across the
    whole grid and blank rows between them aside)."""
    rows = set()
    for r in range(grid.n_rows):
        if _is_key_value_row(grid, r, knowledge):
            rows.add(r)
        elif any(t and grid.at(r, c).colspan < grid.n_cols for c, t in _texts(grid, r)):
            break
    return frozenset(rows)


def _header_path(
    grid: Grid, col: int, rows: Sequence[int], context: Context
) -> list[tuple[str, int]]:
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
        if text and not _is_caption(text, context):
            path.append((text, cell.colspan))
    return path


def _is_caption(text: str, ctx: Context) -> bool:
    """A title, unit or publisher line ruled into the header (预算03表支出总表, 单位:万元)."""
    return (
        text.endswith(("表", "表)"))
        or bool(ctx.unit.search(text))
        or any(p.match(text) for p in ctx.publisher)
    )


def _is_caption_row(texts: Sequence[str], context: Context) -> bool:
    """A publisher and unit line ruled into the header (部门： | 某某厅 | 单位：万元): the row
    that holds the unit holds no column heading."""
    return any(t and context.unit.search(t) for t in texts) and any(
        t.endswith((":", "：")) for t in texts
    )


def _body_role(
    grid: Grid, col: int, start: int, codes: CodeFormat, form: bool = False
) -> str | None:
    """What a column's body holds: codes, labels or amounts, by majority. In a form a dash
    (`—`: no score for this row) is a blank and `100.00%` a figure, not words: 分值 |
    执行率(B/A) | 得分 over `10 | 100.00% | 10.00` then `— | | —`."""
    texts = [t for r in range(start, grid.n_rows) if (t := squash(grid.text(r, col)))]
    if form:
        texts = [t for t in texts if not _DASHES.match(t)]
    if not texts:
        return None
    n_codes = sum(is_code(t, codes) for t in texts)
    figure = (lambda t: t.removesuffix("%")) if form else (lambda t: t)
    amounts = sum(parse_amount(figure(t)) is not None for t in texts) - n_codes
    words = len(texts) - n_codes - amounts
    if n_codes and n_codes >= amounts and n_codes >= words:
        return "code"
    if words > amounts:
        return "label"
    return "amount"


def _columns(
    grid: Grid, header_rows: int, knowledge: Knowledge, form: bool = False
) -> list[Column]:
    vocab = knowledge.headers
    captions = _key_value_rows(grid, knowledge) if form else frozenset()
    text_rows = [
        r
        for r in range(header_rows)
        if r not in captions
        and not _is_layout_row(texts := _row_texts(grid, r), vocab)
        and not _is_caption_row(texts, knowledge.context)
    ]
    columns = []
    for c in range(grid.n_cols):
        path = _header_path(grid, c, text_rows, knowledge.context)
        texts = [t for t, _ in path]
        lowest = texts[-1] if texts else ""
        body = _body_role(grid, c, header_rows, knowledge.code_format, form)
        if any(t in vocab.layout for t in texts) or "".join(texts) in vocab.layout:
            role = "layout"  # 序号 also when its two characters sit in two header rows
        elif lowest in vocab.code or (lowest in vocab.label and body == "code"):
            role = "code"
        elif lowest.endswith(vocab.code_suffixes):  # 部门经济科目编码 codes; 单位编码 is layout
            role = "code" if body == "code" else "layout"
        elif _names_rows(lowest, vocab) or lowest in vocab.unit_label or body == "label":
            role = "label"
        elif not texts and body == "code":
            role = "code"
        elif not texts and captions:
            # its only heading was a key–value line: a form's figure is named by the text
            # to its left (`实施期资金总额: | 5.00`), not by a project's or 部门's name
            role = "free"
        else:
            role = "amount"
        measures = tuple(t for t, span in path if t not in vocab.label_block)
        columns.append(Column(c, role, measures, lowest))
    return columns


def _is_code_heading(header: str, vocab: HeaderVocabulary) -> bool:
    """类, 款, 科目编码, 序号: a heading over codes or numbering, never over figures."""
    return header in vocab.code or header in vocab.layout or header.endswith(vocab.code_suffixes)


def _names_rows(header: str, vocab: HeaderVocabulary) -> bool:
    """A heading that names the row (项目名称; 三级指标 in a form's indicator block)."""
    return header in vocab.label or header in vocab.block_headings


def _groups(
    grid: Grid, columns: list[Column], spec: TableSpec, vocab: HeaderVocabulary
) -> list[Group]:
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
            group.economic = group.economic or any(w in col.header for w in vocab.economic)
            if col.header in vocab.unit_label:
                group.unit_cols.append(col.index)
        elif col.role == "amount":
            group.amount_cols.append(col.index)
    return groups


@dataclass(frozen=True, slots=True)
class ColumnMeaning:
    """What an amount column is: its contract name, its id and its concepts (contract 1.1)."""

    name: str
    id: str
    concepts: Concepts
    unit: str | None = None  # the unit its heading gives (%, 分, 万元), whatever the table's
    indicator: bool = False  # indicator values: each row prints its own unit, or none
    path: tuple[str, ...] = field(default=(), compare=False)  # the header path it was read from


def column_meaning(
    path: tuple[str, ...],
    siblings: list[tuple[str, ...]],
    spec: TableSpec,
    knowledge: Knowledge,
    single: bool,
    year: int | None,
    doc_kind: str | None,
    keep_flow: bool = False,
) -> ColumnMeaning:
    """Read one amount column by the concept rules (normalize/concepts.py). A side printed with
    one amount column in a table that names it (single_amount) is the table's figure."""
    rules = knowledge.concepts
    concepts = read_concepts(path, spec, knowledge, doc_kind, year, siblings)
    if single:
        concepts = Concepts(concepts.measure)
        own = concepts.measure == own_measure(spec, rules, doc_kind)
        name = spec.single_amount if own else concepts.measure
    else:
        name, concepts = name_column(concepts, path, spec, knowledge, doc_kind, year, keep_flow)
        if any(is_of_which_heading(c, rules) for c in path) and "其中" not in name:
            # contract: a 其中 column keeps the 其中: part in column_name (其中:事业单位经营支出)
            name = f"其中:{name}"
    q = knowledge.quantities
    unit = PERCENT if concepts.measure == RATE else heading_unit(path, q)
    indicator = unit is None and is_indicator(path, q)
    id_ = concept_column_id(concepts, name, knowledge)
    return ColumnMeaning(name, id_, concepts, unit, indicator, tuple(path))


def _one_column_per_name(
    names: dict[int, ColumnMeaning],
    cols: Sequence[int],
    spec: TableSpec,
    knowledge: Knowledge,
    year: int | None,
    doc_kind: str | None,
) -> None:
    """Columns of one side that still read the same after the year-flow pass: where exactly one
    of them is printed as its name, that one keeps it and the others keep their printed path
    with no concept, so a sum or a query by name never meets two figures in one cell. Source:
    西安's 收入总表 prints 上年结转 | 上年实户资金余额; the vocabulary reads the second as 上年结转
    where it stands alone (schemas/concepts.toml)."""
    same: dict[ColumnMeaning, list[int]] = {}
    for c in cols:
        same.setdefault(names[c], []).append(c)
    for meaning, group in same.items():
        leaf = meaning.name.rsplit("/", 1)[-1]
        printed = [c for c in group if names[c].path and squash(names[c].path[-1]) == leaf]
        if len(group) < 2 or len(printed) != 1:
            continue
        for c in group:
            if c == printed[0]:
                continue
            kept = Concepts(meaning.concepts.measure, unmapped=True)
            name, kept = name_column(kept, names[c].path, spec, knowledge, doc_kind, year)
            cid = concept_column_id(kept, name, knowledge)
            names[c] = replace(meaning, name=name, id=cid, concepts=kept)


def layout_of(
    grid: Grid,
    spec: TableSpec,
    knowledge: Knowledge,
    year: int | None = None,
    doc_kind: str | None = None,
) -> Layout:
    """Groups and amount columns of one grid, read by the knowledge's header vocabulary and
    concept rules. year, doc_kind: the document's fiscal year and 预算/决算, which set each
    column's measure (2025年预算数 in a 2026 budget → 上年预算数)."""
    header_rows = header_row_count(grid, knowledge, spec.form)
    columns = _columns(grid, header_rows, knowledge, spec.form)
    groups = _groups(grid, columns, spec, knowledge.headers)
    sections = knowledge.headers.sections if spec.two_sided else frozenset()

    def path(c: int) -> tuple[str, ...]:
        return tuple(p for p in columns[c].path if p not in sections)

    names: dict[int, ColumnMeaning] = {}
    for group in groups:
        single = bool(spec.single_amount) and len(group.amount_cols) == 1
        # the columns a bare total is read against: the same side of a two-sided table, else
        # every amount column of the table
        side = [g for g in groups if g.section == group.section] if spec.two_sided else groups
        for c in group.amount_cols:
            siblings = [path(d) for g in side for d in g.amount_cols if d != c]
            names[c] = column_meaning(path(c), siblings, spec, knowledge, single, year, doc_kind)
    for group in groups:
        single = bool(spec.single_amount) and len(group.amount_cols) == 1
        side = [g for g in groups if g.section == group.section] if spec.two_sided else groups
        for c in group.amount_cols:
            others = [d for g in side for d in g.amount_cols if d != c]
            if any(names[d] == names[c] for d in others):
                # two columns read the same: a printed year flow tells one from the other
                siblings = [path(d) for d in others]
                names[c] = column_meaning(
                    path(c), siblings, spec, knowledge, single, year, doc_kind, True
                )
    for section in {g.section for g in groups} if spec.two_sided else {None}:
        cols = [c for g in groups if section in (None, g.section) for c in g.amount_cols]
        _one_column_per_name(names, cols, spec, knowledge, year, doc_kind)
    headers = {col.index: col.header for col in columns}
    return Layout(grid.n_cols, groups, names, header_rows, headers)


# ---------------------------------------------------------------- body rows


@dataclass(slots=True)
class _RowReader:
    spec: TableSpec
    layout: Layout
    joiners: list[SplitCodeJoiner]
    knowledge: Knowledge
    units: dict[int, str] = field(default_factory=dict)
    doc_kind: str | None = None
    year: int | None = None
    _by_row: dict[tuple[tuple[str, ...], str], ColumnMeaning] = field(default_factory=dict)

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
        k = self.knowledge
        unmapped = Concepts(own_measure(self.spec, k.concepts, self.doc_kind), unmapped=True)
        label = ""
        for c in range(grid.n_cols):
            text = grid.text(row, c)
            value = parse_amount(text)
            # a text column with a heading (实际完成值 over `37500`, `符合国家要求`) names
            # its figures; a heading that names rows (三级指标) does not
            heading = self.layout.headers.get(c, "")
            code_heading = _is_code_heading(heading, k.headers)
            heading = "" if _names_rows(heading, k.headers) or code_heading else heading
            if value is None:
                # `三级指标 | ≥ | 85`: the direction (≥, 定性) between them names nothing
                if not is_direction(text, k.quantities):
                    label = text or label
            elif c not in amount_cols and label and (heading or not is_code(text, k.code_format)):
                name = item_name(label)
                column = heading or name
                own = heading_unit([heading], k.quantities)
                unit, money = self._unit(grid, row, c, own, heading)
                meaning = ColumnMeaning(column, concept_column_id(unmapped, column, k), unmapped)
                if money and not is_indicator([heading], k.quantities):
                    meaning = self._row_meaning(meaning, ((heading,) if heading else ()), label)
                out.append(
                    Record(
                        None,
                        row_no,
                        UNCLASSIFIED,
                        name,
                        join_wrapped(label),
                        None,
                        meaning.name,
                        meaning.id,
                        value,
                        grid.page,
                        meaning.concepts,
                        unit,
                        money,
                        grid.at(row, c).bbox,
                    )
                )
        return out

    def _row_meaning(
        self, meaning: ColumnMeaning, path: tuple[str, ...], label: str
    ) -> ColumnMeaning:
        """A form names some money on the row, not the column: a 绩效自评表 prints 年初预算数 |
        全年预算数 | 全年执行数 over the rows 年度资金总额 | 其中：财政拨款 | 上年结转资金 |
        其他资金, a 绩效目标表 `实施期资金总额： | 23887.72`. A figure whose column names no
        fund, spending or expense takes the concepts of its column's path and its row label."""
        c = meaning.concepts
        if (
            not label
            or is_bare_total(label, self.knowledge.concepts)
            or any((c.fund, c.spending, c.expense_item))
        ):
            return meaning
        key = (path, label)
        if key not in self._by_row:
            row = column_meaning(
                (*path, label), [], self.spec, self.knowledge, False, self.year, self.doc_kind
            )
            r = row.concepts
            self._by_row[key] = row if any((r.fund, r.spending, r.expense_item)) else meaning
        return self._by_row[key]

    def _unit(
        self, grid: Grid, row: int, col: int, own: str | None, heading: str
    ) -> tuple[str | None, bool]:
        """(unit, money) of a figure whose heading gives `own` unit or none. An indicator
        value takes its row's unit (a 度量单位 column, or a name ending in `（项）`) and is
        not money when its row prints none; a form's other figures take a unit their row
        prints (`资金金额（万元）` heading the 资金总额 rows), else the table's."""
        if own is not None:
            return own, True
        q = self.knowledge.quantities
        indicator = is_indicator([heading], q)
        if not (indicator or self.spec.form):
            return None, True
        units = [grid.text(row, c) for c, h in self.layout.headers.items() if is_unit_column(h, q)]
        unit = row_unit([*units, *_texts_left_of(grid, row, col)], q)
        return unit, unit is not None or not indicator

    def _label_text(self, grid: Grid, row: int, group: Group) -> str:
        """The row's name: the preferred label column (the last one, or the table's
        label_headers), else whichever label column is printed (a unit's subtotal row). A cell
        that only points a target's direction names nothing: on a 绩效目标表 page that does
        not repeat its header (`控烟公益广告宣传成本 | ≤ | 450`) the name is the nearest label
        left of it."""
        q = self.knowledge.quantities

        def names(cols: Sequence[int]) -> list[str]:
            return [
                t for c in cols if (t := _covering_text(grid, row, c)) and not is_direction(t, q)
            ]

        chosen = self._label_cols(grid, group)
        named = names(chosen)
        if not named and any(_covering_text(grid, row, c) for c in chosen):
            named = names([c for c in group.label_cols if c < min(chosen)])[-1:]
        return "\n".join(dict.fromkeys(named or names(group.label_cols)))

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
        if len(cols) > 1 and self.spec.form:
            # 三级指标 names an indicator, not the 年度指标值 printed right of it
            vocab = self.knowledge.headers
            naming = [c for c in cols if _names_rows(self.layout.headers.get(c, ""), vocab)]
            return naming[-1:] or cols[-1:]
        return cols[-1:]

    def _group_records(
        self, grid: Grid, row: int, row_no: int, group: Group, joiner: SplitCodeJoiner
    ) -> list[Record]:
        values = [(c, parse_amount(grid.text(row, c))) for c in group.amount_cols]
        values = [(c, v) for c, v in values if v is not None]
        code_texts = [grid.text(row, c) for c in group.code_cols]
        codes = self.knowledge.code_format
        code = self._code(code_texts, joiner, codes)
        self._track_unit(grid, row, group)
        label = self._label_text(grid, row, group)
        if not label:
            # A merged 合计 cell starts in the code column.
            label = "\n".join(
                t for t in code_texts if t and not is_code(t, codes) and not t.isdigit()
            )
        if code is None:
            code, label = _code_from_label(label, codes)
        if code is None and label and any(_is_unit_code(t, codes) for t in code_texts):
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
        classification = classify(code, codes) if code else UNCLASSIFIED
        return [
            Record(
                section=group.section,
                row_no=row_no,
                classification=classification,
                item_name=name,
                item_raw=join_wrapped(label),
                unit_name=self.units.get(self.layout.groups.index(group)),
                column_name=meaning.name,
                column_id=meaning.id,
                value=v,
                page=grid.page,
                concepts=meaning.concepts,
                unit=unit,
                money=money,
                box=grid.at(row, c).bbox,
            )
            for c, v in values
            for unit, money in [self._column_unit(grid, row, c)]
            for meaning in [self._figure_meaning(c, label, money)]
        ]

    def _figure_meaning(self, col: int, label: str, money: bool) -> ColumnMeaning:
        meaning = self.layout.names[col]
        if not self.spec.form or not money or meaning.unit or meaning.indicator:
            return meaning
        return self._row_meaning(meaning, meaning.path, squash(label))

    def _column_unit(self, grid: Grid, row: int, col: int) -> tuple[str | None, bool]:
        meaning = self.layout.names[col]
        if meaning.unit is not None or not meaning.indicator:
            return meaning.unit, True
        return self._unit(grid, row, col, None, self.layout.headers.get(col, ""))

    @staticmethod
    def _code(texts: list[str], joiner: SplitCodeJoiner, codes: CodeFormat) -> str | None:
        if len(texts) > 1:
            return joiner.join(texts)
        if texts and is_code(texts[0], codes):
            return squash(texts[0])
        return None


_UNIT_CODE = regex.compile(r"^\d{6,}$")


def _is_unit_code(text: str, codes: CodeFormat) -> bool:
    """A 预算单位's own code (125001) printed in the code column over the rows of that unit:
    six digits or more, never a classification code (3, 5 or 7 digits)."""
    return bool(_UNIT_CODE.match(text.strip())) and not is_code(text, codes)


def _orphan_label(grid: Grid, row: int, group: Group) -> str:
    """A label printed across two groups (`公用经费合计` over the middle block of 06) names
    the amounts of the next group: the nearest text to the left, unless an amount is nearer."""
    first = min(group.code_cols + group.label_cols + group.amount_cols)
    for c in range(first - 1, -1, -1):
        text = _covering_text(grid, row, c)
        if text:
            return "" if parse_amount(text) is not None else text
    return ""


def _texts_left_of(grid: Grid, row: int, col: int) -> list[str]:
    """The texts of a row's cells left of a column, nearest first, cells merged in from
    above or the left included once (a row heading spanning its block: `资金金额（万元）`)."""
    out, seen = [], set()
    for c in range(col - 1, -1, -1):
        cell = grid.at(row, c)
        if cell is not None and id(cell) not in seen:
            seen.add(id(cell))
            out.append(cell.text)
    return out


def _covering_text(grid: Grid, row: int, col: int) -> str:
    """Text of the cell over a position, also when it was merged in from the left."""
    cell = grid.at(row, col)
    return cell.text if cell is not None and cell.row == row else ""


def _code_from_label(label: str, codes: CodeFormat) -> tuple[str | None, str]:
    code, rest = split_leading_code(label, codes)
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
    before that it stands under, each group with the section of the group above it, and every
    column the heading of the column it stands under (a 绩效目标表 page without its header
    still knows its 三级指标 and 度量单位 columns)."""

    def under(c: int, candidates: Iterable[int]) -> int | None:
        spans = [
            (_overlap(grid.xs[c], grid.xs[c + 1], before_grid.xs[p], before_grid.xs[p + 1]), p)
            for p in candidates
        ]
        width, p = max(spans, default=(0.0, -1))
        return p if width > 0 else None

    names: dict[int, ColumnMeaning] = {}
    headers = dict(own.headers)
    for c in range(grid.n_cols):
        if (p := under(c, before.headers)) is not None:
            headers[c] = before.headers[p]
    for c in (c for g in own.groups for c in g.amount_cols):
        if (p := under(c, before.names)) is not None:
            names[c] = before.names[p]
            headers[c] = before.headers.get(p, "")
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
    return Layout(grid.n_cols, groups, names, 0, headers)


def _header_texts(grid: Grid, rows: int) -> set[str]:
    return {t for r in range(rows) for t in _row_texts(grid, r) if t}


def _row_signature(grid: Grid, row: int) -> tuple[str, ...]:
    return tuple(squash(grid.text(row, c)) for c in range(grid.n_cols))


def _is_block_heading_row(grid: Grid, row: int, vocab: HeaderVocabulary) -> bool:
    """A row printing two or more headings that open a second header (一级指标 | 二级指标)."""
    headings = vocab.block_headings
    return sum(t in headings for t in _row_texts(grid, row)) >= 2


def _row_block(grid: Grid, start: int, stop: int) -> Grid:
    """Rows [start, stop) of a grid as a grid of their own. A cell reaching over the block's
    edge is clipped to it; its text stays in the block where it starts."""
    cells = []
    for cell in grid.cells:
        top, bottom = max(cell.row, start), min(cell.row + cell.rowspan, stop)
        if top >= bottom:
            continue
        text = cell.text if cell.row >= start else ""
        bbox = (cell.bbox[0], grid.ys[top], cell.bbox[2], grid.ys[bottom])
        cells.append(Cell(text, top - start, cell.col, bottom - top, cell.colspan, bbox))
    return Grid(grid.page, grid.xs, grid.ys[start : stop + 1], cells, grid.ruled)


def form_blocks(grid: Grid, knowledge: Knowledge) -> list[Grid]:
    """A form's grid cut where a second header starts inside its body: the 部门整体绩效自评表
    prints its 资金 block (预算安排 | 拨付情况 | 结余情况 …) and below it the indicator block
    (一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 指标分值 | 自评得分), each
    read by its own header. One block where there is no second header."""
    first_body = header_row_count(grid, knowledge, form=True)
    vocab = knowledge.headers
    starts = [
        r for r in range(first_body + 1, grid.n_rows) if _is_block_heading_row(grid, r, vocab)
    ]
    if not starts:
        return [grid]
    edges = [0, *starts, grid.n_rows]
    return [_row_block(grid, a, b) for a, b in zip(edges, edges[1:], strict=False)]


def build_frame(
    spec: TableSpec,
    grids: Sequence[Grid],
    knowledge: Knowledge,
    year: int | None = None,
    doc_kind: str | None = None,
) -> TableFrame:
    """Records of a table printed over one or more grids (pages), in printed order, read by
    the knowledge (header vocabulary, concept rules, quantities, 类 by name). year, doc_kind:
    the document's fiscal year and 预算/决算 (else the table's own kind), from which each
    column's measure is read."""
    records: list[Record] = []
    layout: Layout | None = None
    first_body: list[tuple[str, ...]] = []
    first_header: set[str] = set()
    previous: Grid | None = None
    row_no = 0
    joiners: list[SplitCodeJoiner] = []
    units: dict[int, str] = {}  # the 预算单位 each group's rows belong to, across pages
    printed: dict[str, ColumnMeaning] = {}

    def joiner() -> SplitCodeJoiner:
        return SplitCodeJoiner(knowledge.class_by_name, knowledge.code_format, knowledge.ordinals)

    blocks = [
        (b, i > 0)
        for g in grids
        for i, b in enumerate(form_blocks(g, knowledge) if spec.form else [g])
    ]
    for grid, inner in blocks:
        own = layout_of(grid, spec, knowledge, year, doc_kind)
        texts = _header_texts(grid, own.header_rows)
        # A page that continues a table without repeating its header: its leading rows
        # (blank, or label-only template rows) share no text with the real header. A second
        # header inside a page (a form's indicator block) is its own.
        inherits = not inner and layout is not None and not (texts & first_header)
        if inherits and grid.n_cols != layout.n_cols:
            layout = _realigned(own, grid, layout, previous)
            joiners = [joiner() for _ in layout.groups]
        elif not inherits:
            layout = own
            first_header = first_header or texts
            if len(joiners) != len(layout.groups):  # a repeated header keeps the 类/款 carry
                joiners = [joiner() for _ in layout.groups]
        previous = grid
        printed.update((m.name, m) for m in layout.names.values())
        start = 0 if inherits else layout.header_rows
        reader = _RowReader(spec, layout, joiners, knowledge, units, doc_kind, year)
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
    first = [g.bbox for g in grids if g.page == pages[0]] if pages else []
    box = (
        (
            min(b[0] for b in first),
            min(b[1] for b in first),
            max(b[2] for b in first),
            max(b[3] for b in first),
        )
        if first
        else None
    )
    return TableFrame(records, rows, columns, pages, list(printed.values()), box)
