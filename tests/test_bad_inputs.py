"""Bad input never stops a run: each gets a documents row with a reason a person can act on,
and the good files beside it are processed completely."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from budgetpdf.pipeline.document import process_document
from budgetpdf.pipeline.runner import run
from conftest import SAMPLE, SHARED, need
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas


def _text_pdf(lines: list[str]) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(lines):
        c.drawString(72, 760 - 20 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def _image_only_pdf() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("L", (800, 300), 255)
    ImageDraw.Draw(img).rectangle((50, 50, 750, 250), outline=0, width=3)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    from reportlab.lib.utils import ImageReader

    c.drawImage(ImageReader(img), 50, 500, width=500, height=190)
    c.showPage()
    c.save()
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_text_pdf(["2024年度部门决算"]))))
    writer.encrypt(user_password="secret", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _zero_page_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _zip_of(data: bytes) -> bytes:
    # stored, not deflated: the PDF's own %PDF- header then stands in the first kilobyte
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("预算.pdf", data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    good = SAMPLE.read_bytes()
    files = {
        "truncated.pdf": good[: len(good) // 3],
        "garbage.pdf": bytes(range(256)) * 40,
        "encrypted.pdf": _encrypted_pdf(),
        "zero_pages.pdf": _zero_page_pdf(),
        "no_tables.pdf": _text_pdf(["这是一份通知。", "没有任何表格。"]),
        "image_only.pdf": _image_only_pdf(),
        "empty.pdf": b"",
        "notes.pdf": "这不是PDF文件".encode(),
        # what scrapers save as .pdf: an error page, an archive of the real PDF
        "error_page.pdf": "<html><head><title>系统繁忙</title></head></html>".encode(),
        "archive.pdf": _zip_of(good),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in files}


EXPECTED = {
    "truncated.pdf": ("failed", "corrupt or truncated"),
    "garbage.pdf": ("failed", "not a PDF"),
    "encrypted.pdf": ("failed", "encrypted"),
    "zero_pages.pdf": ("failed", "no pages"),
    "no_tables.pdf": ("skipped", "no budget or final-account tables"),
    "image_only.pdf": ("skipped", "no text layer"),
    "empty.pdf": ("failed", "not a PDF"),
    "notes.pdf": ("failed", "not a PDF"),
    "error_page.pdf": ("failed", "HTML page «系统繁忙», not a PDF"),
    "archive.pdf": ("failed", "a ZIP archive, not a PDF"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_gets_a_reason(bad_inputs, name, knowledge):
    doc = process_document(bad_inputs[name], knowledge).document
    status, reason = EXPECTED[name]
    assert doc["status"] == status
    assert reason in doc["error"]
    assert "\n" not in doc["error"]


def test_run_goes_on_past_bad_files(bad_inputs, sample, tmp_path, monkeypatch, knowledge):
    # each input's own reason is test_bad_input_gets_a_reason's; without OCR the image-only
    # page is skipped all the same, a model load and a page image sooner
    monkeypatch.setenv("BUDGETPDF_OCR", "0")
    out = tmp_path / "out"
    summary = run([*bad_inputs.values(), SAMPLE], out, knowledge)
    docs = pq.read_table(out / "documents.parquet").to_pylist()
    assert len(docs) == len(bad_inputs) + 1
    assert summary.failed == 8 and summary.skipped == 2 and summary.ok == 1
    facts = pq.read_table(out / "facts.parquet")
    good_id = next(d["doc_id"] for d in docs if d["source"] == SAMPLE.name)
    assert facts.filter(facts["doc_id"].to_numpy() == good_id).num_rows == len(sample.facts)
    assert len(sample.facts) == 64


def test_undecodable_text_layer_is_said_never_not_a_budget(monkeypatch, knowledge):
    # a real 2019 budget whose only font has no usable ToUnicode map: every glyph is (cid:N);
    # without OCR (which reads it: tests/test_ocr.py) nothing can decode it
    monkeypatch.setenv("BUDGETPDF_OCR", "0")
    pdf = need(SHARED / "cases" / "67fe8550_font_without_tounicode.pdf")
    doc = process_document(pdf, knowledge).document
    assert doc["status"] == "skipped"
    assert doc["error"].startswith("text layer cannot be decoded: 3431 of 3650 glyphs")
    assert "OCR is turned off" in doc["error"]
    assert "no budget" not in doc["error"]
    # a run with OCR reads it again (its version is not that of a reading with OCR)
    assert doc["pipeline_version"].endswith(" no-ocr")
