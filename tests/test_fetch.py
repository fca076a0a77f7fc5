"""budgetpdf fetch and nightly against a real HTTP server on 127.0.0.1 in the test process
(tests/loopback.py): listing pages, PDFs of the corpus and the bundled sample, an HTML error
page sent as application/pdf, a 404, a redirect, an answer slower than the timeout, Word and
ZIP attachments, ETag and Last-Modified."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from budgetpdf.fetch.crawl import fetch, page_links
from budgetpdf.fetch.http import HostPacer
from budgetpdf.fetch.manifest import read_manifest
from budgetpdf.fetch.sniff import archive_pdfs, sniff
from budgetpdf.fetch.sources import SourcesError, load_sources
from budgetpdf.pipeline.cli import main
from budgetpdf.pipeline.document import process_document
from budgetpdf.pipeline.nightly import nightly
from conftest import REAL, ROOT, SAMPLE
from loopback import Route, Site

# Two small real PDFs of the corpus when ../shared is there, else copies of the sample.
CORPUS_PDFS = (
    "2baf474e_江苏省人大常委会办公厅2019年部门预算公开表.pdf",
    "002db9dd_政府办公厅_附件2：中共北京市委军民融合发展委员会办公室2026年度部门预算报表.pdf",
)
FAST = """
[fetch]
delay = 0
timeout = 0.2
retries = 1
backoff = 0.01
"""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def variant(n: int) -> bytes:
    """The bundled sample with a comment after %%EOF: another document's bytes."""
    return SAMPLE.read_bytes() + f"\n% variant {n}\n".encode()


def corpus_pdf(i: int) -> bytes:
    path = REAL / CORPUS_PDFS[i]
    return path.read_bytes() if path.exists() else variant(100 + i)


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


ERROR_PAGE = "<!DOCTYPE html><html><head><title>系统繁忙</title></head><body>请稍后</body></html>"
LISTING = """<html><head><meta charset="gbk"><title>部门预算公开</title></head><body>
<a href="/files/a.pdf">2019年部门预算公开表</a>
<a href="../files/b.pdf">部门预算报表</a>
<a href="/download.jsp?id=3">附件：示例市应急管理局决算</a>
<a href="/files/error.pdf">坏链接</a>
<a href="/files/gone.pdf">已删除</a>
<a href="/files/moved.pdf">已迁移</a>
<a href="/files/slow.pdf">慢</a>
<a href="/files/empty.pdf">空文件</a>
<a href="/files/attach.zip">附件打包</a>
<a href="/files/table.docx">说明</a>
<a href="/news/other.html">新闻</a>
<a href="/list/index_1.html">下一页</a>
<a href="javascript:void(0)">打印</a> <a href="mailto:x@example.org">联系</a>
</body></html>"""
PAGE_TWO = '<html><body><a href="/files/c.pdf#page=2">第二页的预算</a></body></html>'


@pytest.fixture
def site():
    with Site() as s:
        s.routes.update(
            {
                "/list/index.html": Route(LISTING.encode("gbk"), "text/html"),
                "/list/index_1.html": Route(PAGE_TWO.encode(), "text/html; charset=utf-8"),
                "/files/a.pdf": Route(corpus_pdf(0)),
                "/files/b.pdf": Route(corpus_pdf(1)),
                "/download.jsp?id=3": Route(SAMPLE.read_bytes(), "application/octet-stream"),
                "/files/error.pdf": Route(ERROR_PAGE.encode(), "application/pdf"),
                "/files/moved.pdf": Route(status=302, location="/store/moved-here.pdf"),
                "/store/moved-here.pdf": Route(variant(1)),
                "/files/slow.pdf": Route(variant(2), delay=0.6),
                "/files/empty.pdf": Route(b""),
                "/files/attach.zip": Route(
                    zipped({"附件1 预算.pdf": variant(3), "readme.txt": b"see the PDF"}),
                    "application/zip",
                ),
                "/files/table.docx": Route(
                    zipped({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}),
                    "application/octet-stream",
                ),
                "/files/c.pdf": Route(variant(4), etag=False),  # Last-Modified only
                "/news/other.html": Route(b"<html>news</html>", "text/html"),
            }
        )
        yield s


def sources_file(tmp_path: Path, site: Site, extra: str = "") -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        FAST
        + f"""
[[source]]
id = "demo"
start = ["{site.url("/list/index.html")}"]
follow = ['index_\\d+\\.html$']
publisher = "示例市财政局"
{extra}""",
        encoding="utf-8",
    )
    return path


def stored(raw: Path) -> set[str]:
    return {p.name for p in raw.glob("*.pdf")}


def by_url(rows: list[dict], site: Site) -> dict[str, dict]:
    return {r["url"].removeprefix(site.url("")): r for r in rows}


def test_first_fetch_takes_exactly_the_documents(site, tmp_path):
    raw = tmp_path / "raw"
    report = fetch(load_sources(sources_file(tmp_path, site)), raw)
    pdfs = [corpus_pdf(0), corpus_pdf(1), SAMPLE.read_bytes(), variant(1), variant(3), variant(4)]
    assert stored(raw) == {f"{sha(p)}.pdf" for p in pdfs}
    for path in raw.glob("*.pdf"):  # nothing but whole PDFs, each named by its content
        assert path.read_bytes()[:5] == b"%PDF-" and path.stem == sha(path.read_bytes())
    assert not list(raw.glob(".*.part"))  # no partial file left behind
    rows = by_url(read_manifest(raw), site)
    outcomes = {url: (r["outcome"], r["http_status"]) for url, r in rows.items()}
    assert outcomes == {
        "/files/a.pdf": ("saved", 200),
        "/files/b.pdf": ("saved", 200),
        "/download.jsp?id=3": ("saved", 200),
        "/files/error.pdf": ("not_pdf", 200),
        "/files/gone.pdf": ("failed", 404),
        "/files/moved.pdf": ("saved", 200),
        "/files/slow.pdf": ("failed", None),
        "/files/empty.pdf": ("not_pdf", 200),
        "/files/attach.zip": ("archive", 200),
        "/files/attach.zip#附件1 预算.pdf": ("saved", 200),
        "/files/table.docx": ("not_pdf", 200),
        "/files/c.pdf": ("saved", 200),
    }
    reasons = {url: r["reason"] for url, r in rows.items()}
    assert reasons["/files/error.pdf"] == (
        "HTML page «系统繁忙», not a PDF (sent as application/pdf)"
    )
    assert reasons["/files/gone.pdf"] == "HTTP 404 Not Found"
    assert reasons["/files/slow.pdf"] == "timed out after 0.2 s (ReadTimeout)"
    assert reasons["/files/empty.pdf"] == "empty response (0 bytes) (sent as application/pdf)"
    assert reasons["/files/table.docx"].startswith("Word document (.docx), not a PDF")
    assert reasons["/files/attach.zip"] == (
        "ZIP archive: 1 PDF(s) of 2 files taken; not taken: readme.txt "
        "(not a PDF: no %PDF- header in the first 1 KB (starts 73 65 65 20 74 68 65 20))"
    )
    moved = rows["/files/moved.pdf"]
    assert moved["final_url"] == site.url("/store/moved-here.pdf")
    a = rows["/files/a.pdf"]
    assert (a["sha256"], a["bytes"]) == (sha(corpus_pdf(0)), len(corpus_pdf(0)))
    assert (a["source_id"], a["publisher_hint"]) == ("demo", "示例市财政局")
    assert a["referrer"] == site.url("/list/index.html") and a["etag"].startswith('"')
    assert rows["/files/c.pdf"]["referrer"] == site.url("/list/index_1.html")
    assert (report.saved, report.not_pdf, report.failed, report.listing_pages) == (6, 3, 2, 2)
    assert report.unreachable == [] and report.exit_code() == 1
    assert ("/news/other.html", 200) not in site.hits  # neither a document nor to follow
    assert site.asked.count("/files/slow.pdf") == 2  # one retry
    csv = (raw / "manifest.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv[0].startswith("url,source_id,fetched_at,http_status,content_type,bytes,sha256")
    assert len(csv) == 1 + len(rows)


def test_second_fetch_downloads_nothing_and_a_changed_document_is_a_new_version(site, tmp_path):
    raw = tmp_path / "raw"
    sources = load_sources(sources_file(tmp_path, site))
    fetch(sources, raw)
    first = stored(raw)
    rows_before = read_manifest(raw)
    site.hits.clear()
    again = fetch(sources, raw)
    documents = [(p, s) for p, s in site.hits if not p.startswith("/list/")]
    bodies = [(p, s) for p, s in documents if s == 200 and p != "/files/slow.pdf"]
    assert bodies == []  # every document that answered before answers 304 now
    assert {p for p, s in documents if s == 304} >= {"/files/a.pdf", "/files/c.pdf"}
    assert (again.saved, again.known, again.unchanged) == (0, 0, 9)
    assert stored(raw) == first
    new_rows = read_manifest(raw)[len(rows_before) :]  # only the failures happen again
    assert sorted(r["url"].rsplit("/", 1)[1] for r in new_rows) == ["gone.pdf", "slow.pdf"]

    site.routes["/files/slow.pdf"] = Route(variant(2))  # the failures mended
    site.routes["/files/gone.pdf"] = Route(variant(10))
    assert fetch(sources, raw).saved == 2
    first |= {f"{sha(variant(2))}.pdf", f"{sha(variant(10))}.pdf"}
    written = (raw / "manifest.parquet").stat().st_mtime_ns
    assert fetch(sources, raw).unchanged == 11  # nothing new: the manifest is not rewritten
    assert (raw / "manifest.parquet").stat().st_mtime_ns == written

    (raw / f"{sha(corpus_pdf(0))}.pdf").unlink()  # removed by hand: fetched anew, not a 304
    assert fetch(sources, raw).saved == 1 and stored(raw) == first

    old = (raw / f"{sha(corpus_pdf(1))}.pdf").read_bytes()
    site.routes["/files/b.pdf"] = Route(variant(5))
    site.routes["/files/c.pdf"] = Route(variant(6), etag=False, last_modified=1_800_000_000.0)
    changed = fetch(sources, raw)
    assert stored(raw) == first | {f"{sha(variant(5))}.pdf", f"{sha(variant(6))}.pdf"}
    assert (raw / f"{sha(corpus_pdf(1))}.pdf").read_bytes() == old  # the old version kept
    assert changed.saved == 2 and [p.name for p in changed.new_files] == [
        f"{sha(variant(5))}.pdf",
        f"{sha(variant(6))}.pdf",
    ]
    versions = [r["sha256"] for r in read_manifest(raw) if r["url"].endswith("/files/b.pdf")]
    assert versions == [sha(corpus_pdf(1)), sha(variant(5))]


def test_documents_carry_where_and_when_they_were_fetched(site, tmp_path, sample, knowledge):
    raw = tmp_path / "raw"
    fetch(load_sources(sources_file(tmp_path, site)), raw)
    row = by_url(read_manifest(raw), site)["/download.jsp?id=3"]
    doc = process_document(raw / f"{sha(SAMPLE.read_bytes())}.pdf", knowledge).document
    assert (doc["publisher"], doc["fiscal_year"], doc["facts"]) == ("示例市应急管理局", 2024, 64)
    assert doc["source_url"] == site.url("/download.jsp?id=3")
    assert doc["fetched_at"] == row["fetched_at"] and doc["fetched_at"].tzinfo is not None
    member = process_document(raw / f"{sha(variant(3))}.pdf", knowledge).document
    assert member["source_url"] == site.url("/files/attach.zip#附件1 预算.pdf")
    assert (sample.document["source_url"], sample.document["fetched_at"]) == (None, None)


def test_nightly_exit_codes_and_one_log_line_per_night(site, tmp_path):
    site.routes = {
        "/list/index.html": Route(b'<a href="/files/s.pdf">2024</a>', "text/html"),
        "/files/s.pdf": Route(variant(7)),
    }
    good = sources_file(tmp_path, site)
    raw, out = tmp_path / "raw", tmp_path / "out"
    cmd = [sys.executable, "-m", "budgetpdf.pipeline.cli", "nightly", str(good)]
    first = subprocess.run(  # its workers are forked: not from this threaded process
        [*cmd, "--raw", str(raw), "--out", str(out)], cwd=ROOT, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    doc = pq.read_table(out / "documents.parquet").to_pylist()[0]
    assert (doc["publisher"], doc["fiscal_year"], doc["status"]) == ("示例市应急管理局", 2024, "ok")
    assert doc["source_url"] == site.url("/files/s.pdf") and doc["fetched_at"] is not None

    # nothing new: nothing downloaded, nothing read (and so no worker forked here)
    assert nightly(good, raw, out)[0] == 0
    site.routes["/files/gone.pdf"] = Route(status=404)
    listing = site.routes["/list/index.html"].body + b'<a href="/files/gone.pdf">x</a>'
    site.routes["/list/index.html"] = Route(listing, "text/html")
    assert nightly(good, raw, out)[0] == 1
    closed = Site()  # an address where nothing answers once closed
    closed.server.server_close()
    extra = f'[[source]]\nid = "down"\nstart = ["{closed.url("/")}"]\n'
    down = tmp_path / "down.toml"
    down.write_text(sources_file(tmp_path, site).read_text() + extra, encoding="utf-8")
    code, entry = nightly(down, raw, out)
    assert code == 3 and entry["unreachable"][0].startswith(f"down: {closed.url('/')}: conn")
    broken = tmp_path / "broken.toml"
    broken.write_text('[[source]]\nid = "x"\nstart = ["ftp://example.org/"]\n', encoding="utf-8")
    assert nightly(broken, raw, out)[0] == 2

    nights = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    nights = [n for n in nights if "nightly" in n]
    assert [n["exit"] for n in nights] == [0, 0, 1, 3, 2]
    assert nights[0]["fetch"]["saved"] == 1 and nights[0]["run"]["ok"] == 1
    assert (nights[1]["fetch"]["saved"], nights[1]["fetch"]["unchanged"]) == (0, 1)
    assert (nights[1]["run"]["processed"], nights[1]["run"]["skipped_unchanged"]) == (0, 1)
    assert nights[4]["error"].endswith(
        "source.0.start: Value error, not an http(s) address: 'ftp://example.org/'"
    )
    report = json.loads((out / "nightly.json").read_text())
    assert report["exit"] == 2


def test_fetch_command_takes_listing_addresses(site, tmp_path, capsys):
    raw = tmp_path / "raw"
    code = main(["fetch", site.url("/list/index_1.html"), "--raw", str(raw)])
    # default patterns: the .pdf link; nothing followed; a 30 s timeout is not reached
    assert code == 0 and stored(raw) == {f"{sha(variant(4))}.pdf"}
    assert "1 new PDFs" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[source]]\nid = 'a'\n", "source.0.start: Field required"),
        ("[[source]]\nid = 'a'\nstart = ['http://x/']\nfollow = ['(']\n", "bad pattern '('"),
        ("[[source]]\nid = 'a'\nstart = ['http://x/']\nmax_page = 3\n", "max_page: Extra"),
        (
            "[[source]]\nid='a'\nstart=['http://x/']\n[[source]]\nid='a'\nstart=['http://y/']\n",
            "source ids must be unique: a",
        ),
        ("[fetch]\ndelay = -1\n[[source]]\nid='a'\nstart=['http://x/']\n", "fetch.delay: Input"),
        ("[[source]\n", "not valid TOML"),
    ],
)
def test_a_bad_sources_file_is_one_line_and_exit_2(tmp_path, capsys, text, message):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourcesError, match=message.replace("(", r"\(")):
        load_sources(path)
    assert main(["fetch", str(path), "--raw", str(tmp_path / "raw")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and not (tmp_path / "raw").exists()


def test_what_bytes_are():
    assert sniff(b"junk\n" * 100 + b"%PDF-1.7\n").kind == "pdf"  # header within the first 1 KB
    assert sniff(b"junk\n" * 300 + b"%PDF-1.7\n").kind == "other"
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le")).reason == (
        "Excel workbook (.xls/.et), not a PDF"
    )
    xlsx = zipped({"xl/workbook.xml": b"<x/>"})
    assert sniff(xlsx, "application/pdf").reason == (
        "Excel workbook (.xlsx), not a PDF (sent as application/pdf)"
    )
    ofd = zipped({"OFD.xml": b"<x/>"})
    assert sniff(ofd).reason.startswith("OFD document")
    # a name written by Chinese Windows: GBK bytes without the UTF-8 flag
    gbk_named = zipped({"abcd.pdf": variant(8)}).replace(b"abcd.pdf", "预算.pdf".encode("gbk"))
    pdfs, summary = archive_pdfs(gbk_named, 10**6)
    assert [name for name, _ in pdfs] == ["预算.pdf"] and summary.startswith("ZIP archive: 1")


def test_links_are_absolute_and_decoded():
    page = '<base href="http://h/a/"><a href="b.pdf" title="附件">x</a>'
    page += '<a href="http://[::1/x.pdf">malformed</a><iframe src="/v.pdf">'
    links = page_links(page.encode(), "text/html", "http://other/")
    assert [(lk.url, lk.text) for lk in links] == [
        ("http://h/a/b.pdf", "x 附件"),
        ("http://h/v.pdf", ""),
    ]


def test_requests_to_one_host_are_spaced_and_other_hosts_are_not():
    pacer = HostPacer(0.05)
    started = time.monotonic()
    for _ in range(3):
        pacer.wait("http://127.0.0.1:1/x")
    assert time.monotonic() - started >= 0.1  # three requests: two gaps
    started = time.monotonic()
    pacer.wait("http://127.0.0.2:1/x")
    assert time.monotonic() - started < 0.05


def test_a_busy_server_is_tried_again(site, tmp_path):
    site.routes = {
        "/list/index.html": Route(b'<a href="/files/x.pdf">x</a>', "text/html", fail_first=1),
        "/files/x.pdf": Route(variant(9), fail_first=1),
    }
    report = fetch(load_sources(sources_file(tmp_path, site)), tmp_path / "raw")
    assert (report.saved, report.failed) == (1, 0)
    assert [s for p, s in site.hits] == [503, 200, 503, 200]


def test_a_bug_in_one_walk_is_a_line_not_a_stop(site, tmp_path, monkeypatch):
    def broken(*args):
        raise KeyError("oops")

    monkeypatch.setattr("budgetpdf.fetch.crawl.page_links", broken)
    report = fetch(load_sources(sources_file(tmp_path, site)), tmp_path / "raw")
    assert report.failures == ["demo: internal error, please report: KeyError: 'oops'"]
    assert report.exit_code() == 1


# ---------------------------------------------------------------- corpus-sized simulation

PUBLISHERS = 20


def corpus_sites(pdfs: list[Path]) -> list[Site]:
    """The corpus as 20 publishers, each on its own loopback address (so its own host for
    the per-host spacing), each with a listing page in two parts (index.html links half of
    its PDFs and index_1.html, which links the rest)."""
    sites = []
    for i in range(PUBLISHERS):
        site = Site(f"127.0.0.{i + 1}")
        mine = pdfs[i::PUBLISHERS]
        links = [f'<a href="/files/{n}.pdf">{p.stem}</a>' for n, p in enumerate(mine)]
        half = len(links) // 2
        pages = ("".join(links[:half]) + '<a href="index_1.html">下一页</a>', "".join(links[half:]))
        site.routes["/list/index.html"] = Route(pages[0].encode(), "text/html; charset=utf-8")
        site.routes["/list/index_1.html"] = Route(pages[1].encode(), "text/html; charset=utf-8")
        for n, path in enumerate(mine):
            site.routes[f"/files/{n}.pdf"] = Route(path.read_bytes())
        sites.append(site)
    return sites


def simulation_sources(path: Path, sites: list[Site], delay: float) -> Path:
    text = f"[fetch]\ndelay = {delay}\n"
    for i, site in enumerate(sites):
        text += f'\n[[source]]\nid = "p{i:02}"\nstart = ["{site.url("/list/index.html")}"]\n'
        text += "follow = ['index_\\d+\\.html$']\n"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 1.0])
def test_corpus_sized_simulation(tmp_path, delay):
    """Two nights over the 218 corpus PDFs as 20 publishers: the first takes every distinct
    PDF, the second downloads nothing. Prints the numbers (pytest -s); with
    BUDGETPDF_SIM_NIGHTLY=1 each night is `budgetpdf nightly --jobs 2` (fetch and run)."""
    from conftest import need

    pdfs = sorted(need(REAL).glob("*.pdf"))
    distinct = {sha(p.read_bytes()) for p in pdfs}
    sites = corpus_sites(pdfs)
    for site in sites:
        site.__enter__()
    try:
        sources = simulation_sources(tmp_path / "sources.toml", sites, delay)
        raw, out = tmp_path / "raw", tmp_path / "out"
        with_run = os.environ.get("BUDGETPDF_SIM_NIGHTLY") == "1"
        numbers = {"pdfs": len(pdfs), "distinct": len(distinct), "delay": delay}
        for night in (1, 2):
            started = time.perf_counter()
            if with_run:
                cmd = [sys.executable, "-m", "budgetpdf.pipeline.cli", "nightly", str(sources)]
                cmd += ["--raw", str(raw), "--out", str(out), "--jobs", "2"]
                done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
                assert done.returncode in (0, 1), done.stderr
                report = json.loads((out / "nightly.json").read_text())
                counts = report["fetch"]
                numbers[f"run{night}"] = report["run"]
            else:
                counts = fetch(load_sources(sources), raw).counts()
            seconds = time.perf_counter() - started
            numbers[f"night{night}"] = {**counts, "wall_seconds": round(seconds, 2)}
            if night == 1:
                assert counts["saved"] == len(distinct) and counts["failed"] == 0
                numbers["docs_per_second"] = round(len(pdfs) / seconds, 1)
            else:
                assert (counts["saved"], counts["unchanged"]) == (0, len(pdfs))
        assert len(stored(raw)) == len(distinct)
        print(json.dumps(numbers, indent=1))
    finally:
        for site in sites:
            site.__exit__()
