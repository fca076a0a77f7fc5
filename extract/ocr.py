"""Pages read from their image: scans, and text layers whose glyphs cannot be decoded.

A page that needs it (`needs_ocr`) is rendered with pdfium, deskewed, its ruling lines found by
OpenCV morphology and its text by RapidOCR (PP-OCR detection and recognition models, shipped
inside the `rapidocr` wheel and run by ONNX Runtime on the CPU, or on a GPU where ONNX
Runtime's CUDA build is installed). Both become what the text path builds, chars with boxes
and pdfplumber edges in PDF points (top-left origin), so the same ruled-grid and
column-inference code reads the table, and amounts parse exactly as on text pages.

Settings were chosen by measurement on the seed's scanned rendering against its gold facts
(README, "Scanned, rotated and undecodable pages").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
from budgetpdf.extract.grid import Grid
from budgetpdf.extract.layout import Char, text_lines
from budgetpdf.extract.page import (
    MIN_EDGES_FOR_RULED,
    Edge,
    PageLayout,
    make_edge,
    on_page,
    ruled_boxes,
    ruled_grids,
)

DPI = 200  # render resolution: 9-point table text is 25 pixels tall, which the models read
POINT = 72 / DPI  # PDF points per pixel
UNDECODABLE_SHARE = 0.5  # of a page's glyphs: more without a Unicode meaning, read its image
DARK = 160  # grey level: darker pixels are ink, for ruling lines and the skew estimate
H_RULE_MIN = 24.0  # points: a horizontal run of ink this long is a rule (wider than a glyph)
V_RULE_MIN = 12.0  # points: a vertical one (taller than a table's glyphs, shorter than a row)
RULE_THICK_MAX = 4.0  # points: thicker ink is a filled area, not a rule
SKEW_RULE_MIN = 0.25  # of the page width: rules at least this long measure the skew
SKEW_MAX = 5.0  # degrees: a larger estimate is no skew (a chart's slanted line), left alone
SKEW_MIN = 0.05  # degrees: text measured as skewed less is left alone (0.7 px over A4's width)
GLYPH_HEIGHT = 0.6  # of a detected text box's height: the glyphs' (the box is padded)
ERASE_MIN = 48.0  # points: a rule this long is erased before reading; a large title's
#   strokes run as straight as a short rule, and erased would lose its chars
MIN_ROW_HEIGHT = 1.2  # × the glyphs' height: a grid no taller is a title's strokes
RULE_GAP = 0.5  # points: a run squeezed inside a rule keeps this far from it
DET_PX_PER_POINT = 960 / 842  # detection input pixels per point: an A4 page's long side 960
#   px, 9-point glyphs about 10 px, whatever the page's size (README, the settings table)
SPACE = 0.35  # × a run's glyph height: a white gap in its ink this wide ends a word beside
#   a number (an amount, a code), one WIDE_SPACE wide wherever it is
WIDE_SPACE = 1.0
NUMBER = re.compile(r"^[-+(]?\d[\d,]*(?:\.\d+)?\)?%?$")  # an amount, a code, a count
FULL_WIDTH_MARKS = frozenset("、，。：；！？（）【】《》“”‘’")  # CJK punctuation: a gap beside
#   one is the blank part of its em, not a space
SIDEWAYS = 1.5  # a text box this many times taller than wide runs up or down the page (the
#   recogniser turns such boxes to read them)
SIDEWAYS_SAMPLE = 24  # of a sideways page's tallest boxes: those whose direction is asked
MISSED_MIN = 0.5  # × the typical glyph height: a mark detection missed is at least this tall
MISSED_MAX = 1.3  # and at most this tall (a larger mark is no table text's)
MISSED_PAD = 0.3  # × the glyph height: white kept around a missed mark to recognise it
MISSED_SCORE = 0.8  # the recogniser's least confidence to keep a missed mark's number
REC_MIN_WIDTH = 96  # pixels: a run is padded to at least twice its 48-px height to be read


@dataclass(frozen=True, slots=True)
class OcrText:
    """One run of text the recogniser read, and how sure it is (0–1, its least sure char)."""

    text: str
    confidence: float


@dataclass(slots=True)
class OcrLayout(PageLayout):
    """A PageLayout read from the page's image; texts: every recognised run, for the
    confidence of what is read from them."""

    texts: list[OcrText] = field(default_factory=list)


def undecodable(page: PageLayout) -> int:
    """Glyphs of the page without a Unicode meaning: `(cid:N)` (a font without a usable
    ToUnicode map) and private-use code points."""
    return sum(
        1
        for c in page.chars
        if c.text.startswith("(cid:") or unicodedata.category(c.text[:1]) == "Co"
    )


def needs_ocr(page: PageLayout) -> bool:
    """Whether the page's text must be read from its image: no text layer at all, or mostly
    glyphs without a Unicode meaning (case 67fe8550, every glyph `(cid:N)`)."""
    if not page.chars:
        return True
    return undecodable(page) > UNDECODABLE_SHARE * len(page.chars)


def available() -> bool:
    """Whether the OCR libraries are installed (they are dependencies; a broken install
    makes documents say that OCR is not available rather than fail). Nothing is imported:
    a process that reads only text pages never loads them."""
    return all(find_spec(name) is not None for name in ("cv2", "rapidocr", "onnxruntime"))


class OcrReader:
    """Reads pages of one PDF from their images; the engine is loaded on first use and
    shared by every document the process reads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pdf: pdfium.PdfDocument | None = None

    def read(self, number: int) -> OcrLayout:
        """Page `number` (1-based) read from its image; a page that draws nothing comes
        back empty without being rendered (read: nothing is printed on it)."""
        if self._pdf is None:
            self._pdf = pdfium.PdfDocument(self.path)
        page = self._pdf[number - 1]
        try:
            width, height = page.get_size()
            if not _draws_anything(page):
                return OcrLayout(number, width, height, [], [], [], 0)
            image = page.render(scale=DPI / 72, grayscale=True, draw_annots=False).to_numpy()
        finally:
            page.close()
        return read_image(number, image)

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None


def _draws_anything(page: pdfium.PdfPage) -> bool:
    return next(page.get_objects(max_depth=1), None) is not None


def read_image(number: int, image: np.ndarray, turn: bool = True) -> OcrLayout:
    """A page image (grey, DPI pixels per inch) as the text path's layout: deskewed, its
    rules as pdfplumber edges, its text as chars, each recognised run's confidence kept.
    A page whose text runs up or down it (a table printed sideways, no /Rotate to say so)
    is turned a quarter to read (_quarter_turn) and read again, in reading orientation:
    width and height are the turned page's; turn: whether to look (False: read as it is)."""
    ink = (image < DARK).astype(np.uint8) * 255
    angle = skew(ink)
    if angle:
        image, ink = _rotated(image, angle), _rotated(ink, angle, fill=0)
    edges, on_rule = rules(ink)
    # the rules are erased before reading: a char printed against one (`一、财政拨款` flush
    # with its cell's left rule, case 67fe8550) is otherwise read as part of it, or not at all
    erased = np.where(_grown(on_rule), np.uint8(255), image)
    result = _read(erased)
    quarter = _quarter_turn(erased, result) if turn else 0
    if quarter:
        return read_image(number, np.ascontiguousarray(np.rot90(image, quarter)), turn=False)
    chars, texts = _recognise(result, erased, edges)
    if not angle:  # no long rules to measure the skew by: the lines of text measure it
        chars = _unskewed(chars, text_skew(result), image.shape)
    height, width = (v * POINT for v in image.shape[:2])
    chars = on_page(chars, width, height)
    tables = ruled_boxes(edges) if len(edges) >= MIN_EDGES_FOR_RULED else []
    grids = [g for g in ruled_grids(number, tables, chars) if _holds_text(g, chars)]
    return OcrLayout(number, width, height, chars, text_lines(chars), grids, 0, texts)


def _holds_text(grid: Grid, chars: list[Char]) -> bool:
    """Whether a grid is a table's: it holds text, in rows taller than their glyphs. The
    strokes of a large title run as straight as rules and cross like them, and make a
    "table" no taller than the title's glyphs (`2019年政府采购预算表`, case 67fe8550)."""
    x0, top, x1, bottom = grid.bbox
    inside = sorted(
        c.size
        for c in chars
        if x0 <= (c.x0 + c.x1) / 2 <= x1 and top <= (c.top + c.bottom) / 2 <= bottom
    )
    return bool(inside) and bottom - top > inside[len(inside) // 2] * MIN_ROW_HEIGHT


def _segments(ink: np.ndarray, horizontal: bool) -> tuple[list[tuple[float, ...]], np.ndarray]:
    """Straight runs of ink in a binary mask (255 = ink) along one axis, at least
    H_RULE_MIN/V_RULE_MIN points long and at most RULE_THICK_MAX thick: (across, start,
    end) in pixels, across the run's middle; and a mask of the pixels of those at least
    ERASE_MIN long."""
    import cv2

    length = (H_RULE_MIN if horizontal else V_RULE_MIN) / POINT
    kernel = cv2.getStructuringElement(
        cv2.MORPH_RECT, (int(length), 1) if horizontal else (1, int(length))
    )
    runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    out = []
    kept = np.zeros(n, bool)
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if (h if horizontal else w) * POINT > RULE_THICK_MAX:
            continue
        kept[i] = (w if horizontal else h) * POINT >= ERASE_MIN
        if horizontal:
            out.append((y + h / 2, float(x), float(x + w)))
        else:
            out.append((x + w / 2, float(y), float(y + h)))
    return out, kept[labels]


def rules(ink: np.ndarray) -> tuple[list[Edge], np.ndarray]:
    """The ruling lines of a deskewed page's ink mask as pdfplumber line edges (PDF points),
    and a mask of the pixels of the long ones (ERASE_MIN), to erase before reading."""
    edges = []
    on_rule = np.zeros(ink.shape, bool)
    for horizontal in (True, False):
        segments, mask = _segments(ink, horizontal)
        on_rule |= mask
        for across, start, end in segments:
            a, s, e = across * POINT, start * POINT, end * POINT
            x0, x1, top, bottom = (s, e, a, a) if horizontal else (a, a, s, e)
            edges.append(make_edge("line", x0, top, x1, bottom, "h" if horizontal else "v"))
    return edges, on_rule


def _grown(mask: np.ndarray) -> np.ndarray:
    """The mask grown by a pixel each way (a rule's anti-aliased fringe)."""
    import cv2

    return cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def skew(ink: np.ndarray) -> float:
    """The page's skew in degrees (positive: turned clockwise), from the slope of its long
    horizontal rules; 0 where it prints none or the estimate exceeds SKEW_MAX."""
    import cv2

    width = ink.shape[1]
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (int(H_RULE_MIN / POINT), 1))
    # a skewed rule breaks into steps; closing a little across joins them first
    joined = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
    runs = cv2.morphologyEx(joined, cv2.MORPH_OPEN, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    slopes, weights = [], []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w < SKEW_RULE_MIN * width or h * POINT > RULE_THICK_MAX * 3:
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == i)
        if len(xs) < 2:
            continue
        slopes.append(np.polyfit(xs, ys, 1)[0])
        weights.append(w)
    angle = _median_angle(slopes, weights)
    return angle if abs(angle) <= SKEW_MAX else 0.0


def _median_angle(slopes: list[float], weights: list[float]) -> float:
    """The angle in degrees of the weighted median slope (dy/dx); 0 for no slopes."""
    if not slopes:
        return 0.0
    order = np.argsort(slopes)
    cumulative = np.cumsum(np.asarray(weights)[order])
    median = slopes[order[np.searchsorted(cumulative, cumulative[-1] / 2)]]
    return math.degrees(math.atan(median))


def text_skew(result: Any) -> float:
    """The page's skew in degrees (as skew's) from the slope of its long detected text
    boxes (at least SKEW_RULE_MIN of the page's width: a shorter one's corners are whole
    pixels too near to slope by a fraction of a degree), the median weighted by length;
    0 where there are none, the estimate is under SKEW_MIN (no skew worth turning) or over
    SKEW_MAX. An unruled scan has no rules to measure it by, and at 0.3° its lines drift 2
    points across a page: a wrapped label's two lines and the row between them became
    one line (`公助缴务费员医疗补`, the scanned seed's p.11 with its rules painted over)."""
    slopes, weights = [], []
    if result.boxes is None or result.img is None:
        return 0.0
    for box in result.boxes:
        dx, dy = float(box[1][0] - box[0][0]), float(box[1][1] - box[0][1])
        if dx >= SKEW_RULE_MIN * result.img.shape[1]:
            slopes.append(dy / dx)
            weights.append(dx)
    angle = _median_angle(slopes, weights)
    return angle if SKEW_MIN <= abs(angle) <= SKEW_MAX else 0.0


def _unskewed(chars: list[Char], angle: float, shape: tuple[int, ...]) -> list[Char]:
    """The chars of a page skewed by angle degrees (as skew's) where they would be on the
    page turned upright about its centre (as _rotated turns it), each box moved, not
    turned (a glyph leans by under SKEW_MAX)."""
    if not angle:
        return chars
    import cv2

    h, w = shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2 * POINT, h / 2 * POINT), angle, 1.0)
    out = []
    for c in chars:
        x, y = (c.x0 + c.x1) / 2, (c.top + c.bottom) / 2
        nx = matrix[0, 0] * x + matrix[0, 1] * y + matrix[0, 2]
        ny = matrix[1, 0] * x + matrix[1, 1] * y + matrix[1, 2]
        dx, dy = nx - x, ny - y
        out.append(Char(c.text, c.x0 + dx, c.top + dy, c.x1 + dx, c.bottom + dy))
    return out


def _rotated(image: np.ndarray, angle: float, fill: int = 255) -> np.ndarray:
    """The image turned by angle degrees about its centre (counter-clockwise for a positive
    angle in image coordinates, which undoes a clockwise skew of that angle)."""
    import cv2

    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(
        image,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )


Run = tuple[str, float, Any]  # text, score, ((char, score, 4 corner points in pixels), …)


def _read(image: np.ndarray) -> Any:
    """RapidOCR's reading of the image (DPI pixels per inch): its detected boxes (4 corners
    in pixels), and per box the text, confidence and chars (Run); detection sees the page
    at DET_PX_PER_POINT whatever its size."""
    engine = _engine()
    engine.text_det.limit_side_len = round(max(image.shape[:2]) * POINT * DET_PX_PER_POINT)
    return engine(image, use_cls=False, return_word_box=True, return_single_char_box=True)


def _runs(result: Any) -> list[Run]:
    """The recogniser's runs of text in a reading (_read)."""
    return list(
        zip(result.txts or (), result.scores or (), result.word_results or (), strict=False)
    )


def _quarter_turn(image: np.ndarray, result: Any) -> int:
    """How a page must be turned to read it: 0 as it is, 1 a quarter counter-clockwise (its
    text runs down the page), -1 a quarter clockwise (its text runs up).

    Sideways: the detected boxes more than SIDEWAYS × taller than wide are longer in all
    than those more than SIDEWAYS × wider than tall. Which way: the recogniser turns every
    such box a quarter counter-clockwise to read it, and the direction classifier shipped
    with the models (0 or 180 degrees) says whether most of those read upside down. Only a
    sideways page loads the classifier and is read twice."""
    boxes = result.boxes if result.boxes is not None else ()
    tall, wide, upright = 0.0, 0.0, []
    for box in boxes:
        w = float(np.linalg.norm(box[1] - box[0]))
        h = float(np.linalg.norm(box[3] - box[0]))
        if h > SIDEWAYS * w:
            tall += h
            upright.append((h, box))
        elif w > SIDEWAYS * h:
            wide += w
    if tall <= wide:
        return 0
    import cv2
    from rapidocr.utils.process_img import get_rotate_crop_image

    longest = sorted(upright, key=lambda hb: -hb[0])[:SIDEWAYS_SAMPLE]
    crops = [
        cv2.cvtColor(get_rotate_crop_image(image, np.float32(box)), cv2.COLOR_GRAY2BGR)
        for _, box in longest
    ]
    labels = _engine()._load_cls_model()(crops).cls_res or []
    upside_down = sum(1 for label, _ in labels if "180" in label)
    return -1 if upside_down * 2 > len(labels) else 1


def _recognise(
    result: Any, image: np.ndarray, edges: list[Edge]
) -> tuple[list[Char], list[OcrText]]:
    """The recogniser's chars in a reading of the image (_read), each with its own box (the
    run's box cut where the recogniser placed the char, fitted to the ink: _fitted), in PDF
    points, each run fitted between the page's rules (_between_rules); and each run with
    its confidence."""
    verticals = [e for e in edges if e["orientation"] == "v"]
    chars: list[Char] = []
    texts: list[OcrText] = []
    for text, score, run in _runs(result):
        placed = [(ch, s, box) for ch, s, box in run if ch.strip()]
        if not placed:
            continue
        texts.append(OcrText(text, float(min([score, *(s for _, s, _ in placed)]))))
        boxed = []
        for ch, _, box in placed:
            xs = [p[0] * POINT for p in box]
            ys = [p[1] * POINT for p in box]
            mid, half = (min(ys) + max(ys)) / 2, (max(ys) - min(ys)) * GLYPH_HEIGHT / 2
            boxed.append(Char(ch, min(xs), mid - half, max(xs), mid + half))
        if len(boxed) == len(text.replace(" ", "")):
            boxed = _fitted(boxed, text, image)
        chars.extend(_between_rules(boxed, verticals))
    missed_chars, missed_texts = _missed(result, image, edges)
    return chars + missed_chars, texts + missed_texts


def _missed(result: Any, image: np.ndarray, edges: list[Edge]) -> tuple[list[Char], list[OcrText]]:
    """Numbers detection missed, read from their ink: glyph-sized marks outside every
    detected box and off every rule (MISSED_MIN to MISSED_MAX × the page's typical glyph
    height, no wider than tall), joined along a line where less than SPACE × that height
    apart, recognised alone and kept where they read as a number at least MISSED_SCORE
    sure. Detection passes over a lone narrow digit: the 栏次 numbers `1 2 4 6` of the
    scanned seed's p.14 (`3 5 7` found), `1` on p.9; the unruled table's columns are
    numbered by them."""
    import cv2
    from rapidocr.ch_ppocr_rec import TextRecInput

    boxes = list(result.boxes) if result.boxes is not None else []
    if not boxes:
        return [], []
    heights = sorted(float(np.linalg.norm(b[3] - b[0])) for b in boxes)
    glyph = heights[len(heights) // 2] * GLYPH_HEIGHT  # pixels
    covered = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(covered, [np.int32(b) for b in boxes], 1)
    n, _, stats, _ = cv2.connectedComponentsWithStats((image < DARK).astype(np.uint8), 8)
    marks = []
    for x, y, w, h, _ in stats[1:n]:
        if not MISSED_MIN * glyph <= h <= MISSED_MAX * glyph or w > h:
            continue
        if covered[y + h // 2, x + w // 2] or _on_rule(x, y, w, h, edges):
            continue
        marks.append((int(x), int(y), int(x + w), int(y + h)))
    groups: list[list[int]] = []
    for x0, y0, x1, y1 in sorted(marks, key=lambda m: (m[0], m[1])):
        last = next(
            (
                g
                for g in groups
                if abs((g[1] + g[3]) / 2 - (y0 + y1) / 2) < SPACE * glyph
                and 0 <= x0 - g[2] < SPACE * glyph
            ),
            None,
        )
        if last is None:
            groups.append([x0, y0, x1, y1])
        else:
            last[:] = [last[0], min(last[1], y0), x1, max(last[3], y1)]
    if not groups:
        return [], []
    pad = int(glyph * MISSED_PAD)
    crops = [
        cv2.cvtColor(
            image[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad], cv2.COLOR_GRAY2BGR
        )
        for x0, y0, x1, y1 in groups
    ]
    read = _engine().text_rec(TextRecInput(img=crops))
    chars: list[Char] = []
    texts: list[OcrText] = []
    for (x0, y0, x1, y1), text, score in zip(groups, read.txts, read.scores, strict=False):
        text = text.replace(" ", "")
        if not text or score < MISSED_SCORE or not NUMBER.match(text):
            continue
        texts.append(OcrText(text, float(score)))
        step = (x1 - x0) / len(text)
        chars.extend(
            Char(ch, (x0 + i * step) * POINT, y0 * POINT, (x0 + (i + 1) * step) * POINT, y1 * POINT)
            for i, ch in enumerate(text)
        )
    return chars, texts


def _on_rule(x: int, y: int, w: int, h: int, edges: list[Edge]) -> bool:
    """Whether a mark (pixels) touches a rule (within RULE_GAP × 2 points): a short rule's
    piece is as tall as a glyph and reads as `1`."""
    x0, top, x1, bottom = (v * POINT for v in (x, y, x + w, y + h))
    near = 2 * RULE_GAP
    for e in edges:
        if e["orientation"] == "v":
            if x0 - near <= e["x0"] <= x1 + near and e["top"] < bottom and e["bottom"] > top:
                return True
        elif top - near <= e["top"] <= bottom + near and e["x0"] < x1 and e["x1"] > x0:
            return True
    return False


def _fitted(run: list[Char], text: str, image: np.ndarray) -> list[Char]:
    """A run's chars cut into words where the recogniser read a space or the run's ink
    leaves a white gap at least SPACE × its glyphs' height wide (between a digit and a
    Chinese char, beside a number or WIDE_SPACE wide), each word's chars spread over its
    ink, edge to edge, top to bottom.

    Detection joins a right-aligned amount and the label printed a column gap after it into
    one run (`2,030.89一、社会保障和就业支出`, 6 points apart on the seed's unruled
    收入支出决算总表), and the recogniser's char boxes are narrower than their glyphs (gaps
    as wide inside a word: `865.0|0`, `一般公|共预算`) and reach past the run's ink (the
    amount's box ended 3 points from the label's); the text path cuts words and columns at
    gaps between boxes. text: the run's text, its non-space chars those of run, in order;
    image: the page as read (grey, DPI)."""
    top, bottom = min(c.top for c in run) / POINT, max(c.bottom for c in run) / POINT
    left = max(0, int(run[0].x0 / POINT))
    band = image[
        max(0, int(top)) : int(math.ceil(bottom)), left : int(math.ceil(run[-1].x1 / POINT))
    ]
    if band.size == 0:
        return run
    dark_px = band < DARK
    ink = dark_px.any(axis=0)
    height = bottom - top
    gaps = []  # white gaps at least SPACE × height, as (start, end) columns of band
    start = None
    for i, dark in enumerate([*ink, True]):
        if not dark and start is None:
            start = i
        elif dark and start is not None:
            if i - start >= SPACE * height:
                gaps.append((start, i))
            start = None
    spaced = []  # per char of run: whether the text has a space before it
    before = False
    for ch in text:
        if ch == " ":
            before = True
        else:
            spaced.append(before)
            before = False
    # where a word may end: before char i, at a white gap (start, end) or at a space
    cuts: dict[int, tuple[int, int] | None] = {}
    for i in range(1, len(run)):
        a = ((run[i - 1].x0 + run[i - 1].x1) / 2 / POINT) - left
        b = ((run[i].x0 + run[i].x1) / 2 / POINT) - left
        gap = next((g for g in gaps if a < (g[0] + g[1]) / 2 < b), None)
        marks = run[i - 1].text in FULL_WIDTH_MARKS or run[i].text in FULL_WIDTH_MARKS
        if gap is not None and not marks:  # a mark's ink is a corner of its em: `一、社会…`
            cuts[i] = gap
        elif spaced[i]:
            cuts[i] = None
    # a gap narrower than WIDE_SPACE between a digit and a Chinese char ends a word only
    # beside a number: prose sets digits off the Chinese around them as widely (`该项目
    # 2024年财政拨款 150万元`, 0.8 of the glyphs' height on the scanned seed) as a column
    # gap parts an amount from a label; header cells a column apart are as close
    # (`本年收入 财政拨款`)
    edges = [0, *cuts, len(run)]
    tokens = ["".join(c.text for c in run[p:q]) for p, q in zip(edges, edges[1:], strict=False)]
    for k, i in enumerate(edges[1:-1]):
        gap = cuts[i]
        if gap is None or gap[1] - gap[0] >= WIDE_SPACE * height:
            continue
        if _is_cjk(run[i - 1].text) == _is_cjk(run[i].text):
            continue
        if not (NUMBER.match(tokens[k]) or NUMBER.match(tokens[k + 1])):
            del cuts[i]
    # words as (first char, bounds in band columns between which their ink lies)
    words: list[tuple[int, int, int]] = []
    first, lo = 0, 0
    for i, gap in cuts.items():
        if gap is None:
            cut = round((run[i - 1].x1 / POINT + run[i].x0 / POINT) / 2) - left
            gap = (cut, cut)
        words.append((first, lo, gap[0]))
        first, lo = i, gap[1]
    words.append((first, lo, len(ink)))
    out: list[Char] = []
    for k, (first, lo, hi) in enumerate(words):
        last = words[k + 1][0] if k + 1 < len(words) else len(run)
        word = run[first:last]
        dark = np.flatnonzero(ink[lo:hi])
        x0, x1 = word[0].x0, word[-1].x1
        y0, y1 = None, None
        if len(dark):
            x0, x1 = (left + lo + dark[0]) * POINT, (left + lo + dark[-1] + 1) * POINT
            # and from its ink's top to its bottom: the recogniser's boxes are no taller for
            # a larger font (a narrative heading after a table, 12 against 9 points, came
            # out as tall as the rows and was read as one)
            rows = np.flatnonzero(dark_px[:, lo:hi].any(axis=1))
            y0, y1 = (int(top) + rows[0]) * POINT, (int(top) + rows[-1] + 1) * POINT
        # each char gets the share of the word its recognised box had, edge to edge
        span = (word[-1].x1 - word[0].x0) or 1.0
        inner = [(p.x1 + c.x0) / 2 for p, c in zip(word, word[1:], strict=False)]
        xs = [x0 + (x - word[0].x0) / span * (x1 - x0) for x in (word[0].x0, *inner, word[-1].x1)]
        out.extend(
            Char(
                c.text,
                xs[j],
                c.top if y0 is None else y0,
                xs[j + 1],
                c.bottom if y1 is None else y1,
            )
            for j, c in enumerate(word)
        )
    return out


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _between_rules(run: list[Char], verticals: list[Edge]) -> list[Char]:
    """A run's chars squeezed inside the vertical rules that cut its first or last glyph.

    The recogniser places chars by where it read them, not by their ink, and a run printed
    against a rule reaches past it: `6,481.41` right-aligned on its cell's rule put its last
    `1` beyond the table (case 67fe8550), `一、财政拨款` its `一` in the cell before. A rule
    within one glyph (the run's height) of either end bounds the run there."""
    x0, x1 = run[0].x0, run[-1].x1
    top, bottom = min(c.top for c in run), max(c.bottom for c in run)
    glyph = bottom - top
    left, right = x0, x1
    for e in verticals:
        if e["top"] < bottom and e["bottom"] > top:
            if x1 - glyph < e["x0"] < x1:
                right = min(right, e["x0"] - RULE_GAP)
            if x0 < e["x0"] < x0 + glyph:
                left = max(left, e["x0"] + RULE_GAP)
    if (left, right) == (x0, x1) or right <= left:
        return run
    scale = (right - left) / (x1 - x0)
    return [
        Char(c.text, left + (c.x0 - x0) * scale, c.top, left + (c.x1 - x0) * scale, c.bottom)
        for c in run
    ]


_ENGINE: list[Any] = []  # the process's RapidOCR engine, loaded once


def _engine() -> Any:
    """RapidOCR with the wheel's own models (nothing is downloaded), one thread per process
    (workers are processes), on CUDA where ONNX Runtime offers it."""
    if not _ENGINE:
        import onnxruntime
        from rapidocr import RapidOCR

        cuda = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
        _ENGINE.append(
            RapidOCR(
                params={
                    "Global.log_level": "error",
                    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    "EngineConfig.onnxruntime.use_cuda": cuda,
                    "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
                    "Det.limit_type": "max",
                    "Rec.rec_batch_num": 1,
                    "Rec.rec_img_shape": [3, 48, REC_MIN_WIDTH],
                }
            )
        )
        _ENGINE[0]._load_det_model()
    return _ENGINE[0]
