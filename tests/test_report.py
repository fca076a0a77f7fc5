"""The investigation tools: `budgetpdf show` (a page drawn as read), the run report
(OUT/report.html, opened in headless Chromium) and `--pages`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from budgetpdf.emit import writer
from budgetpdf.emit.draw import COLOURS, SCALE
from budgetpdf.emit.report import check_cells, render_html, write_report
from budgetpdf.pipeline.cli import main
from conftest import ROOT, SAMPLE, SEED, need
from PIL import Image

# Screenshots a person looks at after the tests (CI keeps the folder); not in git.
ARTIFACTS = Path(os.environ.get("BUDGETPDF_ARTIFACTS") or ROOT / "test-artifacts")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SOURCE_ERROR = Decimal("1038.29")  # the seed's 项目概况表 合计/支出; its projects sum to 1036.29


def _overview_total(result) -> dict:
    return next(
        c
        for c in result.checks
        if c["check_id"] == "project_overview_total" and c["passed"] is False
    )


def test_failed_check_finds_its_cells(seed_lattice):
    check = _overview_total(seed_lattice)
    assert check["actual"] == SOURCE_ERROR
    printed, parts = check_cells(check, seed_lattice.facts)
    assert [f["value"] for f in printed] == [SOURCE_ERROR]
    assert len(parts) == 7 and sum(f["value"] for f in parts) == Decimal("1036.29")
    assert {f["page"] for f in printed + parts} == {25}


@pytest.fixture(scope="module")
def seed_out(seed_lattice, knowledge, tmp_path_factory) -> Path:
    """An output folder holding the seed's reading, with its report."""
    out = tmp_path_factory.mktemp("seed_out")
    r = seed_lattice
    writer.write_document(
        out, {"documents": [r.document], "tables": r.tables, "facts": r.facts, "checks": r.checks}
    )
    writer.compact(out, knowledge)
    pdf = need(SEED / "seed_lattice.pdf")
    write_report(out, {(pdf.name, pdf.stat().st_size): pdf}, knowledge)
    return out


def _data(out: Path) -> dict:
    text = (out / "report.html").read_text(encoding="utf-8")
    match = re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


def test_report_lists_the_failed_check_with_its_image(seed_out):
    data = _data(seed_out)
    (doc,) = data["documents"]
    assert doc["source"] == "seed_lattice.pdf" and doc["year"] == 2024 and doc["kind"] == "决算"
    n, check = next(
        (i, c) for i, c in enumerate(data["failed"]) if c["check_id"] == "project_overview_total"
    )
    assert check["page"] == 25
    assert check["arithmetic"].startswith("printed 1038.29 vs 139.73 + 127.37")
    assert "= 1036.29: difference 2.00" in check["arithmetic"]
    image = Image.open(seed_out / check["image"])
    assert image.width == round(595.28 * SCALE)  # the A4 page, a note band above
    # the printed cell is outlined in red on the image, where the fact's box says
    fact = next(
        f
        for f in writer.read_dataset(seed_out, "facts").to_pylist()
        if f["value"] == SOURCE_ERROR and f["page"] == 25
    )
    band = image.height - round(841.89 * SCALE)
    x, y = round(fact["x0"] * SCALE) + 1, round((fact["top"] + fact["bottom"]) / 2 * SCALE) + band
    assert image.convert("RGB").getpixel((x, y)) == COLOURS["failed"]
    assert n >= 0


def test_report_images_are_kept_while_the_check_is_unchanged(seed_out, knowledge):
    before = {p.name: p.stat().st_mtime_ns for p in (seed_out / "report").glob("*.png")}
    write_report(seed_out, {}, knowledge)  # no PDF given: the images already drawn stay
    after = {p.name: p.stat().st_mtime_ns for p in (seed_out / "report").glob("*.png")}
    assert before and before == after


def test_show_draws_roles_and_the_failed_cell(seed_lattice, tmp_path):
    pdf = need(SEED / "seed_lattice.pdf")
    assert main(["show", str(pdf), "--page", "25", "--out", str(tmp_path)]) == 0
    image = Image.open(tmp_path / "seed_lattice_p25.png").convert("RGB")
    fact = next(f for f in seed_lattice.facts if f["value"] == SOURCE_ERROR and f["page"] == 25)
    mid = round((fact["top"] + fact["bottom"]) / 2 * SCALE)
    assert image.getpixel((round(fact["x0"] * SCALE) + 1, mid)) == COLOURS["failed"]
    other = next(f for f in seed_lattice.facts if f["page"] == 25 and f["value"] == Decimal("150"))
    left = round(other["x0"] * SCALE)
    outline = {
        image.getpixel((left + d, round((other["top"] + other["bottom"]) / 2 * SCALE)))
        for d in (0, 1)
    }
    assert COLOURS["amount"] in outline


def test_show_says_which_page_is_missing(capsys):
    pdf = need(SEED / "seed_lattice.pdf")
    assert main(["show", str(pdf), "--page", "99"]) == 1
    assert (
        capsys.readouterr().err.strip() == "budgetpdf: seed_lattice.pdf has no page 99 (it has 50)"
    )


def test_pages_restricts_a_run_and_a_full_run_redoes_it(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(SAMPLE), "--out", str(out), "--pages", "3-4"]) == 0
    (doc,) = writer.read_dataset(out, "documents").to_pylist()
    facts = writer.read_dataset(out, "facts").to_pylist()
    assert doc["status"] == "partial" and doc["error"] == "only pages 3-4 read (--pages)"
    assert doc["pipeline_version"].endswith(" pages=3-4")
    # 收入决算表 (24 amounts) on page 3, 支出决算表 (19) on page 4; nothing of pages 2 and 5
    assert {(f["page"], f["table_id"]) for f in facts} == {(3, "income"), (4, "expenditure")}
    assert len(facts) == 24 + 19
    assert (out / "report.html").exists()
    capsys.readouterr()
    assert main(["run", str(SAMPLE), "--out", str(out)]) == 0
    assert "1 processed" in capsys.readouterr().out
    (doc,) = writer.read_dataset(out, "documents").to_pylist()
    assert doc["status"] == "ok" and doc["facts"] == 64


def test_pages_must_be_pages(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(SAMPLE), "--pages", "0-2"])
    assert exit_.value.code == 2
    assert "pages count from 1" in capsys.readouterr().err


# ---------------------------------------------------------------- in a real browser


def _chromium(*args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        pytest.skip("no chromium (apt-get install chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    return subprocess.run(
        [CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=60, check=True
    )


def test_report_opens_in_chromium_and_the_check_image_loads(seed_out):
    n = next(
        i
        for i, c in enumerate(_data(seed_out)["failed"])
        if c["check_id"] == "project_overview_total"
    )
    url = (seed_out / "report.html").as_uri() + f"#check-{n}"
    dom = _chromium("--dump-dom", url).stdout
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-rows="1"' in body
    assert re.search(r'data-image-loaded="893x\d+"', body), body
    assert "seed_lattice.pdf" in dom and "project_overview_total" in dom
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report_failed_check.png"
    _chromium("--window-size=1200,900", f"--screenshot={shot}", url)
    assert Image.open(shot).size == (1200, 900)


@pytest.mark.slow
def test_report_of_thousands_of_documents_renders_fast(tmp_path):
    """5,000 documents and 1,000 failed checks: the page lays itself out well under 3 s."""
    docs = [
        {
            "doc_id": f"{i:016x}",
            "source": f"doc_{i}.pdf",
            "status": "ok",
            "publisher": f"某局{i}",
            "year": 2026,
            "kind": "预算",
            "tables": 12,
            "listed": 12,
            "listed_found": 12,
            "facts": 900,
            "failed": i % 5 == 0,
            "not_evaluable": 1,
            "error": None,
            "notes": None,
        }
        for i in range(5000)
    ]
    failed = [
        {
            "doc_id": f"{i:016x}",
            "source": f"doc_{i}.pdf",
            "check_id": "row_sum",
            "table_id": "income",
            "description": "x",
            "location": "合计 / 合计",
            "unit": "万元",
            "page": 3,
            "arithmetic": "printed 1 vs 2",
            "difference": "1.00",
            "image": None,
        }
        for i in range(0, 5000, 5)
    ]
    page = tmp_path / "report.html"
    page.write_text(
        render_html({"documents": docs, "failed": failed, "unmapped": []}, "big"), encoding="utf-8"
    )
    started = time.perf_counter()
    dom = _chromium("--dump-dom", page.as_uri()).stdout
    wall = time.perf_counter() - started
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-rows="500"' in body  # the first 500 in the page, sorted and filtered over all
    rendered = int(re.search(r'data-rendered-ms="(\d+)"', body).group(1))
    assert rendered < 3000, (rendered, wall)
