#!/usr/bin/env python
"""OCR cost: CPU-seconds per scanned table page on one core, and a worker's peak memory.

    python bench/ocr.py                      # the scanned seed's table pages (12)
    python bench/ocr.py --pages 10           # one page (the 一般公共预算财政拨款支出决算表)
    python bench/ocr.py --pdf scan.pdf --pages 1-3 --out RESULTS_OCR.md

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
    from pypdf import PdfReader, PdfWriter

    cv2.setNumThreads(1)
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
            result = process_document(one)
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


def run(pdf: Path, pages: list[int]) -> dict:
    env = dict(os.environ, **ONE_THREAD)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(pdf), json.dumps(pages)],
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

    import onnxruntime
    import rapidocr

    peak = max(r["peak_rss_mb"] for r in rows)
    facts = sum(r["facts"] for r in rows)
    lines = [
        "# OCR benchmark",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.machine()}, nproc {os.cpu_count()}",
        f"- rapidocr {getattr(rapidocr, '__version__', '?')}, "
        f"onnxruntime {onnxruntime.__version__}; one worker process, one thread",
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
        worker(sys.argv[2], json.loads(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pdf", type=Path, default=SEED / "seed_scanned.pdf")
    ap.add_argument("--pages", help="e.g. 6-14,18 (default: the seed's gold table pages)")
    ap.add_argument("--out", type=Path, help="also write the markdown table here")
    args = ap.parse_args()
    if not args.pdf.is_file():
        raise SystemExit(f"{args.pdf}: not found (set BUDGETPDF_CORPUS or --pdf)")
    pages = parse_pages(args.pages) if args.pages else table_pages()
    res = run(args.pdf, pages)
    text = report(args.pdf, res, "python bench/ocr.py " + " ".join(sys.argv[1:]))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
