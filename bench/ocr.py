#!/usr/bin/env python
"""OCR cost: CPU-seconds per scanned table page on one core, and a worker's peak memory.

    python bench/ocr.py                      # the scanned seed's table pages (12)
    python bench/ocr.py --pages 10           # one page (the 一般公共预算财政拨款支出决算表)
    python bench/ocr.py --pdf scan.pdf --pages 1-3 --out RESULTS_OCR.md
    python bench/ocr.py --unruled            # accuracy: the pages, rules painted over
    python bench/ocr.py --sideways --pages 10,14   # accuracy: each page turned each way

One fresh subprocess (this file with ``--worker``) with ONNX Runtime, OpenCV, OpenMP and BLAS
held to one thread, as a `budgetpdf run` worker runs: it loads the models once, then runs
`process_document` on each page alone (a one-page PDF cut with pypdf), so a page's cost is
everything a worker spends on it: the text layer found missing, rendering, deskew, rules,
detection, recognition, the grid and table code, checks. Detection and recognition are
timed apart (ONNX Runtime's `run` of each model, CPU time). Peak RSS is the worker's
ru_maxrss after every page (interpreter, imports and models included). The gold of the seed
says which pages hold tables; facts found on them are counted, not compared (the tests
compare them with the gold).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = Path(os.environ.get("BUDGETPDF_CORPUS", ROOT.parent / "shared" / "corpus"))
SEED = CORPUS / "seed"
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENCV_FOR_THREADS_NUM": "1",
}


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def _timed(spent: dict[str, float], key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[key] += time.process_time() - start

    return run


def worker(pdf: str, pages: list[int]) -> None:
    """Child side: one line `@@RESULT {json}` on stdout."""
    import cv2
    from budgetpdf.extract import ocr
    from budgetpdf.pipeline.document import process_document
    from budgetpdf.schemas.knowledge import load_knowledge
    from pypdf import PdfReader, PdfWriter

    cv2.setNumThreads(1)
    knowledge = load_knowledge()
    start = _cpu()
    engine = ocr._engine()
    engine._load_det_model()
    engine._load_rec_model()
    load_cpu = _cpu() - start
    rss_loaded = _maxrss_mb()
    spent = {"det": 0.0, "rec": 0.0, "read": 0.0}
    for key, model in (("det", engine.text_det), ("rec", engine.text_rec)):
        session = model.session.session  # rapidocr's wrapper around the InferenceSession
        session.run = _timed(spent, key, session.run)
    ocr.OcrReader.read = _timed(spent, "read", ocr.OcrReader.read)  # type: ignore[method-assign]
    reader = PdfReader(pdf)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for number in pages:
            one = Path(tmp) / f"p{number}.pdf"
            writer = PdfWriter()
            writer.add_page(reader.pages[number - 1])
            writer.write(one)
            for key in spent:
                spent[key] = 0.0
            before, wall = _cpu(), time.perf_counter()
            result = process_document(one, knowledge)
            rows.append(
                {
                    "page": number,
                    "cpu_s": _cpu() - before,
                    "wall_s": time.perf_counter() - wall,
                    **{f"{k}_s": v for k, v in spent.items()},
                    "facts": len(result.facts),
                    "status": result.document["status"],
                    "peak_rss_mb": _maxrss_mb(),
                }
            )
    out = {"load_cpu_s": load_cpu, "rss_loaded_mb": rss_loaded, "pages": rows}
    print("@@RESULT " + json.dumps(out), flush=True)


def unruled_scan(source: Path, pages: list[int], out: Path) -> Path:
    """The pages of the scanned seed with every ruling line inside their tables painted
    over with the paper's grey: an image-only PDF (200 dpi) of the unruled seed. (The
    unruled seed itself, seed_stream.pdf, cannot be rendered here: its CJK font is not
    embedded and pdfium has none to substitute, so its Chinese would be blank.) The tables'
    boxes are the seed's page map's (seed_pages.json beside source); only runs of ink
    longer than any glyph (42 px high, 120 px wide at 200 dpi; 9-point glyphs are 25 px)
    are painted."""
    import cv2
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    scale = 200 / 72
    boxes: dict[int, list[list[float]]] = {}
    meta = json.loads((source.parent / "seed_pages.json").read_text(encoding="utf-8"))
    for table in meta["tables"].values():
        for part in table["parts"]:
            boxes.setdefault(part["page"], []).append(part["bbox"])
    pdf = pdfium.PdfDocument(source)
    images = []
    for number in pages:
        image = pdf[number - 1].render(scale=scale, grayscale=True).to_numpy().copy()
        ink = (image < 225).astype(np.uint8) * 255  # the rules' anti-aliased fringe too
        rect = cv2.getStructuringElement
        across = cv2.dilate(ink, rect(cv2.MORPH_RECT, (1, 3)))  # the 0.3° skew's steps
        rules = cv2.morphologyEx(across, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (120, 1)))
        down = cv2.dilate(ink, rect(cv2.MORPH_RECT, (3, 1)))
        rules |= cv2.morphologyEx(down, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, 42)))
        rules = cv2.dilate(rules, np.ones((5, 5), np.uint8))
        inside = np.zeros(rules.shape, bool)
        for x0, top, x1, bottom in boxes.get(number, []):
            y0, y1 = max(0, int(top * scale) - 12), int(bottom * scale) + 12
            inside[y0:y1, max(0, int(x0 * scale) - 12) : int(x1 * scale) + 12] = True
        image[(rules > 0) & inside] = int(np.median(image))
        images.append(Image.fromarray(image))
    images[0].save(out, save_all=True, append_images=images[1:], resolution=200)
    return out


def turned_scan(source: Path, number: int, quarter: int, out: Path) -> Path:
    """Page `number` of source rendered at 200 dpi and turned `quarter` quarters
    counter-clockwise (1: its text runs up the page, -1: down), an image-only page
    without /Rotate."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    image = pdfium.PdfDocument(source)[number - 1].render(scale=200 / 72, grayscale=True)
    turned = np.ascontiguousarray(np.rot90(image.to_numpy(), quarter))
    Image.fromarray(turned).save(out, resolution=200)
    return out


def accuracy_worker(mode: str, pdf: str, pages: list[int]) -> None:
    """Child side of --unruled / --sideways: strict recall and precision against the gold
    of the pages (tests/gold.py's key: table, section, code, name, column, value, page)."""
    from collections import Counter

    from budgetpdf.pipeline.document import process_document
    from budgetpdf.schemas.knowledge import load_knowledge

    knowledge = load_knowledge()
    sys.path.insert(0, str(ROOT))
    from tests.gold import fact_keys, gold_keys

    gold_all = gold_keys(SEED / "gold_facts.csv")
    runs = []  # (label, pdf, its page -> the seed's page)
    with tempfile.TemporaryDirectory() as tmp:
        if mode == "unruled":
            out = unruled_scan(Path(pdf), pages, Path(tmp) / "unruled.pdf")
            runs.append(("unruled", out, dict(enumerate(pages, 1))))
        else:
            for number in pages:
                for quarter, name in ((1, "text up"), (-1, "text down")):
                    out = turned_scan(Path(pdf), number, quarter, Path(tmp) / f"t{number}.pdf")
                    runs.append((f"p.{number} {name}", out, {1: number}))
        rows = []
        for label, path, seed_page in runs:
            before = _cpu()
            result = process_document(path, knowledge)
            cpu = _cpu() - before
            gold = Counter({k: n for k, n in gold_all.items() if k[-1] in set(seed_page.values())})
            ours: Counter = Counter()
            for k, n in fact_keys(result.facts, {k[0] for k in gold}).items():
                ours[k[:-1] + (seed_page[k[-1]],)] += n
            hit = sum((gold & ours).values())
            rows.append(
                {
                    "run": label,
                    "gold": sum(gold.values()),
                    "facts": sum(ours.values()),
                    "hit": hit,
                    "cpu_s": cpu,
                    "status": result.document["status"],
                    "by_page": {
                        p: [
                            sum(v for k, v in (gold & ours).items() if k[-1] == p),
                            sum(v for k, v in gold.items() if k[-1] == p),
                        ]
                        for p in sorted(set(seed_page.values()))
                    },
                }
            )
    print("@@RESULT " + json.dumps({"rows": rows, "peak_rss_mb": _maxrss_mb()}), flush=True)


def accuracy_report(pdf: Path, mode: str, res: dict, command: str) -> str:
    rows = res["rows"]
    gold = sum(r["gold"] for r in rows)
    facts = sum(r["facts"] for r in rows)
    hit = sum(r["hit"] for r in rows)
    lines = [
        f"# OCR accuracy: {mode} scans of `{pdf.name}`",
        "",
        f"- command: `{command}`",
        "",
        "| run | gold facts | facts | strictly right | CPU-s | status | per page (right/gold) |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        per_page = ", ".join(f"{p}: {a}/{b}" for p, (a, b) in r["by_page"].items())
        lines.append(
            f"| {r['run']} | {r['gold']} | {r['facts']} | {r['hit']} | {r['cpu_s']:.1f} | "
            f"{r['status']} | {per_page} |"
        )
    recall = hit / gold if gold else 0.0
    precision = hit / facts if facts else 0.0
    lines += [
        "",
        f"Strict recall {hit}/{gold} = {recall:.3f}, precision {hit}/{facts} = "
        f"{precision:.3f}; peak RSS {res['peak_rss_mb']:.0f} MB.",
        "",
    ]
    return "\n".join(lines)


def table_pages() -> list[int]:
    """The seed's pages that hold a gold table (gold_tables.csv)."""
    with (SEED / "gold_tables.csv").open(encoding="utf-8") as fh:
        spans = [(int(r["page_first"]), int(r["page_last"])) for r in csv.DictReader(fh)]
    return sorted({p for first, last in spans for p in range(first, last + 1)})


def parse_pages(text: str) -> list[int]:
    """`6-14,18` -> [6, …, 14, 18]."""
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


def run(pdf: Path, pages: list[int], mode: str = "pages") -> dict:
    env = dict(os.environ, **ONE_THREAD)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            mode,
            str(pdf),
            json.dumps(pages),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT "):
            return json.loads(line[len("@@RESULT ") :])
    raise SystemExit(f"worker failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def report(pdf: Path, res: dict, command: str) -> str:
    rows = res["pages"]
    n = len(rows)

    def mean(key: str) -> float:
        return sum(r[key] for r in rows) / n

    from importlib.metadata import version

    peak = max(r["peak_rss_mb"] for r in rows)
    facts = sum(r["facts"] for r in rows)
    lines = [
        "# OCR benchmark",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.machine()}, nproc {os.cpu_count()}",
        f"- rapidocr {version('rapidocr')}, onnxruntime {version('onnxruntime')}; "
        "one worker process, one thread",
        f"- document: `{pdf.name}`, pages {', '.join(str(r['page']) for r in rows)}",
        f"- command: `{command}`",
        "",
        "| page | CPU-s | of it render+read | detection | recognition | facts | status "
        "| peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['page']} | {r['cpu_s']:.2f} | {r['read_s']:.2f} | {r['det_s']:.2f} | "
            f"{r['rec_s']:.2f} | {r['facts']} | {r['status']} | {r['peak_rss_mb']:.0f} |"
        )
    lines += [
        f"| **mean** | **{mean('cpu_s'):.2f}** | {mean('read_s'):.2f} | {mean('det_s'):.2f} | "
        f"{mean('rec_s'):.2f} | {facts} | | **{peak:.0f}** |",
        "",
        f"Models loaded once per worker: {res['load_cpu_s']:.2f} CPU-s, "
        f"RSS {res['rss_loaded_mb']:.0f} MB after loading.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        mode, pdf, pages = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        if mode == "pages":
            worker(pdf, pages)
        else:
            accuracy_worker(mode, pdf, pages)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pdf", type=Path, default=SEED / "seed_scanned.pdf")
    ap.add_argument("--pages", help="e.g. 6-14,18 (default: the seed's gold table pages)")
    ap.add_argument("--out", type=Path, help="also write the markdown table here")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument(
        "--unruled",
        action="store_true",
        help="accuracy instead of cost: the pages with their tables' rules painted over",
    )
    mode.add_argument(
        "--sideways",
        action="store_true",
        help="accuracy instead of cost: each page turned a quarter each way",
    )
    args = ap.parse_args()
    if not args.pdf.is_file():
        raise SystemExit(f"{args.pdf}: not found (set BUDGETPDF_CORPUS or --pdf)")
    pages = parse_pages(args.pages) if args.pages else table_pages()
    command = "python bench/ocr.py " + " ".join(sys.argv[1:])
    if args.unruled or args.sideways:
        mode = "unruled" if args.unruled else "sideways"
        text = accuracy_report(args.pdf, mode, run(args.pdf, pages, mode), command)
    else:
        text = report(args.pdf, run(args.pdf, pages), command)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
