"""Every input file is accounted for: the files table lists each path given, with its
SHA-256, size, modification time and document, so duplicates, two names of one file and
a file replaced under the same name are visible; the older reading of a replaced file
stays queryable."""

from __future__ import annotations

import hashlib
import os
import shutil

import pyarrow.parquet as pq
from budgetpdf.emit.writer import read_files, record_files
from budgetpdf.pipeline.runner import run
from conftest import SAMPLE, sample_copies


def _rows(out, name):
    return pq.read_table(out / f"{name}.parquet").to_pylist()


def test_every_path_given_is_a_files_row(tmp_path, knowledge):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "report.pdf")
    shutil.copy(SAMPLE, folder / "report (1).pdf")  # a duplicate: same bytes, another file
    (folder / "link.pdf").symlink_to("report.pdf")  # two names of one file
    for i in range(5):  # the five empty files, one SHA-256
        (folder / f"empty{i}.pdf").write_bytes(b"")
    out = tmp_path / "out"
    summary = run([folder], out, knowledge)

    files = {r["source"]: r for r in _rows(out, "files")}
    assert len(files) == 8
    docs = {d["doc_id"]: d for d in _rows(out, "documents")}
    assert len(docs) == 2  # the sample's reading and the empty file's failure
    sample_sha = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    for name in ("report.pdf", "report (1).pdf", "link.pdf"):
        assert files[name]["sha256"] == sample_sha
        assert files[name]["doc_id"] == sample_sha[:16]
        assert files[name]["bytes"] == 10855
    assert docs[sample_sha[:16]]["status"] == "ok" and docs[sample_sha[:16]]["facts"] == 64
    empty = hashlib.sha256(b"").hexdigest()
    assert {files[f"empty{i}.pdf"]["sha256"] for i in range(5)} == {empty}
    assert "not a PDF" in docs[empty[:16]]["error"]
    assert files["report.pdf"]["path"] == str(folder.absolute() / "report.pdf")
    mtime = os.stat(folder / "report (1).pdf").st_mtime_ns // 1000
    assert int(files["report (1).pdf"]["mtime"].timestamp() * 1_000_000) == mtime
    assert all(r["superseded_by"] is None for r in files.values())
    # read once each: the link is the same file, the copy and four empties duplicates
    assert (summary.processed, summary.duplicates) == (2, 5)
    csv = (out / "files.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv[0] == "path,source,sha256,bytes,mtime,doc_id,superseded_by" and len(csv) == 9


def test_a_file_replaced_under_its_name_supersedes_the_older_reading(tmp_path, knowledge):
    first, second = sample_copies(tmp_path / "versions", 2)
    report = tmp_path / "in" / "report.pdf"
    report.parent.mkdir()
    out = tmp_path / "out"
    shutil.copy(first, report)
    run([report], out, knowledge)
    old_id = hashlib.sha256(first.read_bytes()).hexdigest()[:16]
    shutil.copy(second, report)  # the publisher's corrected copy, same name
    run([report], out, knowledge)
    new_id = hashlib.sha256(second.read_bytes()).hexdigest()[:16]

    files = {r["doc_id"]: r for r in _rows(out, "files")}
    assert set(files) == {old_id, new_id}
    assert files[old_id]["superseded_by"] == new_id
    assert files[new_id]["superseded_by"] is None
    assert files[old_id]["path"] == files[new_id]["path"] == str(report.absolute())
    # the older reading stays queryable, beside the current one
    facts = pq.read_table(out / "facts.parquet").to_pandas()
    assert facts.groupby("doc_id").size().to_dict() == {old_id: 64, new_id: 64}
    current = {r["doc_id"] for r in _rows(out, "files") if r["superseded_by"] is None}
    assert current == {new_id}

    shutil.copy(first, report)  # put back: the first reading is current again
    run([report], out, knowledge)
    files = {r["doc_id"]: r for r in _rows(out, "files")}
    assert (files[old_id]["superseded_by"], files[new_id]["superseded_by"]) == (None, old_id)


def test_files_never_point_at_a_document_not_committed(tmp_path, knowledge):
    # a run killed after listing its inputs and before reading them
    out = tmp_path / "out"
    run([SAMPLE], out, knowledge)
    done = _rows(out, "files")[0]
    listed = dict(done, path="/elsewhere/new.pdf", sha256="f" * 64, doc_id="f" * 16)
    replaced = dict(done, sha256="e" * 64, doc_id="e" * 16)  # SAMPLE's path, new content
    record_files(out, [listed, replaced])
    rows = read_files(out).to_pylist()
    assert [r["doc_id"] for r in rows] == [done["doc_id"]]
    assert rows[0]["superseded_by"] is None  # its successor is not committed yet
