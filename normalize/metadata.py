"""Document metadata read from the text of its first pages, never from the file name."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import regex
from budgetpdf.extract.layout import TextLine
from budgetpdf.normalize.text import squash

# `国家矿山安全监察局青海局2024年度部门决算`, `2026年北京市水务局部门预算`
_COVER = regex.compile(
    r"^(?P<pre>.*?)(?P<year>20\d{2})年度?(?P<mid>.*?)(?P<scope>部门|单位)?(?:综合)?(?P<kind>决算|预算)"
)
_YEAR_KIND = regex.compile(r"(20\d{2})年度?(?:[^\d]{0,30}?)(部门|单位)?(?:综合)?(决算|预算)")
_PUBLISHER_TAIL = regex.compile(r"(?:20\d{2}年度?|[（(].*)$")


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    publisher: str | None
    fiscal_year: int | None
    doc_kind: str | None  # 决算 | 预算
    scope: str | None  # 部门 | 单位


def read_metadata(
    lines: list[TextLine], table_kinds: Counter[str], unit_names: list[str]
) -> DocumentMeta:
    """Year, kind and scope from the cover and headings; the publisher from the cover title
    or, failing that, from the 部门/单位 line most tables print."""
    year = kind = scope = publisher = None
    for line in lines[:80]:
        s = squash(line.text)
        m = _COVER.match(s)
        if m and len(s) <= 60:
            year = int(m.group("year"))
            kind = m.group("kind")
            scope = m.group("scope")
            pre = (m.group("pre") or m.group("mid") or "").strip()
            pre = _PUBLISHER_TAIL.sub("", pre).rstrip("(（")
            publisher = pre if len(pre) >= 2 else None
            break
    if year is None:
        for line in lines[:200]:
            m = _YEAR_KIND.search(squash(line.text))
            if m:
                year, scope, kind = int(m.group(1)), m.group(2), m.group(3)
                break
    if table_kinds:
        kind = table_kinds.most_common(1)[0][0]
    if unit_names and not publisher:
        publisher = Counter(unit_names).most_common(1)[0][0]
    return DocumentMeta(publisher, year, kind, scope or ("部门" if kind else None))
