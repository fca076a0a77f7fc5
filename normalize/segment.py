"""Find the tables of a document: which grid belongs to which printed title, and which
grid continues the table of the page before."""

from __future__ import annotations

from dataclasses import dataclass, field

import regex
from budgetpdf.contract.text import squash, strip_ordinal
from budgetpdf.extract.grid import Grid
from budgetpdf.extract.layout import TextLine
from budgetpdf.extract.page import PageLayout
from budgetpdf.schemas.knowledge import OTHER, Context, Knowledge, TableSpec

MAX_TITLE_CHARS = 60
UNNAMED = "未命名表格"


@dataclass(slots=True)
class Title:
    """A title line on a page: the canonical table it names (OTHER for an unknown `…表`), its
    text as printed, the table label printed with it (预算01表, or None), the line itself
    (positions in PDF points), and whether it is a fallback title (`TitleVariant.fallback`)."""

    spec: TableSpec
    text: str  # as printed
    label: str | None
    line: TextLine
    fallback: bool = False


@dataclass(slots=True)
class Fragment:
    """One grid (or a titled region still to be read) on one page."""

    page: int
    region: tuple[float, float, float, float]
    grid: Grid | None
    title: Title | None  # None: continues the previous table


@dataclass(slots=True)
class TableSegment:
    """One printed table over one or more pages: its canonical table (demote_fallbacks may
    change it), the title as printed, its label (table_code), its money unit (元, 千元, 万元,
    亿元, or None when none is printed), the 部门/单位 line naming its unit, and its
    fragments (one grid a page, in page order)."""

    spec: TableSpec
    title_raw: str
    table_code: str | None
    unit: str | None
    unit_name: str | None
    fragments: list[Fragment] = field(default_factory=list)
    fallback: bool = False
    # A table printed without a title of its own: the title of the table it continues, or
    # the nearest title-like line above it (see stitch.DocumentReader._continue)
    borrowed_title: str | None = None

    @property
    def name(self) -> str:
        """The contract's table_name: the canonical name, else the title as printed, else
        a borrowed title, else UNNAMED (never empty)."""
        return self.spec.name or squash(self.title_raw) or self.borrowed_title or UNNAMED


def find_label(text: str, context: Context) -> str | None:
    """The table label a text prints (预算01表, 表一), by the label patterns of context."""
    s = squash(text)
    for pattern in context.labels:
        m = pattern.search(s)
        if m:
            return m.group(0)
    return None


def _strip_labels(s: str, context: Context) -> str:
    for pattern in context.labels:
        s = pattern.sub("", s)
    return s


def match_title(line: TextLine, knowledge: Knowledge) -> Title | None:
    """The canonical table a line titles (by the knowledge's title variants), OTHER for an
    unknown 'xx表', or None for prose."""
    raw = line.text
    s = squash(raw)
    context = knowledge.context
    if not s or len(s) > MAX_TITLE_CHARS or context.not_title.search(s):
        return None
    label = find_label(s, context)
    core = _core(s, context)
    if not regex.sub(r"(\([^()]*\))+$", "", core).endswith("表"):
        return None
    best = _best_variant(core, knowledge)
    if best is None:
        return Title(OTHER, raw, label, line)
    return Title(best[1], raw, label, line, fallback=best[2])


def _core(s: str, context: Context) -> str:
    core = strip_ordinal(_strip_labels(s, context)).rstrip(":：")
    return regex.sub(r"[\"“”'‘’「」『』]", '"', core)


def _best_variant(core: str, knowledge: Knowledge) -> tuple[str, TableSpec, bool] | None:
    """The longest printed variant of a table's title that the title holds (`Knowledge.titles`:
    with its table and whether it is a fallback title)."""
    best: tuple[str, TableSpec, bool] | None = None
    for v in knowledge.titles:
        if v.text in core and (best is None or len(v.text) > len(best[0])):
            best = (v.text, v.spec, v.fallback)
    return best


def page_titles(page: PageLayout, knowledge: Knowledge) -> list[Title]:
    """The titles a page prints, each read with the line above or below it where a title is
    wrapped over two lines."""
    titles: list[Title] = []
    for i, line in enumerate(page.lines):
        title = match_title(line, knowledge)
        if title and i > 0 and not (titles and titles[-1].line is page.lines[i - 1]):
            title = _joined(page.lines[i - 1], line, title, knowledge)
        if title and i + 1 < len(page.lines):
            title = _joined(line, page.lines[i + 1], title, knowledge, qualifier=True)
        if title:
            titles.append(title)
    return titles


def _joined(
    upper: TextLine, lower: TextLine, title: Title, knowledge: Knowledge, qualifier: bool = False
) -> Title:
    """A title wrapped over two lines (…"三公"经费及 / 会议费、培训费支出预算表, or …明细表 /
    (按支出经济分类科目)): read together, they name the table the whole title says."""
    if lower.top - upper.bottom >= upper.height:
        return title
    s = squash(lower.text)
    context = knowledge.context
    if qualifier and (not (s.startswith("(") and s.endswith(")")) or match_title(lower, knowledge)):
        return title  # a qualifier is no title itself: （八）一般公共预算支出表（按经济分类）
    if not qualifier and (
        find_label(s, context)  # 表8 … and 八、… start a title of their own
        or strip_ordinal(s) != s
        or not _strip_labels(squash(upper.text), context)  # a label line (表八) over its title
        or not _wraps(squash(upper.text) + s, s, knowledge)
    ):
        return title
    joined = match_title(TextLine((*upper.words, *lower.words)), knowledge)
    if joined is None or joined.spec == OTHER or (not qualifier and joined.spec == title.spec):
        return title
    return joined


WRAPPED_TITLE_CHARS = 4


def _wraps(whole: str, lower: str, knowledge: Knowledge) -> bool:
    """Whether a title read over two lines names its table by words printed on the upper
    line too, more than a word cut at the break (支出决 / 算表 is no 支出决算表)."""
    core = _core(whole, knowledge.context)
    best = _best_variant(core, knowledge)
    if best is None:
        return False
    upper_chars = len(core) - len(_core(lower, knowledge.context)) - core.find(best[0])
    return upper_chars >= WRAPPED_TITLE_CHARS


_CJK = regex.compile(r"\p{Han}")


def title_like_above(page: PageLayout, top: float, context: Context) -> str | None:
    """The nearest line above `top` that could name a table: short, with Chinese words,
    no prose (not_title) and no unit, label or 部门 line (`四、部门人员情况说明` over a
    chart's grid). None where the page prints none."""
    above = sorted((ln for ln in page.lines if ln.bottom <= top + 1), key=lambda ln: -ln.top)
    for line in above:
        s = squash(line.text)
        if (
            len(s) <= MAX_TITLE_CHARS
            and len(_CJK.findall(s)) >= 2
            and not context.not_title.search(line.text)  # ， before NFKC makes it ,
            and not context.not_title.search(s)
            and not is_context_line(line, context)
        ):
            return s
    return None


TOC_TITLES = 5


def listed_tables(page: PageLayout, titles: list[Title], context: Context) -> dict[str, str]:
    """Canonical tables a table-of-contents page names (id → title as printed): a page whose
    first three lines hold a 目录 heading (context.toc_heading), or that names five tables or
    more. titles: page_titles(page, knowledge)."""
    titles = [t for t in titles if t.spec != OTHER]
    heading = any(context.toc_heading.match(squash(ln.text)) for ln in page.lines[:3])
    toc = len(titles) >= TOC_TITLES or heading
    return {t.spec.id: t.text for t in titles} if toc else {}


def find_unit(lines: list[TextLine], context: Context) -> str | None:
    """The money unit printed on a table's title lines (千元, 万元, 亿元 or 元): a unit line
    (`金额单位：万元`, `单位:元`, `（万元）` alone), one after a 部门 name on the same line
    (`部门：江苏省人民检察院 单位：万元`), or a bracketed unit closing the title itself
    (`收支总表（万元）`), by the unit patterns of context. None where none is printed."""
    for line in lines:
        s = squash(line.text)
        m = context.unit.search(s) or context.title_unit.search(s)
        if m:
            return next(g for g in m.groups() if g)
    return None


def find_unit_name(lines: list[TextLine], context: Context) -> str | None:
    """The 部门/单位 a table's lines name (`部门：某某局`), by the publisher patterns."""
    for line in lines:
        s = squash(line.text)
        for pattern in context.publisher:
            m = pattern.match(s)
            if m and m.group(1):
                return m.group(1)
    return None


def segment_page(page: PageLayout, titles: list[Title]) -> list[tuple[Title | None, Fragment]]:
    """Fragments of a page in reading order, each with the title above it (if any).

    A titled region runs from its title to the next title; grids inside it belong to it.
    Grids above the first title continue the previous page's table. A titled region with no
    ruled grid gets a Fragment with grid=None, to be read from text positions.
    titles: page_titles(page), matched once per page.
    """
    titles = [t for t in titles if t.spec != OTHER or _grid_below(page, t)]
    bounds = [t.line.top for t in titles] + [page.height]
    out: list[tuple[Title | None, Fragment]] = []
    first_top = bounds[0]
    anchors = {id(g): _anchor(g, titles) for g in page.grids}
    for grid in page.grids:
        if anchors[id(grid)] < first_top:
            out.append((None, Fragment(page.number, grid.bbox, grid, None)))
    if not titles and not page.grids:
        out.append((None, Fragment(page.number, (0, 0, page.width, page.height), None, None)))
    for i, title in enumerate(titles):
        top, bottom = title.line.bottom, bounds[i + 1]
        grids = [g for g in page.grids if top - 2 <= anchors[id(g)] < bottom]
        if grids:
            out.extend((title, Fragment(page.number, g.bbox, g, title)) for g in grids)
        else:
            out.append((title, Fragment(page.number, (0, top, page.width, bottom), None, title)))
    if titles and not any(anchors[id(g)] < first_top for g in page.grids) and first_top > 0:
        out.insert(0, (None, Fragment(page.number, (0, 0, page.width, first_top), None, None)))
    return out


def _anchor(grid: Grid, titles: list[Title]) -> float:
    """Where a grid starts for the purpose of finding its title: its top, or the bottom of a
    title printed inside its first rows (some templates rule the title into the table, or
    only the title's qualifier line: 部门专项业务经费绩效目标表 over a ruled （2026年度））."""
    inside = [
        t.line.bottom
        for t in titles
        if grid.ys[0] - 2 <= t.line.bottom and t.line.top < grid.ys[-1]
    ]
    return max([grid.ys[0], *inside])


def body_top(grid: Grid) -> float:
    """The top of the first row that is not a caption spanning the whole width."""
    for r in range(grid.n_rows):
        cell = grid.at(r, 0)
        if cell is None or cell.colspan < grid.n_cols:
            return grid.ys[r]
    return grid.ys[0]


def _grid_below(page: PageLayout, title: Title) -> bool:
    """A grid starts under the title, or the title is ruled into a grid's first row
    (预算表12项目支出绩效目标表 inside its table)."""
    return any(
        0 <= g.ys[0] - title.line.bottom < 80
        or g.n_rows > 0
        and g.ys[0] - 2 <= title.line.top < g.ys[1]
        for g in page.grids
    )


CONTEXT_LINES_IN_TABLE = 3


def is_context_line(line: TextLine, context: Context) -> bool:
    """A line printed with a title rather than in the table: a unit (金额单位：万元, or
    `部门：某某局 单位：万元` on one line), a label (表一), or a 部门/单位 line."""
    s = squash(line.text)
    return bool(
        context.unit.search(s)
        or (find_label(s, context) and len(s) < 20)
        or find_unit_name([line], context)
    )


def title_lines(
    page: PageLayout, title: Title, region_top: float, context: Context
) -> list[TextLine]:
    """The lines printed with a title: those between it and its table, and, where the title
    is ruled into the table's first rows (预算02表 收入总表 inside the grid, its
    `金额单位：万元` on the next line, region_top above both), the context lines that follow
    it, up to the first line that is not one."""
    lines = sorted((ln for ln in page.lines if ln.top >= title.line.top - 1), key=lambda ln: ln.top)
    out: list[TextLine] = []
    extra = 0
    for line in lines:
        if line.bottom <= region_top + 1 or line.top <= title.line.bottom:
            out.append(line)
        elif extra < CONTEXT_LINES_IN_TABLE and is_context_line(line, context):
            out.append(line)
            extra += 1
        else:
            break
    return out


def describe(
    page: PageLayout, title: Title, region_top: float, context: Context
) -> tuple[str | None, str | None, str | None]:
    """(table_code, unit, unit_name) printed with a title (see title_lines)."""
    lines = title_lines(page, title, region_top, context)
    label = title.label or next(
        (lab for ln in lines if (lab := find_label(ln.text, context))), None
    )
    return label, find_unit(lines, context), find_unit_name(lines, context)
