"""Stitch a document's pages into tables: which fragment starts a table, which continues the
table of the page before (with or without a repeated title or header), and which titles name
a canonical table only where no primary twin is printed."""

from __future__ import annotations

from dataclasses import dataclass, field

from budgetpdf.contract.text import squash
from budgetpdf.extract.grid import Grid
from budgetpdf.extract.layout import TextLine, Word
from budgetpdf.extract.ocr import OcrLayout
from budgetpdf.extract.page import PageLayout
from budgetpdf.extract.stream import infer_grid
from budgetpdf.normalize.frame import header_row_count
from budgetpdf.normalize.numbers import parse_amount
from budgetpdf.normalize.segment import (
    Fragment,
    TableSegment,
    body_top,
    describe,
    is_context_line,
    listed_tables,
    page_titles,
    segment_page,
    title_like_above,
)
from budgetpdf.schemas.knowledge import OTHER, Knowledge


@dataclass(slots=True)
class DocumentReader:
    """Walks the pages once, stitching fragments into tables as it goes. knowledge: the
    loaded knowledge its titles, units and headers are read by."""

    knowledge: Knowledge
    segments: list[TableSegment] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)
    pages: int = 0
    blank_pages: int = 0
    unread_pages: list[int] = field(default_factory=list)  # no text layer, not read by OCR
    ocr_pages: list[int] = field(default_factory=list)  # read from their image
    unmapped_glyphs: int = 0
    undecoded_pages: list[int] = field(default_factory=list)  # pages with unmapped glyphs
    glyphs: int = 0
    _open: TableSegment | None = None
    _runs_on: bool = False
    _titled_on: int = 0  # page of the open table's title
    listed: dict[str, str] = field(default_factory=dict)  # tables the 目录 names
    toc_pages: set[int] = field(default_factory=set)

    def read(self, page: PageLayout) -> None:
        """Read the next page (pages in order): count it, keep its lines, and start, continue
        or end tables by its titles and grids (unruled regions are inferred here)."""
        self.pages += 1
        self.lines.extend(page.lines)
        self.unmapped_glyphs += page.unmapped_glyphs
        if page.unmapped_glyphs:
            self.undecoded_pages.append(page.number)
        self.glyphs += len(page.chars)
        read_by_ocr = isinstance(page, OcrLayout)
        if read_by_ocr:
            self.ocr_pages.append(page.number)
        if not page.chars:
            self.blank_pages += 1
            if not read_by_ocr:  # a scanned page OCR found nothing on was read all the same
                self.unread_pages.append(page.number)
            self._open = None
            return
        titles = page_titles(page, self.knowledge)
        listed = listed_tables(page, titles, self.knowledge.context)
        if listed:
            self.listed.update(listed)
            self.toc_pages.add(page.number)
        for title, fragment in segment_page(page, titles):
            if title is None:
                self._continue(page, fragment)
            else:
                self._start(page, title, fragment)
        self._runs_on = self._last_thing_on(page)

    def _last_thing_on(self, page: PageLayout) -> bool:
        """Whether the open table ends this page, with nothing but a page number below it."""
        last = self._open.fragments[-1] if self._open and self._open.fragments else None
        if last is None or last.page != page.number:
            return False
        below = [ln for ln in page.lines if ln.top > last.grid.ys[-1] + 2]
        page_number = self.knowledge.context.page_number
        return all(page_number.match(squash(ln.text)) for ln in below)

    def _start(self, page: PageLayout, title, fragment: Fragment) -> None:
        table_top = body_top(fragment.grid) if fragment.grid else fragment.region[1] + 60
        label, unit, unit_name = describe(page, title, table_top, self.knowledge.context)
        if self._open and self._open.fragments and self._open.fragments[-1].title is title:
            segment = self._open  # a second grid under the same title
        elif self._repeats_open_title(page, title, unit_name):
            segment = self._open  # a continuation page that prints the title again
        else:
            segment = TableSegment(
                title.spec, title.text, label, unit, unit_name, fallback=title.fallback
            )
            self.segments.append(segment)
        segment.unit = segment.unit or unit  # a continuation page may print what page 1 did not
        if fragment.grid is None:
            region = _below_context(page, fragment, self.knowledge)
            fragment.grid = infer_grid(
                page.number, _words(page), region, None, self.knowledge.stream
            )
        if fragment.grid is not None:
            segment.fragments.append(fragment)
        self._open = segment
        self._titled_on = page.number

    def _repeats_open_title(self, page: PageLayout, title, unit_name: str | None) -> bool:
        seg = self._open
        return (
            seg is not None
            and bool(seg.fragments)
            and seg.fragments[-1].page == page.number - 1
            and seg.spec == title.spec
            and squash(seg.title_raw) == squash(title.text)
            and seg.unit_name == unit_name
        )

    def _continue(self, page: PageLayout, fragment: Fragment) -> None:
        previous = self._open
        title_at_foot = (
            previous
            and self._titled_on == page.number - 1
            and _holds_no_body(previous, self.knowledge)
        )
        if title_at_foot and fragment.grid is not None:  # the title ended the page before
            previous.fragments[:] = [fragment]  # the table repeats any header printed there
            return
        last = previous.fragments[-1] if previous and previous.fragments else None
        continues = last is not None and last.page == page.number - 1
        if fragment.grid is None:
            # An unruled table runs on only when nothing followed it on its page.
            if not continues or last.grid.ruled or not self._runs_on:
                return
            fragment.grid = infer_grid(
                page.number, _words(page), fragment.region, last.grid, self.knowledge.stream
            )
            if fragment.grid is None:
                return
        if continues and (
            fragment.grid.n_cols == last.grid.n_cols
            or self._runs_on
            and _same_width(fragment.grid, last.grid)
            and _no_header(fragment.grid, self.knowledge)
        ):
            previous.fragments.append(fragment)
            return
        if fragment.grid.ruled:
            segment = TableSegment(OTHER, "", None, None, None, [fragment])
            above = title_like_above(page, fragment.grid.ys[0], self.knowledge.context)
            if continues and (self._runs_on or above is None):
                # printed on after it, with other columns (a form's next project)
                segment.borrowed_title = previous.name
                segment.unit = previous.unit
            else:
                segment.borrowed_title = above
            self.segments.append(segment)
            self._open = segment


def _holds_no_body(segment: TableSegment, knowledge: Knowledge) -> bool:
    """Nothing but a title, or a title over header rows or a 部门/单位 line (ruled:
    财政拨款基本支出预算表 | 部门：… 单位：万元 at the foot of a page), with no amount below."""
    return all(
        not any(
            parse_amount(f.grid.text(r, c)) is not None
            for r in range(header_row_count(f.grid, knowledge), f.grid.n_rows)
            for c in range(f.grid.n_cols)
        )
        for f in segment.fragments
    )


def _no_header(grid: Grid, knowledge: Knowledge) -> bool:
    """No header rows, or only the tail of a cell wrapped over the page break: rows above
    the first body row that hold one text each (`置更新` under `信息网络及软件购`)."""
    return all(
        sum(bool(squash(grid.text(r, c))) for c in range(grid.n_cols)) <= 1
        for r in range(header_row_count(grid, knowledge))
    )


def _same_width(grid: Grid, before: Grid) -> bool:
    """A continuation spans (nearly) the same width as the table it continues."""
    (a0, _, a1, _), (b0, _, b1, _) = grid.bbox, before.bbox
    shared = max(0.0, min(a1, b1) - max(a0, b0))
    return shared >= 0.9 * max(a1 - a0, b1 - b0)


def _words(page: PageLayout) -> list[Word]:
    return [w for line in page.lines for w in line.words]


def _below_context(
    page: PageLayout, fragment: Fragment, knowledge: Knowledge
) -> tuple[float, float, float, float]:
    """A titled region without ruling, less the label/unit lines printed under the title."""
    x0, top, x1, bottom = fragment.region
    below = sorted((ln for ln in page.lines if top - 1 <= ln.top < bottom), key=lambda ln: ln.top)
    for line in below:
        if not is_context_line(line, knowledge.context):
            break
        top = max(top, line.bottom)
    return (x0, top, x1, bottom)


def demote_fallbacks(segments: list[TableSegment], knowledge: Knowledge) -> None:
    """A fallback title (财政拨款支出预算表 for 一般公共预算支出表) names the canonical table
    only where its unit prints no primary twin; beside one it names the table the spec's
    beside_primary says (财政拨款支出表), else another table."""
    primary = [(s.spec.id, s.unit_name) for s in segments if s.fragments and not s.fallback]
    by_id = {spec.id: spec for spec in knowledge.tables}
    for seg in segments:
        if seg.fallback and any(
            spec_id == seg.spec.id and _same_unit(unit_name, seg.unit_name)
            for spec_id, unit_name in primary
        ):
            seg.spec = by_id.get(seg.spec.beside_primary or "", OTHER)


def _same_unit(a: str | None, b: str | None) -> bool:
    """Two tables' 部门/单位 lines name the same unit, also where one is cut at a line break
    (`部门名称：江苏省高级人民法` / `院 单位：万元`)."""
    return a == b or bool(a and b and (a.startswith(b) or b.startswith(a)))
