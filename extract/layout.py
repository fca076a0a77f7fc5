"""Positioned text: characters grouped into words and lines in reading position order.

Narrative numbers are often set in another font and come out of the content stream in the
wrong place, so every grouping here sorts by position, never by stream order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom (pdfplumber coordinates)


@dataclass(frozen=True, slots=True)
class Char:
    """One printed char and its box in PDF points (top-left origin); size is its height."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def size(self) -> float:
        return self.bottom - self.top


class Box:
    """Centre and height of anything placed by its x0, top, x1 and bottom."""

    __slots__ = ()
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def x_mid(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def y_mid(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class Word(Box):
    """Characters printed without a visible gap between them."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


class WordBounds(Box):
    """The bounds of a run of words (a text line, a header cell): its words' extremes."""

    __slots__ = ()
    words: Sequence[Word]

    @property
    def x0(self) -> float:  # type: ignore[override]
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:  # type: ignore[override]
        return max(w.x1 for w in self.words)

    @property
    def top(self) -> float:  # type: ignore[override]
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:  # type: ignore[override]
        return max(w.bottom for w in self.words)


@dataclass(frozen=True, slots=True)
class TextLine(WordBounds):
    """A line of words left to right; text joins them with one space."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


OVERPRINT = 1.0  # points: the same char this near an earlier copy of it is an overprint
OVERPRINT_LOOKBACK = 8  # earlier copies of the same char compared (all nearby in reading order)
LINE_SLACK = 0.5  # points: a char's middle this far outside a line's band still joins it
WORD_GAP = 0.25  # × font size: a wider gap between two chars ends a word


def drop_overprints(chars: Iterable[Char]) -> list[Char]:
    """A char printed again on (nearly) the same spot — fake bold by overprinting, often
    shifted by a fraction of a point each time — counts once."""
    kept: list[Char] = []
    last: dict[str, list[Char]] = {}
    for ch in sorted(chars, key=lambda c: (c.top, c.x0)):
        same = last.setdefault(ch.text, [])
        if any(
            abs(o.top - ch.top) <= OVERPRINT and abs(o.x0 - ch.x0) <= OVERPRINT
            for o in same[-OVERPRINT_LOOKBACK:]
        ):
            continue
        same.append(ch)
        kept.append(ch)
    return kept


def group_lines(chars: Iterable[Char], y_tolerance: float = LINE_SLACK) -> list[list[Char]]:
    """Chars sharing a baseline band, top to bottom, each line left to right; y_tolerance
    in points.

    A char joins a line when its vertical middle lies inside the line's band (with a small
    tolerance), so a narrative number set in another font stays in its sentence.
    """
    lines: list[list[Char]] = []
    bands: list[tuple[float, float]] = []
    for ch in sorted(chars, key=lambda c: (c.top, c.x0)):
        mid = (ch.top + ch.bottom) / 2
        if bands and bands[-1][0] - y_tolerance <= mid <= bands[-1][1] + y_tolerance:
            lines[-1].append(ch)
            top, bottom = bands[-1]
            bands[-1] = (min(top, ch.top), max(bottom, ch.bottom))
        else:
            lines.append([ch])
            bands.append((ch.top, ch.bottom))
    for line in lines:
        line.sort(key=lambda c: c.x0)
    return lines


def split_words(line: Sequence[Char], gap_ratio: float = WORD_GAP) -> list[Word]:
    """A line cut into words wherever the gap between two chars exceeds gap_ratio × the
    larger font size. Letter-spaced headings (`公 务 用 车`) therefore become several words;
    consumers that need the label join them back."""
    return [_word(run) for run in char_runs(line, gap_ratio)]


def char_runs(
    line: Sequence[Char], gap_ratio: float = WORD_GAP, one_baseline: bool = False
) -> list[list[Char]]:
    """A line's chars cut at white space and wherever the gap between two chars exceeds
    gap_ratio × the larger font size. one_baseline: also where two chars overlap or do not share a
    baseline (two lines of a header that group_lines banded together)."""
    runs: list[list[Char]] = []
    current: list[Char] = []
    for ch in line:
        if ch.text.isspace():
            if current:
                runs.append(current)
                current = []
            continue
        if current and _breaks(current[-1], ch, gap_ratio, one_baseline):
            runs.append(current)
            current = []
        current.append(ch)
    if current:
        runs.append(current)
    return runs


def _breaks(last: Char, ch: Char, gap_ratio: float, one_baseline: bool) -> bool:
    limit = gap_ratio * max(ch.size, last.size)
    gap = ch.x0 - last.x1
    if gap > limit:
        return True
    return one_baseline and (gap < -limit or abs(ch.bottom - last.bottom) > limit)


def _word(chars: Sequence[Char]) -> Word:
    return Word(
        text="".join(c.text for c in chars),
        x0=chars[0].x0,
        top=min(c.top for c in chars),
        x1=chars[-1].x1,
        bottom=max(c.bottom for c in chars),
    )


def text_lines(chars: Iterable[Char]) -> list[TextLine]:
    """The page's text lines, top to bottom (group_lines, then split_words); no empty line."""
    return [TextLine(tuple(ws)) for line in group_lines(chars) if (ws := split_words(line))]


def cell_text(chars: Iterable[Char]) -> str:
    """The text inside one table cell: its lines joined by newlines, words by one space."""
    return "\n".join(
        " ".join(w.text for w in split_words(line)) for line in group_lines(chars)
    ).strip()
