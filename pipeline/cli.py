"""The `budgetpdf` command: run, checks, status, show, report, fetch, nightly."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from budgetpdf import pipeline_version
from budgetpdf.pipeline.limits import Limits

if TYPE_CHECKING:
    from budgetpdf.emit.report import Sources
    from budgetpdf.schemas.knowledge import Knowledge

# Each command imports the stages it runs when it runs: `--help`, a mistyped option or a
# missing folder answer in a fraction of a second, without loading pyarrow or the PDF readers.

DEFAULT_IN = Path("data/raw")
DEFAULT_OUT = Path("data/out")
DEFAULT_SOURCES = Path("sources.toml")


def _knowledge() -> Knowledge | None:
    """The knowledge of schemas/, loaded once for the command; None (the error said on
    stderr in one line) when a file of it is broken."""
    from budgetpdf.schemas.knowledge import KnowledgeError, load_knowledge

    try:
        return load_knowledge()
    except KnowledgeError as exc:
        print(f"budgetpdf: {exc}", file=sys.stderr)
        return None


def _cmd_run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [DEFAULT_IN]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"budgetpdf: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    if args.no_ocr:  # read by extract.reader in this process and in the workers it starts
        os.environ["BUDGETPDF_OCR"] = "0"
    knowledge = _knowledge()  # a broken knowledge file stops the run before its first PDF
    if knowledge is None:
        return 2
    limits = Limits(args.timeout, args.memory, args.pages)
    from budgetpdf.contract.files import OutputError
    from budgetpdf.emit.report import write_report
    from budgetpdf.pipeline.runner import run

    if args.scheduler:
        from budgetpdf.pipeline.distributed import run_distributed  # needs the [distributed] extra

        address = None if args.scheduler == "local" else args.scheduler
        summary = run_distributed(
            paths,
            Path(args.out),
            knowledge,
            address=address,
            workers=max(args.jobs, 1),
            force=args.force,
            limits=limits,
        )
        write_report(Path(args.out), _sources(paths), knowledge)
        print(f"budgetpdf {pipeline_version()}: {summary.line()} → {args.out}")
        return 1 if summary.any_failed else 0
    try:
        summary = run(
            paths,
            Path(args.out),
            knowledge,
            jobs=args.jobs,
            force=args.force,
            limits=limits,
            progress=sys.stderr.isatty(),
        )
    except OutputError as exc:
        print(f"budgetpdf: {exc}", file=sys.stderr)
        return 2
    write_report(Path(args.out), _sources(paths), knowledge)
    print(f"budgetpdf {pipeline_version()}: {summary.line()} → {args.out}")
    return 1 if summary.any_failed else 0


def _reads_output(
    command: Callable[[Path, argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """A command over an existing output folder (args.out): one line and exit 2 when it is
    none, else command(out, args)."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        out = Path(args.out)
        if problem := _output_folder(out):
            print(f"budgetpdf: {problem}", file=sys.stderr)
            return 2
        return command(out, args)

    return run


def _output_folder(out: Path) -> str | None:
    """Why out is not an output folder to report on, or None when it is one."""
    if not out.exists():
        return f"no such output folder: {out}"
    if not out.is_dir():
        return f"not an output folder (a file): {out}"
    return None


@_reads_output
def _cmd_checks(out: Path, args: argparse.Namespace) -> int:
    from budgetpdf.contract.files import plain_decimal
    from budgetpdf.emit.writer import read_dataset

    checks = [c for c in read_dataset(out, "checks").to_pylist() if c["passed"] is False]
    docs = {d["doc_id"]: d for d in read_dataset(out, "documents").to_pylist()}
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for c in checks:
        by_doc[c["doc_id"]].append(c)
    for doc_id, rows in sorted(by_doc.items()):
        doc = docs.get(doc_id, {})
        print(
            f"\n{doc.get('publisher') or '?'} {doc.get('fiscal_year') or ''} "
            f"{doc.get('doc_kind') or ''} — {doc.get('source', doc_id)} ({len(rows)} failed)"
        )
        for c in rows:
            print(f"  [{c['check_id']}] {c['description']}")
            e, a, d, t = (
                plain_decimal(c[k]) for k in ("expected", "actual", "difference", "tolerance")
            )
            print(
                f"      {c['location']}: expected {e}, actual {a}, difference {d} (tolerance {t})"
            )
    print(f"\n{len(checks)} failed checks in {len(by_doc)} of {len(docs)} documents")
    return 0


@_reads_output
def _cmd_status(out: Path, args: argparse.Namespace) -> int:
    from budgetpdf.emit.writer import read_dataset

    docs = read_dataset(out, "documents").to_pylist()
    if not docs:
        print(f"{out}: no documents yet")
        return 0
    by_status: dict[str, int] = defaultdict(int)
    for d in docs:
        by_status[d["status"]] += 1
    facts = read_dataset(out, "facts").num_rows
    years = sorted({d["fiscal_year"] for d in docs if d["fiscal_year"]})
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
    span = f"{years[0]}–{years[-1]}" if years else "-"
    print(f"{out}: {len(docs)} documents ({statuses}), {facts} facts, fiscal years {span}")
    for d in docs:
        if d["status"] in ("failed", "skipped", "partial"):
            print(f"  {d['status']:8} {d['source']}: {d['error']}")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    """Exit 0 all fetched, 1 a document link failed, 2 cannot run, 3 a source unreachable."""
    from budgetpdf.fetch.crawl import FetchError, fetch
    from budgetpdf.fetch.sources import SourcesError, load_sources, sources_from_urls

    urls = [t for t in args.sources if t.startswith(("http://", "https://"))]
    try:
        if urls and len(urls) < len(args.sources):
            raise SourcesError("give either one sources file or listing-page addresses")
        if not urls and len(args.sources) != 1:
            raise SourcesError("give one sources file (or listing-page addresses)")
        sources = sources_from_urls(urls) if urls else load_sources(Path(args.sources[0]))
        report = fetch(sources, Path(args.raw))
    except (SourcesError, FetchError) as exc:
        print(f"budgetpdf: {exc}", file=sys.stderr)
        return 2
    print(f"budgetpdf fetch: {report.line()} → {args.raw}")
    for problem in report.unreachable + report.failures:
        print(f"  {problem}", file=sys.stderr)
    return report.exit_code()


def _cmd_nightly(args: argparse.Namespace) -> int:
    from budgetpdf.pipeline.nightly import nightly

    code, entry = nightly(Path(args.sources), Path(args.raw), Path(args.out), jobs=args.jobs)
    if "error" in entry:
        print(f"budgetpdf: {entry['error']}", file=sys.stderr)
    for problem in entry.get("unreachable", []):
        print(f"  unreachable: {problem}", file=sys.stderr)
    fetched, ran = entry.get("fetch"), entry.get("run")
    if fetched and ran:
        print(
            f"budgetpdf nightly: fetched {fetched['saved']} new of {fetched['document_links']} "
            f"document links ({fetched['failed']} failed, {len(entry['unreachable'])} sources "
            f"unreachable); ran {ran['processed']} ({ran['failed']} failed) → {args.out} "
            f"(exit {code}; details in {Path(args.out) / 'nightly.json'})"
        )
    return code


def _sources(paths: list[Path]) -> Sources:
    """The PDFs under paths by file name and size: where the report finds a document's
    pages to draw its failed checks on."""
    from budgetpdf.pipeline.runner import collect_inputs

    found = {}
    for path in collect_inputs(paths):
        try:
            if path.is_file():
                found[(path.name, path.stat().st_size)] = path
        except OSError:
            continue  # vanished since: its checks get no image
    return found


@_reads_output
def _cmd_report(out: Path, args: argparse.Namespace) -> int:
    knowledge = _knowledge()
    if knowledge is None:
        return 2
    from budgetpdf.emit.report import write_report

    target = write_report(out, _sources([Path(p) for p in args.pdfs]), knowledge)
    print(f"{target}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from budgetpdf.pipeline.show import ShowError, show  # loads the drawing libraries

    pdf = Path(args.pdf)
    if not pdf.is_file():
        print(f"budgetpdf: no such file: {pdf}", file=sys.stderr)
        return 2
    knowledge = _knowledge()
    if knowledge is None:
        return 2
    try:
        written = show(pdf, Path(args.out), knowledge, args.pages)
    except ShowError as exc:
        print(f"budgetpdf: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    if not written:
        print(f"budgetpdf: no table found in {pdf.name}; name pages with --page", file=sys.stderr)
    return 0


def _page_numbers(text: str) -> frozenset[int]:
    """An argparse type: 1-based pages as `3`, `3,5` or `3-5,9`."""
    pages: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        try:
            a, b = int(first), int(last or first)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not pages like 3 or 3-5,9: {text!r}") from None
        if not 1 <= a <= b:
            raise argparse.ArgumentTypeError(f"pages count from 1, first to last: {part!r}")
        pages.update(range(a, b + 1))
    return frozenset(pages)


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


class _Union(argparse.Action):
    """--page given several times: the union of the pages."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        setattr(namespace, self.dest, (getattr(namespace, self.dest) or frozenset()) | values)


def main(argv: list[str] | None = None) -> int:
    """The command line (argv, default sys.argv[1:]). Returns the exit code: 0 done, 1 some
    input's document is failed (read now, or left failed after its retries), 2 an operator
    error (missing input or output folder, an output that cannot be written or a full disk,
    a broken knowledge file; bad arguments exit with 2 through argparse), 130 Ctrl-C. Each
    error is one line on stderr."""
    parser = argparse.ArgumentParser(prog="budgetpdf", description=__doc__)
    parser.add_argument("--version", action="version", version=pipeline_version())
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="extract PDFs (files or folders) into the contract tables")
    p.add_argument("paths", nargs="*", help=f"PDF files or folders (default {DEFAULT_IN})")
    p.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument(
        "--jobs", type=_positive, default=1, help="worker processes reading documents (default 1)"
    )
    p.add_argument("--force", action="store_true", help="reprocess every document, done or failed")
    p.add_argument(
        "--timeout",
        type=_positive,
        default=Limits().seconds,
        help="seconds of wall-clock time per document before its worker is killed "
        f"(default {Limits().seconds}: a long scan read by OCR takes minutes)",
    )
    p.add_argument(
        "--memory",
        type=_positive,
        default=2048,
        help="MB of resident memory (RSS) per worker before it is killed (default 2048)",
    )
    p.add_argument(
        "--scheduler",
        help="run on a Dask cluster: 'local' starts one with --jobs workers, or tcp://HOST:PORT",
    )
    p.add_argument(
        "--pages",
        type=_page_numbers,
        help="read only these pages (3, 3-5,9), to investigate; such documents are partial "
        "and a run over all pages redoes them",
    )
    p.add_argument(
        "--no-ocr",
        action="store_true",
        help="leave scanned and undecodable pages unread instead of reading their images",
    )
    p.set_defaults(func=_cmd_run)
    c = sub.add_parser("checks", help="print the failed checks of a run, by document")
    c.add_argument("out", nargs="?", default=str(DEFAULT_OUT))
    c.set_defaults(func=_cmd_checks)
    s = sub.add_parser("status", help="summarize what an output folder holds")
    s.add_argument("out", nargs="?", default=str(DEFAULT_OUT))
    s.set_defaults(func=_cmd_status)
    f = sub.add_parser("fetch", help="download new and changed documents of sources into RAW")
    f.add_argument(
        "sources", nargs="+", help="a sources file (TOML), or listing-page addresses (http…)"
    )
    f.add_argument("--raw", default=str(DEFAULT_IN), help=f"PDF store (default {DEFAULT_IN})")
    f.set_defaults(func=_cmd_fetch)
    n = sub.add_parser("nightly", help="fetch, run on what is new, report (exit 0/1/2/3)")
    n.add_argument("sources", nargs="?", default=str(DEFAULT_SOURCES), help="sources file (TOML)")
    n.add_argument("--raw", default=str(DEFAULT_IN), help=f"PDF store (default {DEFAULT_IN})")
    n.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT})")
    n.add_argument(
        "--jobs", type=_positive, default=1, help="worker processes reading documents (default 1)"
    )
    n.set_defaults(func=_cmd_nightly)
    r = sub.add_parser(
        "report",
        help="write OUT/report.html: documents, failed checks with their pages, unmapped columns",
    )
    r.add_argument("out", nargs="?", default=str(DEFAULT_OUT))
    r.add_argument(
        "pdfs", nargs="*", help="the PDFs (files or folders) read into OUT, to draw failed checks"
    )
    r.set_defaults(func=_cmd_report)
    v = sub.add_parser(
        "show", help="draw the grids as read on a PDF's pages (PNG), by cell role and concept"
    )
    v.add_argument("pdf", help="a PDF file")
    v.add_argument(
        "--page",
        "--pages",
        dest="pages",
        type=_page_numbers,
        action=_Union,
        help="pages to draw (3, 3-5,9; repeatable); default every page with a table",
    )
    v.add_argument("--out", default=".", help="folder for the PNGs (default: here)")
    v.set_defaults(func=_cmd_show)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `budgetpdf checks | head` closed the pipe: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(
            "budgetpdf: interrupted; documents finished so far are kept, rerun to continue",
            file=sys.stderr,
        )
        return 130
    except OSError as exc:  # a full disk or a vanished output while reporting
        from budgetpdf.pipeline.runner import output_problem

        print(f"budgetpdf: {output_problem(Path(getattr(args, 'out', '.')), exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
