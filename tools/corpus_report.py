"""Corpus report for a run: tables found against titles printed, amount coverage, checks.

    python tools/corpus_report.py OUT CORPUS_FOLDER [--details] [--jobs N] [--misses CSV]
        [--heldout FILE] [--verified CSV] [--json FILE] [--no-coverage]

Read independently of table finding, one pass over every page of every document that was
neither failed nor skipped:
- printed tables: every text line the title rules recognize as a canonical table title, on
  pages that are not a table of contents; a document is complete when each printed
  table_id was emitted;
- printed amounts: every word that looks like an amount (decimals or thousands separators)
  outside running text (see `printed_amounts`); covered when a fact on that page has the
  same value.

What the output says the figures are (issue 10), corpus-wide and per jurisdiction, the
held-out documents (`--heldout`, a CSV whose first column is the file name) apart from the
rest: publisher agreement with the verified list (tests/data/publishers.csv) and publishers
that are a heading, a place or a fragment; fiscal_year agreement and presence; facts without
unit; canonical-table amounts on a column with no concept; distinct column names per
canonical table; empty table titles; checks not evaluable and failed. `--json FILE` writes
these numbers so runs can be compared; `--no-coverage` skips re-reading the PDFs.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from multiprocessing import Pool
from pathlib import Path

import pyarrow.parquet as pq
import regex
from budgetpdf.contract.text import squash
from budgetpdf.extract.layout import TextLine, Word
from budgetpdf.extract.page import PageLayout
from budgetpdf.extract.reader import open_pages
from budgetpdf.normalize.metadata import candidate_kind
from budgetpdf.normalize.quantities import is_direction, is_indicator
from budgetpdf.normalize.segment import listed_tables, page_titles
from budgetpdf.schemas.knowledge import OTHER, Knowledge, load_knowledge

# a column id carrying a hashed detail (budget_gpb_843d2c78da = 一般公共预算/其中:专项资金…):
# a breakdown of the concept, a column of its own
_DETAIL_ID = regex.compile(r"_[0-9a-f]{10}$")
AMOUNT = regex.compile(r"^-?(?:\d+(?:,\d{3})+|\d+)\.\d{2}$|^-?\d+(?:,\d{3})+$")
# Sentence punctuation, a unit, or an ASCII comma standing alone (what is left of a sentence
# when a font's CJK glyphs have no text mapping).
PROSE = regex.compile(r"[。，；：]|万元|元[,，)）]|%|(?:^| )[,;:](?: |$)")
DECIMALS = regex.compile(r"^\.\d+$")
UNIT_WORD = regex.compile(r"^(?:万元|万|元)")
SENTENCE = regex.compile(r"[。，；、]")
MARGIN = 0.06  # running headers and footers sit in the outer 6% of the page height
COMPARISON = regex.compile(r"[≤≥＝=<>＜＞]$")
PAGE_NUMBER = regex.compile(r"^[-—\s]*\d+[-—\s]*$")


def line_text(line: TextLine) -> str:
    return " ".join(w.text for w in line.words)


def printed_amounts(pages: list[PageLayout]) -> dict[int, list[tuple[Decimal, str]]]:
    """Every amount printed outside running text, per page, with the text of its line.

    A line is running text when it has sentence punctuation or a unit, and an amount is
    part of a sentence when a unit follows it: on its own line, or, for a sentence wrapped
    after the amount, at the start of the next line of body text (on the next page, when
    the amount ends a page). Table cells carry a unit after the amount only in performance
    targets, where a comparison precedes it (`≤ 0.45 元/张`)."""
    lines = [(page, line) for page in pages for line in page.lines]
    next_body: list[TextLine | None] = [None] * len(lines)
    following = None
    for i in range(len(lines) - 1, -1, -1):
        next_body[i] = following
        if _is_body(*lines[i]):
            following = lines[i][1]
    out: dict[int, list[tuple[Decimal, str]]] = {page.number: [] for page in pages}
    for i, ((page, line), after) in enumerate(zip(lines, next_body, strict=True)):
        text = line_text(line)
        if PROSE.search(text):
            continue
        below = [
            w
            for p, ln in lines[i + 1 : i + 4]
            if p is page and ln.top < line.bottom + 1.5 * line.height
            for w in ln.words
        ]
        words = line.words
        for k, word in enumerate(words):
            if AMOUNT.match(word.text) and not _unit_follows(words, k, after):
                figures = word.text.replace(",", "") + _wrapped_decimals(word, below)
                out[page.number].append((Decimal(figures), text))
    return out


def _wrapped_decimals(amount: Word, below: Sequence[Word]) -> str:
    """The decimals of an amount too wide for its cell, wrapped under it (`1,264,602` over
    `.38`), else nothing."""
    for word in below:
        if DECIMALS.match(word.text) and amount.x0 <= word.x0 <= amount.x1 + (word.x1 - word.x0):
            return word.text
    return ""


def _unit_follows(words: Sequence[Word], k: int, next_line: TextLine | None) -> bool:
    if k > 0 and COMPARISON.search(words[k - 1].text):
        return False
    if k + 1 < len(words):
        return bool(UNIT_WORD.match(words[k + 1].text))
    return next_line is not None and _continues_with_unit(next_line, words[k])


def _is_body(page: PageLayout, line: TextLine) -> bool:
    """Not a page number, running header or footer."""
    return (
        not PAGE_NUMBER.match(line_text(line))
        and MARGIN * page.height < line.top < (1 - MARGIN) * page.height
    )


def _continues_with_unit(line: TextLine, amount: Word) -> bool:
    """Whether `line` carries on a sentence from `amount`: back at the left margin, unit first."""
    text = line_text(line)
    return line.x0 < amount.x0 and bool(UNIT_WORD.match(text) and SENTENCE.search(text))


def read_document(
    path: Path, knowledge: Knowledge
) -> tuple[set[str], dict[int, list[tuple[Decimal, str]]]]:
    """(canonical tables printed, amounts printed per page); titles read by knowledge."""
    tables: set[str] = set()
    pages = list(open_pages(path))
    for page in pages:
        titles = page_titles(page, knowledge)
        if not listed_tables(page, titles, knowledge.context):
            tables.update(t.spec.id for t in titles if t.spec != OTHER)
    return tables, printed_amounts(pages)


def uncovered(printed: list[tuple[Decimal, str]], facts: Counter) -> list[tuple[Decimal, str]]:
    """The printed amounts no fact of the page accounts for, in reading order."""
    left = Counter(facts)
    out = []
    for value, line in printed:
        if left[value] > 0:
            left[value] -= 1
        else:
            out.append((value, line))
    return out


ROOT = Path(__file__).resolve().parent.parent
VERIFIED = ROOT / "tests" / "data" / "publishers.csv"
# Three jurisdictions (烟台, 福州, 重庆) chosen before the naming rules were written and not
# looked at while writing them: their numbers are the test of what generalises.
HELDOUT = ROOT / "tests" / "data" / "heldout.csv"
# Where a document comes from, by its verified publisher or else its file name. Tools may name
# places; the library never does. The first match wins.
JURISDICTIONS = (
    ("北京", r"北京|首都"),
    ("上海", r"上海"),
    ("深圳", r"深圳"),
    ("广州", r"广州"),
    ("西安", r"西安"),
    ("无锡", r"无锡"),
    ("苏州", r"苏州"),
    ("江苏", r"江苏|省委|省人大|省政协|省法院|省检察院"),
    ("烟台", r"烟台"),
    ("重庆", r"重庆"),
    ("福州", r"福州"),
    ("central", r"^(?:国家|中央|中国)|大学"),
)
CONCEPTS = ("flow", "fund", "spending", "expense_item")


def comparable(name: str | None) -> str | None:
    """A publisher as compared with the verified list: NFKC (（） → ()), no white space."""
    return None if name is None else "".join(unicodedata.normalize("NFKC", name).split())


def jurisdiction(publisher: str | None, source: str) -> str:
    for label, pattern in JURISDICTIONS:
        if regex.search(pattern, publisher or "") or regex.search(pattern, source):
            return label
    return "other"


def read_verified(path: Path) -> dict[str, dict[str, str]]:
    """Verified publisher and year by doc_id (the first 16 hex digits of the SHA-256)."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {r["sha256_16"]: r for r in csv.DictReader(fh)}


def read_heldout(path: Path | None) -> set[str]:
    """File names (first CSV column) of the documents held out from tuning."""
    if path is None or not path.exists():
        return set()
    return {ln.split(",")[0].strip() for ln in path.read_text("utf-8").splitlines() if ln.strip()}


def _columns(path: Path, wanted: Sequence[str]) -> list[dict]:
    """Rows of a Parquet file, with the wanted columns it has (older runs lack 1.1's)."""
    have = set(pq.read_schema(path).names)
    rows = pq.read_table(path, columns=[c for c in wanted if c in have]).to_pylist()
    for row in rows:
        for c in wanted:
            row.setdefault(c, None)
    return rows


def meaning_measures(
    out: Path, docs: list[dict], verified: dict, heldout: set[str], knowledge: Knowledge
) -> dict:
    """Issue 10's measures per group (`rest`, `heldout`, `all`) and per jurisdiction;
    publishers and indicator columns judged by knowledge."""
    facts = _columns(
        out / "facts.parquet",
        (
            "doc_id",
            "table_id",
            "item_code",
            "item_name",
            "column_name",
            "column_id",
            "unit",
            "amount_yuan",
            "measure",
            *CONCEPTS,
        ),
    )
    tables = _columns(out / "tables.parquet", ("doc_id", "table_id", "table_name"))
    checks = _columns(out / "checks.parquet", ("doc_id", "passed"))
    # Until the concept columns are filled, a column without concept is an `x_…` id. Once they
    # are, it is a column whose only concept is `measure` and whose name is not that measure
    # (the single figure of a two-sided summary, `预算数`, names its concept: it is mapped).
    filled = any(f[c] is not None for f in facts for c in CONCEPTS)

    def no_concept(f: dict) -> bool:
        if filled:
            return all(f[c] is None for c in CONCEPTS) and f["column_name"] != f["measure"]
        return (f["column_id"] or "").startswith("x_")

    by_doc: dict[str, dict] = {}
    for d in docs:
        v = verified.get(d["doc_id"])
        by_doc[d["doc_id"]] = {
            "doc": d,
            "verified": v,
            "groups": ("heldout" if d["source"] in heldout else "rest", "all"),
            "where": jurisdiction(v["publisher"] if v else d["publisher"], d["source"]),
        }
    empty = lambda: defaultdict(int)  # noqa: E731
    groups: dict[str, defaultdict] = defaultdict(empty)
    places: dict[str, defaultdict] = defaultdict(empty)
    columns: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))

    def add(doc_id: str, key: str, n: int = 1) -> None:
        info = by_doc.get(doc_id)
        if info is None:
            return
        for g in info["groups"]:
            groups[g][key] += n
        places[info["where"]][key] += n

    for doc_id, info in by_doc.items():
        d, v = info["doc"], info["verified"]
        if d["status"] in ("failed", "skipped"):
            continue
        add(doc_id, "documents_with_tables")
        if d["publisher"] is not None:
            add(doc_id, "publisher_present")
            if candidate_kind(d["publisher"], knowledge.metadata) != "organisation":
                add(doc_id, "publisher_not_organisation")
        if d["fiscal_year"] is not None:
            add(doc_id, "fiscal_year_present")
        if v:
            add(doc_id, "verified")
            add(doc_id, "publisher_right", comparable(d["publisher"]) == comparable(v["publisher"]))
            add(doc_id, "fiscal_year_right", str(d["fiscal_year"]) == v["fiscal_year"])
    ids_of: dict[tuple, set[str]] = defaultdict(set)
    for f in facts:
        add(f["doc_id"], "facts")
        money = f["amount_yuan"] is not None
        add(f["doc_id"], "money_facts", money)
        add(f["doc_id"], "facts_without_unit", f["unit"] is None)
        # a row named by a target's direction (`≥`) instead of its indicator; a row with no
        # label and no code (a 三公 table of one row prints none)
        name = squash(f["item_name"] or "")
        add(f["doc_id"], "facts_named_by_direction", is_direction(name, knowledge.quantities))
        add(f["doc_id"], "facts_without_label", not name and not f["item_code"])
        # an indicator value that prints no unit (实际完成值 37500) is not money: its unit is
        # null by design; any other fact without unit is money whose unit was not read
        indicator = is_indicator([f["column_name"]], knowledge.quantities)
        add(f["doc_id"], "indicator_values_without_unit", f["unit"] is None and indicator)
        if f["table_id"] != "other":
            add(f["doc_id"], "canonical_amounts")
            add(f["doc_id"], "canonical_amounts_no_concept", no_concept(f))
            # the five vocabularies describe money; scores, rates and indicator values are
            # quantities with their own unit (normalize/quantities.py), reported apart, also
            # an indicator whose unit is money (工程改造成本 ≤ 900 万元): its row names it
            amount = money and not indicator
            add(f["doc_id"], "money_amounts", amount)
            add(f["doc_id"], "money_amounts_no_concept", amount and no_concept(f))
            add(f["doc_id"], "quantities", not amount)
            info = by_doc.get(f["doc_id"])
            if info:
                for g in (*info["groups"], info["where"]):
                    columns[g][f["table_id"]].add(f["column_name"])
            if not no_concept(f) and not _DETAIL_ID.search(f["column_id"]):
                ids_of[tuple(f[c] for c in ("measure", *CONCEPTS))].add(f["column_id"])
    for t in tables:
        add(t["doc_id"], "tables")
        add(t["doc_id"], "tables_without_title", not (t["table_name"] or "").strip())
    for c in checks:
        add(c["doc_id"], "checks")
        add(c["doc_id"], "checks_not_evaluable", c["passed"] is None)
        add(c["doc_id"], "checks_failed", c["passed"] is False)

    def finish(counts: defaultdict, cols: dict[str, set]) -> dict:
        out = dict(sorted(counts.items()))
        out["columns_per_canonical_table"] = {k: len(v) for k, v in sorted(cols.items())}
        out["canonical_concepts_filled"] = filled
        return out

    several = {"/".join(map(str, k)): sorted(v) for k, v in ids_of.items() if len(v) > 1}
    return {
        "concepts_with_several_ids": several,
        "groups": {g: finish(c, columns[g]) for g, c in sorted(groups.items())},
        "jurisdictions": {p: finish(c, columns[p]) for p, c in sorted(places.items())},
    }


def _share(n: int, d: int) -> str:
    return f"{n}/{d} ({n / d:.1%})" if d else f"{n}/0"


def print_meaning(measures: dict) -> None:
    several = measures.get("concepts_with_several_ids", {})
    print(f"  concepts (no detail) with more than one column_id: {len(several)}")
    for key, ids in list(several.items())[:10]:
        print(f"    {key}: {', '.join(ids)}")
    rows = [*measures["groups"].items(), *measures["jurisdictions"].items()]
    for name, m in rows:
        cols = m["columns_per_canonical_table"]
        mean = sum(cols.values()) / len(cols) if cols else 0
        docs = m.get("documents_with_tables", 0)
        print(
            f"  {name}: docs {docs}; "
            f"publisher right {_share(m.get('publisher_right', 0), m.get('verified', 0))}, "
            f"not an organisation {m.get('publisher_not_organisation', 0)}; "
            f"year right {_share(m.get('fiscal_year_right', 0), m.get('verified', 0))}, "
            f"present {_share(m.get('fiscal_year_present', 0), docs)}; "
            f"facts without unit {_share(m.get('facts_without_unit', 0), m.get('facts', 0))} "
            f"(indicator values printing none {m.get('indicator_values_without_unit', 0)}); "
            f"facts named by a direction {m.get('facts_named_by_direction', 0)}, "
            f"without label or code {m.get('facts_without_label', 0)}; "
            f"canonical money amounts without concept "
            f"{_share(m.get('money_amounts_no_concept', 0), m.get('money_amounts', 0))} "
            f"(all canonical figures "
            f"{_share(m.get('canonical_amounts_no_concept', 0), m.get('canonical_amounts', 0))}, "
            f"of which quantities {m.get('quantities', 0)}); "
            f"column names per canonical table {mean:.1f} (max {max(cols.values(), default=0)}); "
            f"tables without title {_share(m.get('tables_without_title', 0), m.get('tables', 0))}; "
            f"checks not evaluable {m.get('checks_not_evaluable', 0)}, "
            f"failed {_share(m.get('checks_failed', 0), m.get('checks', 0))}"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--details", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--misses", type=Path, help="write every uncovered amount to this CSV")
    parser.add_argument(
        "--heldout", type=Path, default=HELDOUT, help="CSV of held-out file names, reported apart"
    )
    parser.add_argument("--verified", type=Path, default=VERIFIED, help="verified publishers")
    parser.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    parser.add_argument("--no-coverage", action="store_true", help="skip reading the PDFs")
    args = parser.parse_args()
    knowledge = load_knowledge()
    docs = pq.read_table(args.out / "documents.parquet").to_pylist()
    print(f"documents: {len(docs)} {dict(Counter(d['status'] for d in docs))}")
    report: dict = {"documents": dict(Counter(d["status"] for d in docs))}
    if not args.no_coverage:
        report.update(coverage(args, docs, knowledge))
    measures = meaning_measures(
        args.out, docs, read_verified(args.verified), read_heldout(args.heldout), knowledge
    )
    print("what the figures are:")
    print_meaning(measures)
    report.update(measures)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def coverage(args: argparse.Namespace, docs: list[dict], knowledge: Knowledge) -> dict:
    """Tables found against titles printed, amount coverage and checks (printed), and their
    numbers (returned)."""
    tables = pq.read_table(args.out / "tables.parquet").to_pylist()
    checks = pq.read_table(args.out / "checks.parquet").to_pylist()
    facts = pq.read_table(args.out / "facts.parquet", columns=["doc_id", "page", "value"])
    emitted: dict[str, set[str]] = defaultdict(set)
    for t in tables:
        if t["table_id"] != "other":
            emitted[t["doc_id"]].add(t["table_id"])
    on_page: dict[tuple[str, int], Counter] = defaultdict(Counter)
    for f in facts.to_pylist():
        on_page[(f["doc_id"], f["page"])][f["value"]] += 1
    todo = [
        d
        for d in docs
        if d["status"] not in ("failed", "skipped") and (args.folder / d["source"]).exists()
    ]
    with Pool(args.jobs) as pool:
        read = pool.map(
            partial(read_document, knowledge=knowledge),
            [args.folder / d["source"] for d in todo],
            chunksize=1,
        )
    complete = with_tables = 0
    missing_by_table: Counter = Counter()
    coverage_rows = []
    all_misses: list[tuple[str, int, Decimal, str]] = []
    for doc, (printed, amounts) in zip(todo, read, strict=True):
        missing = printed - emitted[doc["doc_id"]]
        if printed:
            with_tables += 1
            complete += not missing
            missing_by_table.update(missing)
        if missing and args.details:
            print(f"  missing {sorted(missing)} in {doc['source']}")
        misses = [
            (doc["source"], page, value, line)
            for page, printed_on_page in amounts.items()
            for value, line in uncovered(printed_on_page, on_page[(doc["doc_id"], page)])
        ]
        want = sum(len(a) for a in amounts.values())
        coverage_rows.append((doc["source"], want - len(misses), want))
        all_misses.extend(misses)
    print(
        f"tables found: {complete}/{with_tables} documents with every printed standard table "
        f"({complete / max(with_tables, 1):.1%}); missing by table: {dict(missing_by_table)}"
    )
    got = sum(r[1] for r in coverage_rows)
    want = sum(r[2] for r in coverage_rows)
    full = sum(1 for r in coverage_rows if r[1] == r[2])
    print(
        f"amount coverage: {got}/{want} = {got / max(want, 1):.2%}; {full}/{len(coverage_rows)} "
        f"documents at 100% ({full / max(len(coverage_rows), 1):.1%})"
    )
    if args.details:
        for source, g, w in sorted(coverage_rows, key=lambda r: r[1] / max(r[2], 1))[:60]:
            print(f"  {g}/{w} {source}")
    if args.misses:
        with args.misses.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([("source", "page", "value", "line"), *all_misses])
    passed = sum(1 for c in checks if c["passed"])
    failed = Counter(c["check_id"] for c in checks if c["passed"] is False)
    print(
        f"checks: {passed}/{len(checks)} passed ({passed / max(len(checks), 1):.2%}); "
        f"failed by check: {dict(failed.most_common())}"
    )
    return {
        "tables_found": {"complete": complete, "documents": with_tables},
        "missing_by_table": dict(missing_by_table),
        "amount_coverage": {
            "covered": got,
            "printed": want,
            "documents_full": full,
            "documents": len(coverage_rows),
        },
        "checks_passed": {"passed": passed, "checks": len(checks)},
        "failed_by_check": dict(failed.most_common()),
    }


if __name__ == "__main__":
    sys.exit(main())
