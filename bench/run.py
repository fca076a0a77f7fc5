#!/usr/bin/env python
"""Throughput and peak memory: budgetpdf end to end vs plain pdfplumber vs camelot lattice.

    python bench/run.py                 # default sample (12 docs) + largest-document memory pass
    python bench/run.py --sample 6      # fewer documents
    python bench/run.py --quick         # 3 small documents, no largest-document pass

Every engine runs in its own fresh subprocess (this same file with ``--worker``), one
process, one thread pool of size 1, so the rates are per core and the peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss`` of that child, plus any grandchildren) belongs to
that engine alone. The sample is fixed: catalog rows sorted by sha256, split into three
page-count strata, taken round-robin. Results go to stdout and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = Path(os.environ.get("BUDGETPDF_CORPUS", ROOT.parent / "shared" / "corpus"))
ENGINES = ("budgetpdf", "pdfplumber", "camelot")
STRATA = ((1, 19), (20, 44), (45, 150))  # pages: small / medium / large
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENCV_FOR_THREADS_NUM": "1",
}


# ---------------------------------------------------------------- sample selection


def _catalog() -> list[dict]:
    with (CORPUS / "CATALOG.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        r["pages"] = int(r["pages"])
        r["bytes"] = int(r["bytes"])
        r["path"] = str(CORPUS / r["file"])
        if "SCANNED image-only PDF" in r["notes"]:  # no text layer: nothing to measure
            continue
        if Path(r["path"]).is_file():
            out.append(r)
    return sorted(out, key=lambda r: r["sha256"])


def largest(rows: list[dict]) -> dict:
    return max(rows, key=lambda r: (r["pages"], r["bytes"]))


def choose_sample(rows: list[dict], n: int, quick: bool) -> list[dict]:
    big = largest(rows)
    rows = [r for r in rows if r is not big]
    buckets = [[r for r in rows if lo <= r["pages"] <= hi] for lo, hi in STRATA]
    if quick:
        return buckets[0][:3]
    chosen: list[dict] = []
    i = 0
    while len(chosen) < n and any(buckets):
        b = buckets[i % len(buckets)]
        if b:
            chosen.append(b.pop(0))
        i += 1
    return chosen


# ---------------------------------------------------------------- workers (child side)


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _maxrss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0  # Linux: kilobytes


def _work_budgetpdf(jobs):
    from budgetpdf.pipeline.document import process_document
    from budgetpdf.schemas.knowledge import load_knowledge

    knowledge = load_knowledge()
    yield "ready"
    for path, _ in jobs:
        r = process_document(Path(path), knowledge)
        yield {
            "pages": r.document["pages"],
            "tables": len(r.tables),
            "facts": len(r.facts),
            "status": r.document["status"],
        }


def _work_pdfplumber(jobs):
    import pdfplumber

    yield "ready"
    for path, _ in jobs:
        n = tables = 0
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                tables += len(page.extract_tables())
                page.close()  # pdfplumber's documented way to release a page's cache
                n += 1
        yield {"pages": n, "tables": tables}


def _work_camelot(jobs):
    import camelot
    import cv2

    cv2.setNumThreads(1)
    yield "ready"
    for path, cap in jobs:
        pages = "all" if not cap else f"1-{cap}"
        try:
            found = camelot.read_pdf(
                path, pages=pages, flavor="lattice", backend="pdfium", suppress_stdout=True
            )
            tables = found.n
        except Exception as exc:  # report, do not fake
            yield {"pages": 0, "tables": 0, "error": f"{type(exc).__name__}: {exc}"[:200]}
            continue
        if cap:
            n = cap
        else:
            import pypdfium2

            n = len(pypdfium2.PdfDocument(path))
        yield {"pages": n, "tables": tables}


def worker(engine: str) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    jobs = json.load(sys.stdin)
    t0 = time.perf_counter()
    work = {"budgetpdf": _work_budgetpdf, "pdfplumber": _work_pdfplumber, "camelot": _work_camelot}[
        engine
    ](jobs)
    next(work)  # imports done
    import_s = time.perf_counter() - t0
    rss_ready = _maxrss_mb()
    t1, c1 = time.perf_counter(), _cpu()
    per_doc = list(work)
    out = {
        "engine": engine,
        "import_s": import_s,
        "wall_s": time.perf_counter() - t1,
        "cpu_s": _cpu() - c1,
        "pages": sum(d["pages"] for d in per_doc),
        "tables": sum(d["tables"] for d in per_doc),
        "facts": sum(d.get("facts", 0) for d in per_doc),
        "errors": [d["error"] for d in per_doc if "error" in d],
        "rss_after_import_mb": rss_ready,
        "peak_rss_mb": _maxrss_mb(),
        "docs": per_doc,
    }
    print("@@RESULT " + json.dumps(out, ensure_ascii=False), flush=True)


# ---------------------------------------------------------------- driver (parent side)


def run_engine(engine: str, jobs: list[tuple[str, int]], timeout: float) -> dict:
    env = dict(os.environ, **ONE_THREAD)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker", engine],
            input=json.dumps(jobs),
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"engine": engine, "failed": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT "):
            res = json.loads(line[len("@@RESULT ") :])
            res["process_s"] = time.perf_counter() - started
            return res
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"engine": engine, "failed": f"exit {proc.returncode}: {tail[:200]}"}


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for mod in ("pdfplumber", "pdfminer", "camelot", "cv2", "pypdfium2"):
        try:
            m = __import__(mod)
            versions[mod] = getattr(m, "__version__", getattr(m, "VERSION", "?"))
            if mod == "pypdfium2":
                versions[mod] = m.version.PYPDFIUM_INFO if hasattr(m, "version") else "?"
        except Exception:  # noqa: BLE001
            versions[mod] = "not installed"
    try:
        from budgetpdf import __version__ as bv
    except Exception:  # noqa: BLE001
        bv = "?"
    versions["budgetpdf"] = bv
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "mem": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _rate(r: dict) -> tuple[str, str]:
    if "failed" in r or not r.get("pages"):
        return "—", "—"
    wall = r["pages"] / r["wall_s"] if r["wall_s"] else math.inf
    cpu = r["pages"] / r["cpu_s"] if r["cpu_s"] else math.inf
    return f"{wall:.2f}", f"{cpu:.2f}"


def _ratio(a: float | None, b: float | None, fmt: str = "{:.2f}×") -> str:
    if not a or not b:
        return "n/a"
    return fmt.format(a / b)


def _pps(r: dict | None) -> float | None:
    if not r or "failed" in r or not r.get("pages") or not r.get("wall_s"):
        return None
    return r["pages"] / r["wall_s"]


def _rss(r: dict | None) -> float | None:
    if not r or "failed" in r:
        return None
    return r["peak_rss_mb"]


def report(
    m: dict, sample: list[dict], cam_jobs, speed: dict, mem: dict, big: dict | None, args
) -> str:
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    L = []
    L.append("# budgetpdf benchmark\n")
    L.append(f"- date: {now}")
    L.append(f"- machine: {m['cpu']}; nproc {m['nproc']}; RAM {m['mem']}; {m['platform']}")
    L.append(f"- python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()))
    L.append(
        "- every engine in its own subprocess, single process, BLAS/OpenMP/OpenCV "
        "threads = 1; rates are pages per wall second and per CPU second of that process, "
        "imports excluded; peak RSS is the child's ru_maxrss "
        "(includes interpreter and imports)"
    )
    pages = sum(r["pages"] for r in sample)
    cam_pages = sum(c for _, c in cam_jobs) if args.camelot_pages else pages
    L.append(
        f"- sample: {len(sample)} documents, {pages} pages "
        f"(catalog sorted by sha256, round-robin over page strata "
        f"{', '.join(f'{lo}-{hi}' for lo, hi in STRATA)}; fully scanned PDFs excluded)"
    )
    if args.camelot_pages:
        first = cam_jobs[0][1] if cam_jobs else 0
        L.append(
            f"- camelot throughput on a sub-sample: the first {first} pages of each "
            f"sample document (capped by its length), {cam_pages} pages"
        )
    L.append(f"- command: `{' '.join(['python bench/run.py', *sys.argv[1:]])}`")
    L.append("")
    L.append("## Throughput on the sample\n")
    L.append(
        "| engine | what runs | pages | wall s | pages/s (wall, 1 core) | pages/CPU-s "
        "| peak RSS MB | tables | import s |"
    )
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    what = {
        "budgetpdf": "`process_document` (extract→normalize→check)",
        "pdfplumber": "`page.extract_tables()` every page",
        "camelot": "`read_pdf(flavor='lattice', backend='pdfium')`",
    }
    for e in ENGINES:
        r = speed.get(e)
        if r is None:
            continue
        if "failed" in r:
            L.append(f"| {e} | {what[e]} | — | — | — | — | — | — | FAILED: {r['failed']} |")
            continue
        w, c = _rate(r)
        extra = f" ({r['facts']} facts)" if e == "budgetpdf" else ""
        L.append(
            f"| {e} | {what[e]} | {r['pages']} | {r['wall_s']:.1f} | {w} | {c} | "
            f"{r['peak_rss_mb']:.0f} | {r['tables']}{extra} | {r['import_s']:.2f} |"
        )
    errs = [(e, x) for e, r in speed.items() for x in r.get("errors", [])]
    for e, x in errs:
        L.append(f"\n- {e} error: {x}")
    if big is not None:
        L.append(
            f"\n## Peak memory on the largest document\n\n`{Path(big['file']).name}` — "
            f"{big['pages']} pages, {big['bytes'] / 1e6:.1f} MB (largest page count in "
            "the corpus); every engine on all pages, fresh subprocess each.\n"
        )
        L.append("| engine | pages | wall s | pages/s | peak RSS MB | RSS after imports MB |")
        L.append("|---|---:|---:|---:|---:|---:|")
        for e in ENGINES:
            r = mem.get(e)
            if r is None:
                continue
            if "failed" in r:
                L.append(f"| {e} | — | — | — | FAILED: {r['failed']} | — |")
                continue
            w, _ = _rate(r)
            L.append(
                f"| {e} | {r['pages']} | {r['wall_s']:.1f} | {w} | "
                f"{r['peak_rss_mb']:.0f} | {r['rss_after_import_mb']:.0f} |"
            )
    L.append("\n## Ratios (budgetpdf ÷ other)\n")
    L.append("| | vs pdfplumber | vs camelot |")
    L.append("|---|---:|---:|")
    b = speed.get("budgetpdf")
    L.append(
        f"| speed, pages/s (>1 = budgetpdf faster) | "
        f"{_ratio(_pps(b), _pps(speed.get('pdfplumber')))} | "
        f"{_ratio(_pps(b), _pps(speed.get('camelot')))} |"
    )
    L.append(
        f"| peak RSS on the sample (<1 = budgetpdf smaller) | "
        f"{_ratio(_rss(b), _rss(speed.get('pdfplumber')))} | "
        f"{_ratio(_rss(b), _rss(speed.get('camelot')))} |"
    )
    if mem:
        bm = mem.get("budgetpdf")
        L.append(
            f"| peak RSS on the largest document | "
            f"{_ratio(_rss(bm), _rss(mem.get('pdfplumber')))} | "
            f"{_ratio(_rss(bm), _rss(mem.get('camelot')))} |"
        )
    L.append(
        "\nNote: budgetpdf does more than the baselines (table identification, "
        "normalization, checks); pdfplumber and camelot only return raw cell grids."
        + (
            " camelot's rate is measured on its page sub-sample, the others on the whole sample."
            if args.camelot_pages
            else ""
        )
        + " Wall rates suffer when other processes share the cores; pages/CPU-s does not."
    )
    L.append("\n## Sample\n")
    L.append("| # | file | pages | bytes |")
    L.append("|---:|---|---:|---:|")
    for i, r in enumerate(sample, 1):
        L.append(f"| {i} | `{Path(r['file']).name}` | {r['pages']} | {r['bytes']:,} |")
    return "\n".join(L) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sample", type=int, default=12, help="documents in the sample (default 12)")
    ap.add_argument("--quick", action="store_true", help="3 small documents, no largest-doc pass")
    ap.add_argument(
        "--camelot-pages",
        type=int,
        default=0,
        help="camelot throughput on about this many pages, the first pages of each "
        "document (0 = all pages, the default)",
    )
    ap.add_argument("--no-largest", action="store_true", help="skip the largest-document pass")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma list of engines")
    ap.add_argument("--timeout", type=float, default=1800, help="per engine run, seconds")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    rows = _catalog()
    if not rows:
        sys.exit(f"no corpus at {CORPUS} (set BUDGETPDF_CORPUS)")
    sample = choose_sample(rows, args.sample, args.quick)
    big = None if (args.quick or args.no_largest) else largest(rows)
    full = [(r["path"], 0) for r in sample]
    if args.camelot_pages:
        per = max(1, math.ceil(args.camelot_pages / len(sample)))
        cam_jobs = [(r["path"], min(per, r["pages"])) for r in sample]
    else:
        cam_jobs = full

    print(f"sample: {len(sample)} docs, {sum(r['pages'] for r in sample)} pages", file=sys.stderr)
    speed, mem = {}, {}
    for e in engines:
        print(f"[speed] {e} …", file=sys.stderr, flush=True)
        speed[e] = run_engine(e, cam_jobs if e == "camelot" else full, args.timeout)
        print(
            f"        {json.dumps({k: v for k, v in speed[e].items() if k != 'docs'})}",
            file=sys.stderr,
        )
    if big is not None:
        for e in engines:
            print(f"[memory] {e} on {Path(big['file']).name} …", file=sys.stderr, flush=True)
            mem[e] = run_engine(e, [(big["path"], 0)], args.timeout)
            print(
                f"        {json.dumps({k: v for k, v in mem[e].items() if k != 'docs'})}",
                file=sys.stderr,
            )
    text = report(machine(), sample, cam_jobs, speed, mem, big, args)
    print(text)
    args.out.write_text(text, encoding="utf-8")
    (args.out.with_suffix(".json")).write_text(
        json.dumps(
            {"speed": speed, "memory": mem, "sample": [r["file"] for r in sample]},
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"written {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
