"""The nightly runner as an operator meets it: versions, retries, limits, bad files, errors."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from budgetpdf import __version__, code_digest, pipeline_version
from budgetpdf.normalize.numbers import parse_amount
from budgetpdf.pipeline.cli import main
from budgetpdf.pipeline.runner import MAX_ATTEMPTS, Limits, run
from conftest import REAL, ROOT, SHARED, need

CASES = SHARED / "cases"
SAMPLE = ROOT / "data" / "raw" / "sample_final_account.pdf"


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "budgetpdf.pipeline.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


# ---------------------------------------------------------------- pipeline version


def test_pipeline_version_is_package_version_and_code_digest():
    version = pipeline_version()
    assert version.startswith(__version__ + "+") and len(version) == len(__version__) + 11
    assert _cli("--version").stdout.strip() == version


def test_code_digest_follows_code_and_schemas_not_tests(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "__init__.py").write_text("")
    (tmp_path / "schemas" / "tables.toml").write_text("a = 1\n")
    (tmp_path / "tests").mkdir()
    before = code_digest(tmp_path)
    (tmp_path / "tests" / "test_x.py").write_text("x = 1\n")
    assert code_digest(tmp_path) == before
    (tmp_path / "schemas" / "tables.toml").write_text("a = 2\n")
    changed = code_digest(tmp_path)
    assert changed != before
    (tmp_path / "schemas" / "__init__.py").write_text("# why\n")
    assert code_digest(tmp_path) != changed


def _stamp(out: Path, version: str) -> None:
    """Make the committed documents look as if an older pipeline had written them."""
    for marker in (out / "dataset" / "documents").glob("*.parquet"):
        table = pq.read_table(marker)
        column = pa.array([version] * table.num_rows, pa.string())
        table = table.set_column(
            table.schema.get_field_index("pipeline_version"), "pipeline_version", column
        )
        pq.write_table(table, marker)


def test_output_of_older_code_is_reprocessed(tmp_path, knowledge):
    out = tmp_path / "out"
    assert run([SAMPLE], out, knowledge).processed == 1
    assert run([SAMPLE], out, knowledge).skipped_unchanged == 1
    _stamp(out, __version__)  # what every commit wrote before the digest
    again = run([SAMPLE], out, knowledge)
    assert (again.processed, again.skipped_unchanged) == (1, 0)
    docs = pq.read_table(out / "documents.parquet").to_pylist()
    assert [d["pipeline_version"] for d in docs] == [pipeline_version()]


# ---------------------------------------------------------------- minus signs


@pytest.mark.parametrize(
    "printed", ["-5.44", "－5.44", "\u22125.44", "\u20105.44", "(5.44)", "（5.44）", "﹣5.44"]
)
def test_every_minus_sign_makes_a_negative(printed):
    assert parse_amount(printed) == Decimal("-5.44")


@pytest.mark.parametrize("printed", ["\u2212", "\u2010", "－", "-"])
def test_a_lone_minus_sign_is_a_blank(printed):
    assert parse_amount(printed) is None


def test_u2212_negatives_are_read_from_the_case(knowledge):
    from budgetpdf.pipeline.document import process_document

    result = process_document(need(CASES / "17e5b6e9_negatives_and_rates.pdf"), knowledge)
    row = {f["measure"]: f for f in result.facts if f["item_name"] == "社会保障和就业支出"}
    assert row["增减额"]["value"] == Decimal("-5.44")
    assert (row["增减额"]["unit"], row["增减额"]["amount_yuan"]) == ("万元", Decimal("-54400"))
    # a rate keeps its value with unit % and no yuan (case README)
    assert (row["增减率"]["value"], row["增减率"]["unit"]) == (Decimal("-3.89"), "%")
    assert row["增减率"]["amount_yuan"] is None
    # and enters no additive check (the 类 sum of rates failed before: −26.83 vs −5.03)
    assert not any(c["unit"] == "%" for c in result.checks)
    assert result.document["checks_failed"] == 0


# ---------------------------------------------------------------- flat tables as a set


def test_flat_tables_switch_as_a_set(tmp_path, monkeypatch, knowledge):
    from budgetpdf.emit import writer

    out = tmp_path / "out"
    run([SAMPLE], out, knowledge)
    current = out / "current"
    assert current.is_symlink()
    first = os.path.realpath(current)
    names = sorted(p.name for p in Path(first).iterdir())
    assert names == sorted(
        [
            f"{t}.{e}"
            for t in ("checks", "documents", "facts", "files", "tables")
            for e in ("csv", "parquet")
        ]
        + ["datapackage.json"]  # the set's description, switched with it
    )
    before = {n: (out / n).read_bytes() for n in names}
    docs_before = pq.read_table(out / "documents.parquet").num_rows

    # a compaction that dies half-way (here: on the facts CSV) leaves the served set whole
    real_csv = writer.write_csv

    def dies_on_facts(table, target):
        if target.name == "facts.csv":
            raise OSError(28, "No space left on device")
        real_csv(table, target)

    monkeypatch.setattr(writer, "write_csv", dies_on_facts)
    with pytest.raises(OSError):
        writer.compact(out, knowledge)
    assert os.path.realpath(current) == first
    assert {n: (out / n).read_bytes() for n in names} == before
    assert pq.read_table(out / "documents.parquet").num_rows == docs_before

    monkeypatch.setattr(writer, "write_csv", real_csv)
    writer.compact(out, knowledge)
    writer.compact(out, knowledge)
    generations = sorted(p.name for p in (out / "flat").iterdir())
    assert len(generations) == 2  # the served one and the one before it, for readers in it
    assert os.path.realpath(current) == str(out / "flat" / generations[-1])
    assert (out / "facts.parquet").read_bytes() == before["facts.parquet"]


# ---------------------------------------------------------------- retries


def test_failed_documents_are_retried_up_to_max_attempts(tmp_path, knowledge):
    from budgetpdf.pipeline.runner import MAX_ATTEMPTS, read_attempts

    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + b"\x00" * 200)
    out = tmp_path / "out"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        summary = run([bad], out, knowledge)
        assert (summary.processed, summary.failed) == (1, 1), attempt
        (entry,) = read_attempts(out).values()
        assert entry["failures"] == attempt
    summary = run([bad], out, knowledge)  # given up on: left failed, and still said to be failed
    assert (summary.processed, summary.skipped_unchanged, summary.still_failed) == (0, 1, 1)
    assert summary.any_failed
    assert f"failed {MAX_ATTEMPTS} times" in summary.line()
    assert run([bad], out, knowledge, force=True).processed == 1
    assert [e["failures"] for e in read_attempts(out).values()] == [1]  # counting anew
    assert run([bad], out, knowledge).processed == 1


def test_a_run_that_left_failures_exits_1(tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"not a pdf")
    out = tmp_path / "out"
    # MAX_ATTEMPTS runs retry it, the next one does not: every run still says it failed
    runs = MAX_ATTEMPTS + 1
    codes = [main(["run", str(bad), "--out", str(out)]) for _ in range(runs)]
    assert codes == [1] * runs


# ---------------------------------------------------------------- inputs


def test_identify_streams_the_file(tmp_path, monkeypatch):
    from budgetpdf.pipeline.runner import identify

    data = b"%PDF" + os.urandom(3 << 20)
    path = tmp_path / "big.pdf"
    path.write_bytes(data)

    def refuse(self):
        raise AssertionError("read whole")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    item = identify(path)
    assert (item.sha256, item.size, item.problem) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
        None,
    )


def _docs(out: Path) -> dict[str, dict]:
    return {d["source"]: d for d in pq.read_table(out / "documents.parquet").to_pylist()}


def test_special_vanished_and_undecodable_files_get_a_failed_row(tmp_path, knowledge):
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "pipe.pdf")
    undecodable = Path(os.fsdecode(str(folder).encode() + b"/bad\xff.pdf"))
    undecodable.write_bytes(SAMPLE.read_bytes())
    gone = tmp_path / "gone.pdf"
    out = tmp_path / "out"
    summary = run([folder, gone, SAMPLE], out, knowledge)
    docs = _docs(out)
    assert "not a regular file" in docs["pipe.pdf"]["error"]
    assert "vanished" in docs["gone.pdf"]["error"]
    assert "not valid UTF-8" in docs["bad\\xff.pdf"]["error"]
    assert docs[SAMPLE.name]["status"] == "ok"
    assert (summary.processed, summary.failed, summary.ok) == (4, 3, 1)
    assert len({d["doc_id"] for d in docs.values()}) == 4


def test_a_file_changed_after_it_was_listed_is_a_failed_row(tmp_path, knowledge):
    from budgetpdf.pipeline.runner import Input, identify, supervise

    path = tmp_path / "moving.pdf"
    path.write_bytes(SAMPLE.read_bytes())
    listed = identify(path)
    path.write_bytes(SAMPLE.read_bytes() + b"\n% appended by the publisher\n")
    (result,) = supervise([Input(path, listed.sha256, listed.size)], 1, Limits(), knowledge)
    assert result.document["status"] == "failed"
    assert "changed while the run read it" in result.document["error"]
    assert result.document["sha256"] == listed.sha256


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_gets_a_failed_row(tmp_path, knowledge):
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(SAMPLE.read_bytes())
    locked.chmod(0)
    out = tmp_path / "out"
    run([locked], out, knowledge)
    assert "permission denied" in _docs(out)["locked.pdf"]["error"]


def test_the_same_file_twice_is_read_and_counted_once(tmp_path, knowledge):
    link = tmp_path / "link.pdf"
    link.symlink_to(SAMPLE)
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(SAMPLE.read_bytes())
    out = tmp_path / "out"
    summary = run([SAMPLE, SAMPLE, link, copy], out, knowledge)
    assert (summary.processed, summary.ok, summary.duplicates) == (1, 1, 1)
    assert len(_docs(out)) == 1


# ---------------------------------------------------------------- limits from outside


def _stuck(path):  # C code that no alarm interrupts: SIGALRM blocked, then a long wait
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
    time.sleep(60)


_HOARD_MB = 400  # set by the test above its memory limit


def _greedy(path):
    hoard = b"x" * (_HOARD_MB << 20)  # touched, so resident
    time.sleep(60)
    return hoard


def _aborts(path):
    os.abort()


@pytest.mark.parametrize(
    ("reader", "seconds", "reason"),
    [
        (_stuck, 3, "timed out after 3 s"),
        # only the memory limit can stop it: a time limit it would reach first on a loaded
        # machine (forking and hoarding 400 MB take seconds there)
        (_greedy, 60, "MB resident"),
        (_aborts, 3, "died (SIGABRT)"),
    ],
)
def test_a_worker_over_its_limits_or_dead_costs_one_row(
    tmp_path, monkeypatch, reader, seconds, reason, knowledge
):
    from budgetpdf.pipeline import document, runner

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 something else")
    real = document.process_document

    def process(path, knowledge, pages=None):
        return reader(path) if path == bad else real(path, knowledge, pages)

    monkeypatch.setattr(runner, "process_document", process)  # inherited by forked workers
    monkeypatch.setattr(runner, "_GRACE", 0.5)
    out = tmp_path / "out"
    started = time.monotonic()
    # a forked worker starts resident with the test process's pages (more after the seed is
    # read): the limit is 200 MB above that, which only the greedy reader passes
    memory = runner._rss_bytes(os.getpid()) // 2**20 + 200
    # a forked child may not carry all of that (a library's arenas are not inherited): the
    # greedy reader hoards more than the whole limit, whatever it starts with
    monkeypatch.setattr(sys.modules[__name__], "_HOARD_MB", memory + 300)
    summary = run(
        [bad, SAMPLE], out, knowledge, jobs=1, limits=Limits(seconds=seconds, memory_mb=memory)
    )
    assert time.monotonic() - started < 50
    docs = _docs(out)
    assert docs["bad.pdf"]["status"] == "failed" and reason in docs["bad.pdf"]["error"]
    assert docs[SAMPLE.name]["status"] == "ok"
    assert (summary.failed, summary.ok) == (1, 1)


def test_limits_have_defaults_and_units_in_help():
    text = " ".join(_cli("run", "--help").stdout.split())
    assert "(default 900: a long scan read by OCR takes minutes)" in text and "seconds" in text
    assert "resident memory (RSS)" in text and "(default 2048)" in text


# ---------------------------------------------------------------- operator errors


def _in_process(capsys, *args: str) -> subprocess.CompletedProcess:
    """The command run in this process, whose stages are imported already: its exit code and
    what it printed, as _cli returns them."""
    code = main(list(args))
    printed = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, printed.out, printed.err)


def _one_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_out_that_is_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    target = tmp_path / "out"
    target.write_text("x")
    proc = _in_process(capsys, "run", str(SAMPLE), "--out", str(target))
    assert proc.returncode == 2
    assert "is a file" in _one_line(proc)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_out_is_one_line_and_exit_2(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    target.chmod(0o555)
    proc = _cli("run", str(SAMPLE), "--out", str(target))
    assert proc.returncode == 2 and "not writable" in _one_line(proc)


def test_full_disk_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from budgetpdf.pipeline import cli, runner

    def full(out, rows):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner, "write_document", full)
    code = cli.main(["run", str(SAMPLE), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no space left" in err[0]


@pytest.mark.parametrize("command", ["status", "checks"])
def test_report_on_a_missing_folder_is_exit_2(tmp_path, command):
    proc = _cli(command, str(tmp_path / "nothing"))
    assert proc.returncode == 2 and "no such output folder" in _one_line(proc)


@pytest.mark.parametrize("jobs", ["0", "-3", "two"])
def test_impossible_jobs_are_refused(tmp_path, jobs):
    proc = _cli("run", str(SAMPLE), "--out", str(tmp_path / "o"), "--jobs", jobs)
    assert proc.returncode == 2 and "--jobs" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_ctrl_c_is_one_line_exit_130_and_consistent_tables(tmp_path):
    out = tmp_path / "out"
    seeds = [need(SHARED / "corpus" / "seed" / f"seed_{k}.pdf") for k in ("lattice", "stream")]
    largest = need(REAL / "66464f8e_2026年深圳市人力资源和社会保障局部门预算.pdf")  # 262 pages
    cmd = [sys.executable, "-m", "budgetpdf.pipeline.cli", "run", str(SAMPLE), *map(str, seeds)]
    cmd.append(str(largest))
    # one worker, files read in the order given: after the sample commits, 362 text pages are
    # still to read (seconds each batch, no OCR), so the interrupt lands mid-run however fast
    # or loaded the machine is, and is acted on within seconds
    proc = subprocess.Popen(
        [*cmd, "--out", str(out), "--jobs", "1"],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    markers = out / "dataset" / "documents"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(markers.glob("*.parquet")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err  # the message says why, when a loaded machine fails it
    assert err.strip().count("\n") == 0 and "interrupted" in err and "Traceback" not in err, err
    docs = pq.read_table(out / "documents.parquet").to_pylist()
    facts = pq.read_table(out / "facts.parquet")
    assert {d["doc_id"] for d in docs} == set(facts.column("doc_id").to_pylist())
    assert sum(d["facts"] for d in docs) == facts.num_rows


def test_library_warnings_go_to_the_log(tmp_path):
    seed = need(SHARED / "corpus" / "seed" / "seed_lattice.pdf").read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(seed[: len(seed) // 2] + seed[len(seed) // 2 + 5000 :])
    out = tmp_path / "out"
    # pdfminer (the fallback backend) warns about this file's broken content streams on
    # page 28 (where the cut lands); reading that page alone keeps the test short
    proc = _cli(
        "run", str(broken), "--out", str(out), "--pages", "28", BUDGETPDF_BACKEND="pdfplumber"
    )
    assert proc.stderr == ""
    assert "Execute called on non-indirect object" in (out / "library.log").read_text()


def test_a_second_run_on_the_same_output_is_refused(tmp_path, capsys):
    from budgetpdf.contract.files import exclusive

    out = tmp_path / "out"
    out.mkdir()
    with exclusive(out):  # flock: a second open of the lock file is refused, in any process
        proc = _in_process(capsys, "run", str(SAMPLE), "--out", str(out))
    assert proc.returncode == 2 and "another run is writing" in _one_line(proc)
    assert _in_process(capsys, "run", str(SAMPLE), "--out", str(out)).returncode == 0
