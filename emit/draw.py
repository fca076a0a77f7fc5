"""Drawing on a rendered page: boxes in PDF points (x0, top, x1, bottom from the page's
top-left, reading orientation: the facts' and tables' boxes) outlined on pypdfium2's
rendering, with small labels and a note band. Used by `budgetpdf show` (every grid as read)
and the run report (the cells of a failed check)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

Box = tuple[float, float, float, float]
SCALE = 1.5  # pixels per PDF point: 893 × 1263 px for an A4 page, numbers still legible
LABEL_POINTS = 4.5  # label text height, in PDF points
NOTE_POINTS = 8.0  # note text height, in PDF points
# Cell outlines by role (show) and for checks (report); RGB
COLOURS = {
    "header": (128, 128, 128),
    "code": (142, 68, 173),
    "label": (39, 174, 96),
    "amount": (31, 111, 235),
    "layout": (230, 126, 34),
    "failed": (220, 0, 0),
    "part": (255, 140, 0),
}


class PageCanvas:
    """One page of a PDF rendered at scale (pixels per point), to draw boxes on. Raises
    pypdfium2.PdfiumError when the PDF cannot be opened, IndexError for a page it lacks."""

    def __init__(self, pdf: Path, number: int, scale: float = SCALE) -> None:
        doc = pdfium.PdfDocument(pdf)
        try:
            if not 1 <= number <= len(doc):
                raise IndexError(f"{pdf.name} has no page {number} (it has {len(doc)})")
            page = doc[number - 1]
            # rendered as read: /Rotate applied, like the boxes' coordinates
            self.image: Image.Image = page.render(scale=scale).to_pil().convert("RGB")
            page.close()
        finally:
            doc.close()
        self.scale = scale
        self._draw = ImageDraw.Draw(self.image)
        self._label_font = ImageFont.load_default(size=max(7, round(LABEL_POINTS * scale)))
        self._note_font = ImageFont.load_default(size=max(9, round(NOTE_POINTS * scale)))

    def _px(self, box: Box) -> tuple[float, float, float, float]:
        return tuple(v * self.scale for v in box)  # type: ignore[return-value]

    def outline(self, box: Box, colour: tuple[int, int, int], width: int = 1) -> None:
        """The box's outline, width pixels wide."""
        self._draw.rectangle(self._px(box), outline=colour, width=width)

    def label(self, box: Box, text: str, colour: tuple[int, int, int]) -> None:
        """text small at the box's left edge, vertically centred (amounts are printed right
        aligned, so the left of their cell is mostly blank)."""
        x0, top, _, bottom = self._px(box)
        self._draw.text(
            (x0 + 2, (top + bottom) / 2), text, fill=colour, font=self._label_font, anchor="lm"
        )

    def note(self, lines: Sequence[str], colour: tuple[int, int, int] = COLOURS["failed"]) -> None:
        """Lines written in a white band added above the page (the arithmetic of a check)."""
        size = self._note_font.size
        band = Image.new("RGB", (self.image.width, round(size * 1.4 * len(lines) + size)), "white")
        draw = ImageDraw.Draw(band)
        for i, line in enumerate(lines):
            draw.text((size, size / 2 + i * size * 1.4), line, fill=colour, font=self._note_font)
        out = Image.new("RGB", (self.image.width, band.height + self.image.height), "white")
        out.paste(band, (0, 0))
        out.paste(self.image, (0, band.height))
        self.image = out
        self._draw = ImageDraw.Draw(self.image)

    def save(self, target: Path) -> Path:
        """The drawing as PNG at target (folders created)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        self.image.save(target, format="PNG", optimize=False)
        return target
