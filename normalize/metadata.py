"""Document metadata read from the text of the document, never from the file name.

Who publishes a document and for which year (contract 1.1) is read by rules from
schemas/metadata.toml: what an organisation name looks like, which printed positions are
evidence, and in which order they rank:

1. the cover title, wrapped over up to three lines (`2026年深圳市统计局(本级)` / `部门预算`);
2. a label line on the cover (`预算单位:上海市戒毒康复中心`, `预算主管部门:…`);
3. the document's title printed as a heading or line elsewhere
   (`第二部分江苏省高级人民法院2018年度预算表`, `附件:北京市人民政府办公厅2026年度部门预算报表`);
4. the 部门/单位 line most tables print, or a `部门名称` cell of a table.

A candidate that is not an organisation name (a heading, a place alone, a fragment of a
sentence or of a table title) is never taken, whatever its position.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from budgetpdf.contract.text import squash
from budgetpdf.extract.layout import TextLine
from budgetpdf.schemas.knowledge import Context, Knowledge, MetadataRules

NOTE_NO_PUBLISHER = "publisher not printed: no cover, title or 部门/单位 line names an organisation"
NOTE_YEAR_TITLE = "fiscal_year taken from a table title"
NOTE_YEAR_HEADER = "fiscal_year taken from a table header"


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """What `read_metadata` found a document says about itself: its publisher (squashed
    organisation name, scope mark kept; None when none is printed), fiscal year, kind
    (决算/预算), scope (部门/单位) and notes on how a value was found or why it is missing
    (NOTE_* strings)."""

    publisher: str | None
    fiscal_year: int | None
    doc_kind: str | None  # 决算 | 预算
    scope: str | None  # 部门 | 单位
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Title:
    year: int
    kind: str
    scope: str | None
    publisher: str | None


def organisation_name(text: str, rules: MetadataRules) -> str | None:
    """The organisation a candidate names, or None when it names none.

    In: printed text (any width, spaces). Out: the squashed name, with a leading heading
    (`第二部分中共上海市普陀区委社会工作部` → `中共上海市普陀区委社会工作部`) and a trailing
    `部门`/`单位` decoration removed, a printed scope mark kept (`深圳市应急管理局(本级)`).
    None for a heading alone (`第二部分`, `二、`), a place alone (`上海市`), a fragment of a
    sentence or table title (`万元`, `收支总表`), or anything not ending with an organisation
    suffix of schemas/metadata.toml (rules: `Knowledge.metadata`)."""
    return _judge(text, rules)[0]


def candidate_kind(text: str, rules: MetadataRules) -> str:
    """Why a printed candidate is or is not an organisation name: `organisation`,
    `heading` (nothing left once the heading is taken off), `place`, `fragment`, or `other`
    (no organisation suffix). For reports that count bad publishers."""
    return _judge(text, rules)[1]


def _judge(text: str, rules: MetadataRules) -> tuple[str | None, str]:
    s = squash(text)
    before = s
    while True:
        stripped = rules.headings.sub("", s, count=1)
        if stripped == s:
            break
        s = stripped
    if not s:
        return None, "heading" if before else "other"
    s = rules.decorations.sub("", s)
    if rules.fragments.search(s):
        return None, "fragment"
    if rules.place.match(s):
        return None, "place"
    if not (rules.min_length <= len(s) <= rules.max_length) or not rules.name.match(s):
        return None, "other"
    return s, "organisation"


def _title(text: str, rules: MetadataRules) -> _Title | None:
    """A document title's year, kind, scope and publisher (None when the title names none:
    `2026年度部门预算信息公开`, `上海市2026年市级单位预算`). The text before the year is the
    publisher only when nothing but a scope word sits between year and kind; the text after
    the year only when nothing or a place is printed before the year."""
    m = rules.title.match(squash(text))
    if not m:
        return None
    pre, mid = m.group("pre"), m.group("mid")
    publisher = None
    if not mid:
        publisher = organisation_name(pre, rules)
    elif not pre or rules.place.match(pre) or rules.headings.fullmatch(pre):
        publisher = organisation_name(mid, rules)
    return _Title(int(m.group("year")), m.group("kind"), m.group("scope"), publisher)


def _cover(lines: Sequence[TextLine], rules: MetadataRules) -> list[str]:
    """The texts of the cover: the first lines, up to the table of contents or first heading."""
    out = []
    for line in lines[: rules.cover_lines]:
        s = squash(line.text)
        if rules.cover_end.match(s):
            break
        out.append(s)
    return out


def _cover_title(cover: list[str], rules: MetadataRules) -> _Title | None:
    """The title printed on the cover, however it is wrapped: the first run of up to
    `title_lines` lines that reads as a title naming a publisher, else the first title."""
    first = None
    for i in range(len(cover)):
        for k in range(1, rules.title_lines + 1):
            if i + k > len(cover):
                break
            title = _title("".join(cover[i : i + k]), rules)
            if title and title.publisher:
                return title
            first = first or title
    return first


def _labelled(texts: Iterable[str], rules: MetadataRules) -> list[tuple[int, str]]:
    """(label rank, organisation) for every label line naming one (`部门名称 北京市财政局`)."""
    out = []
    for s in texts:
        for rank, pattern in enumerate(rules.labels):
            m = pattern.match(s)
            if m:
                name = organisation_name(rules.label_tail.sub("", m.group("name")), rules)
                if name:
                    out.append((rank, name))
                break
    return out


def _most_common(names: Iterable[str]) -> str | None:
    counts = Counter(names)
    return counts.most_common(1)[0][0] if counts else None


def _document_title(texts: Iterable[str], rules: MetadataRules, context: Context) -> _Title | None:
    """The first line of running text that is the document's title with its publisher,
    a heading number taken off (`第二部分江苏省高级人民法院2018年度预算表`); prose (the
    context's not_title lines) is none."""
    prose = context.not_title
    for s in texts:
        if prose.search(s):
            continue
        title = _title(rules.headings.sub("", s, count=1), rules)
        if title and title.publisher:
            return title
    return None


def _table_year(titles: Sequence[str], texts: Sequence[str], rules: MetadataRules):
    """(year, note) from the tables when no document title prints one: the year most table
    titles print (`2019年政府采购预算表`), else a year mark under a title (`(2026年度)`), else
    the latest year a header gives its own figures for (`2025年预算数 | 2026年预算数`)."""
    in_titles = Counter(int(y) for t in titles for y in rules.year_in_title.findall(squash(t)))
    if in_titles:
        return in_titles.most_common(1)[0][0], NOTE_YEAR_TITLE
    marks = Counter(int(m.group("year")) for s in texts if (m := rules.year_mark.match(s)))
    if marks:
        return marks.most_common(1)[0][0], NOTE_YEAR_TITLE
    headers = [int(m.group("year")) for s in texts for m in rules.year_header.finditer(s)]
    if headers:
        return max(headers), NOTE_YEAR_HEADER
    return None, None


def read_metadata(
    lines: list[TextLine],
    knowledge: Knowledge,
    table_kinds: Counter[str],
    unit_names: list[str],
    table_titles: Sequence[str] = (),
) -> DocumentMeta:
    """Publisher, year, kind and scope of a document, with notes on how they were found.

    In: every text line of the document in reading order; the loaded knowledge (its
    metadata rules, and the context's prose lines); the kind (决算/预算) of each
    printed canonical table; the 部门/单位 line of each printed table (`unit_names`); the
    printed titles of its tables. Out: `DocumentMeta`; publisher None (and a note) when
    no position names an organisation; year None only when no title or header prints one."""
    rules = knowledge.metadata
    texts = [squash(line.text) for line in lines]
    cover = _cover(lines, rules)
    notes: list[str] = []

    title = _cover_title(cover, rules)
    publisher = title.publisher if title else None
    if not publisher:
        on_cover = sorted(_labelled(cover, rules))
        publisher = on_cover[0][1] if on_cover else None
    if not publisher:
        heading = _document_title(texts, rules, knowledge.context)
        publisher = heading.publisher if heading else None
        title = title or heading
    if not publisher:
        in_tables = [n for u in unit_names if (n := organisation_name(u, rules))]
        in_tables += [name for _, name in _labelled(texts, rules)]
        publisher = _most_common(in_tables)
    if not publisher:
        notes.append(NOTE_NO_PUBLISHER)

    year = kind = scope = None
    if title:
        year, kind, scope = title.year, title.kind, title.scope
    else:
        for s in texts[:200]:
            m = rules.year_heading.search(s)
            if m:
                year, scope, kind = int(m.group("year")), m.group("scope"), m.group("kind")
                break
    if year is None:
        year, note = _table_year(table_titles, texts, rules)
        if note:
            notes.append(note)
    if table_kinds:
        kind = table_kinds.most_common(1)[0][0]
    return DocumentMeta(publisher, year, kind, scope or ("部门" if kind else None), tuple(notes))
