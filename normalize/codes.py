"""Classification codes: functional (支出功能分类, 2xx) and economic (经济分类, 3xx/5xx)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import regex
from budgetpdf.contract.text import item_name, squash
from budgetpdf.schemas.knowledge import CodeFormat

# What a code looks like is knowledge (schemas/tables.toml [codes], `Knowledge.code_format`);
# how its digits make levels is the contract's (code_level, parent_code).
_LEVELS = {3: "类", 5: "款", 7: "项"}
_PART = regex.compile(r"^\d{2,3}$")
_DIGIT = regex.compile(r"^[1-9]$")


@dataclass(frozen=True, slots=True)
class Classification:
    """What a classification code says (the contract's facts columns): item_code as printed
    joined (`2010101`), code_system 功能分类 (2xx) or 经济分类 (3xx, 5xx), code_level 类, 款
    or 项 (3, 5, 7 digits) and parent_code (the code less its last two digits; None for a 类).
    UNCLASSIFIED, all None, for a row without a code."""

    item_code: str | None
    code_system: str | None
    code_level: str | None
    parent_code: str | None


UNCLASSIFIED = Classification(None, None, None, None)


def is_code(text: str, codes: CodeFormat) -> bool:
    """Whether a cell's text (any width, spaces) is a classification code and nothing else,
    by codes.whole: 3, 5 or 7 digits starting 2, 3 or 5 (`201`, `20101`, `2010101`,
    `30201`, `50101`)."""
    return bool(codes.whole.match(squash(text)))


def classify(code: str | None, codes: CodeFormat) -> Classification:
    """The system, level and parent of a joined, squashed code (`30227` → 经济分类, 款,
    parent 302); UNCLASSIFIED for None, "" or anything is_code would refuse (`abc`)."""
    if not code or not codes.whole.match(code):
        return UNCLASSIFIED
    system = "功能分类" if code[0] == "2" else "经济分类"
    parent = code[:-2] if len(code) > 3 else None
    return Classification(code, system, _LEVELS[len(code)], parent)


def split_leading_code(label: str, codes: CodeFormat) -> tuple[str | None, str]:
    """(code, rest) when a label starts with its own code (codes.leading: `[2014001]行政运行`
    → 2014001, 行政运行), else (None, label)."""
    m = codes.leading.match(squash(label))
    if not m:
        return None, label
    return m.group(1), m.group(2)


def class_code_by_name(name: str, names: Mapping[str, str]) -> str | None:
    """A functional 类's code by its name, also as summary tables shorten it (社会保障和就业
    for 社会保障和就业支出, 文化旅游 for 文化旅游体育与传媒支出): the one 类 it begins.
    names: 类 name → code (`Knowledge.class_by_name`)."""
    if name in names or len(name) < 2:
        return names.get(name)
    starting = [code for full, code in names.items() if full.startswith(name)]
    return starting[0] if len(starting) == 1 else None


# How a row label is numbered (一、 | 1、 1. | (一) | (1) | ① | none) is knowledge:
# schemas/headers.toml [ordinals], `Knowledge.ordinals`.
Ordinals = Sequence[tuple[str, regex.Pattern]]


def ordinal_style(label: str, ordinals: Ordinals) -> str:
    """The kind of ordinal a label starts with (`一、`, `(一)`, `(1)`, `1、`, `①`: the name of
    the first of ordinals, (style, pattern) pairs, whose pattern matches the squashed label),
    or "" for none."""
    s = squash(label)
    return next((style for style, pattern in ordinals if pattern.match(s)), "")


class ClassByName:
    """类 codes by name for rows printed without a code, read in order down one label column.

    A row takes a 类 by its name only where it sits at 类 level of the printed hierarchy:
    numbered like the first row that took a 类 (a `住房保障` printed under
    `五、援助其他地区支出` is a 款 of 219, not 类 221), and, when numbered, in a list whose
    first row numbered alike is a 类 too (`12、债务还本支出` in a list that starts
    `1、机关工资福利支出` is an economic class, not the functional 类 231).
    """

    def __init__(self, names: Mapping[str, str], ordinals: Ordinals) -> None:
        self._names = names  # 类 name → code (Knowledge.class_by_name)
        self._ordinals = ordinals  # how rows are numbered (Knowledge.ordinals)
        self._level: str | None = None  # the numbering of 类 rows, once one is seen
        self._opens_with_class: dict[str, bool] = {}  # numbering → its first row is a 类

    def code(self, label: str) -> str | None:
        """The 类 code of a row by its label as printed, or None."""
        style = ordinal_style(label, self._ordinals)
        code = class_code_by_name(item_name(label), self._names)
        # Unnumbered rows are no list: a heading (按功能分类) or a total may precede 类 rows.
        first = self._opens_with_class.setdefault(style, code is not None) or not style
        if not first or self._level is not None and style != self._level:
            return None
        if code is not None and self._level is None:
            self._level = style
        return code


class SplitCodeJoiner:
    """Joins codes printed over 类 | 款 | 项 columns, carrying blank 类/款 cells down.

    `201 | 06 | 01` → 2010601; a row that prints only `01` in 项 takes 类 and 款 from above.
    class_by_name: 类 name → code (`Knowledge.class_by_name`), for the rows printed without one;
    codes: what a whole code looks like (`Knowledge.code_format`); ordinals: how rows are
    numbered (`Knowledge.ordinals`).
    """

    def __init__(
        self, class_by_name: Mapping[str, str], codes: CodeFormat, ordinals: Ordinals
    ) -> None:
        self._codes = codes
        self._carry: list[str] = []
        # the same column's 类 rows printed without a code
        self.by_name = ClassByName(class_by_name, ordinals)

    def join(self, parts: list[str]) -> str | None:
        """The whole code of one row from its code cells, left to right (类, 款, 项 as
        printed, blanks included), carrying 类 and 款 down from the rows above; a full code
        printed in the first cell is taken as it is. None for a row that prints no code
        part, or whose parts join to no code."""
        parts = [squash(p) for p in parts]
        whole = next((p for p in parts if self._codes.whole.match(p) and len(p) > 3), None)
        if whole:  # a template that prints the full code in the 类 column
            self._carry = [whole[:3], whole[3:5], whole[5:7]][: (len(whole) - 1) // 2]
            return whole
        # 款 and 项 printed as numbers lose their leading zero (`301 | 2` is 30102).
        parts = [p.zfill(2) if level and _DIGIT.match(p) else p for level, p in enumerate(parts)]
        if not any(_PART.match(p) for p in parts):
            return None
        for level, part in enumerate(parts):
            if _PART.match(part):
                self._carry = self._carry[:level] + [part]
        joined = "".join(self._carry)
        return joined if self._codes.whole.match(joined) else None
