"""Knowledge files are validated when loaded: a broken one is a KnowledgeError naming the
file and the key, and the CLI stops before the first PDF with one line and exit code 2. The
knowledge a run reads by is the one it is handed: a modified copy of schemas/ changes what a
document reads as.

Each test edits a copy of schemas/ and loads it with `load_knowledge(copy)`."""

from __future__ import annotations

import shutil
from pathlib import Path

import budgetpdf.schemas.knowledge as knowledge_files
import pytest
from budgetpdf.pipeline.cli import main
from budgetpdf.pipeline.document import process_document
from budgetpdf.schemas.knowledge import SCHEMAS, KnowledgeError, load_knowledge
from conftest import SAMPLE


@pytest.fixture
def schemas(tmp_path) -> Path:
    """A writable copy of schemas/."""
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(root: Path) -> str:
    with pytest.raises(KnowledgeError) as exc:
        load_knowledge(root)
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_the_shipped_knowledge_loads(schemas):
    copy = load_knowledge(schemas)
    assert [t.id for t in copy.tables] == [t.id for t in load_knowledge().tables]


def test_unknown_key(schemas):
    _edit(schemas / "tables.toml", "two_sided = true", "two_side = true")
    message = _error(schemas)
    assert message.startswith("schemas/tables.toml: ") and "two_side" in message


def test_bad_pattern(schemas):
    tables = schemas / "tables.toml"
    text = tables.read_text(encoding="utf-8")
    start = text.index("unit_pattern")
    end = text.index("\n", start)
    tables.write_text(
        text[:start] + "unit_pattern = '单位[:：({money}'" + text[end:], encoding="utf-8"
    )
    message = _error(schemas)
    assert message.startswith("schemas/tables.toml: ") and "context.unit_pattern" in message
    assert "bad pattern" in message


def _set(path: Path, key: str, value: str) -> None:
    """The first line of path that sets key (`key = …`, or `[section] key = …` where key
    is `section.key`), set to value (TOML text)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    section, _, key = key.rpartition(".")
    start = lines.index(f"[{section}]") if section else 0
    i = next(i for i in range(start, len(lines)) if lines[i].startswith(f"{key} = "))
    lines[i] = f"{key} = {value}"
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "key", "where"),
    [
        ("tables.toml", "page_number", "context.page_number"),
        ("tables.toml", "note", "context.note"),
        ("tables.toml", "toc_heading", "context.toc_heading"),
        ("tables.toml", "title_unit_pattern", "context.title_unit_pattern"),
        ("tables.toml", "codes.code", "codes.code"),
        ("tables.toml", "codes.leading", "codes.leading"),
        ("tables.toml", "unruled.code", "unruled.code"),
        ("headers.toml", 'ordinals."(1)"', "ordinals"),
        ("metadata.toml", "heading", "year.heading"),
        ("metadata.toml", "in_title", "year.in_title"),
    ],
)
def test_a_bad_pattern_in_each_vocabulary_key(schemas, file, key, where):
    """The vocabulary moved out of the code (page numbers, notes, 目录, the unruled reader's
    codes, the year of a heading or title) is validated like every other pattern."""
    _set(schemas / file, key, "'(?P<year>20[{money}{code}'")
    message = _error(schemas)
    assert message.startswith(f"schemas/{file}: {where}: ") and "bad pattern" in message


@pytest.mark.parametrize(
    ("file", "key", "value", "where"),
    [
        ("tables.toml", "layout_words", "[]", "unruled.layout_words"),
        ("tables.toml", "units", '{ "元" = 1, "万元" = 0 }', "money.units"),
        ("tables.toml", "units", "{}", "money.units"),
        # a pattern that finds a code names it as {code}, the one spelling of [codes]
        ("tables.toml", "unruled.code", "'^[235]\\d{2}'", "unruled.code"),
        ("tables.toml", "codes.leading", "'^({code})'", "codes.leading"),
        ("headers.toml", "code_suffixes", "[]", "code_suffixes"),
        ("headers.toml", "economic", "[]", "economic"),
        # the year patterns must keep their groups: the code reads them by name
        ("metadata.toml", "heading", "'(?P<year>20\\d{2})年(决算|预算)'", "year.heading"),
        ("metadata.toml", "in_title", "'(20\\d{2})年'", "year.in_title"),
    ],
)
def test_a_bad_value_in_each_vocabulary_key(schemas, file, key, value, where):
    _set(schemas / file, key, value)
    assert _error(schemas).startswith(f"schemas/{file}: {where}: ")


def test_the_money_units_are_written_once(schemas, knowledge):
    """[money] is the one list of money units: the unit patterns name it as {money}, the
    units of a figure include it, to_yuan converts by it. A unit added there is read
    everywhere; a unit pattern spelling the units out again is refused."""
    from decimal import Decimal

    from budgetpdf.normalize.numbers import to_yuan
    from budgetpdf.normalize.quantities import unit_of

    context, money = knowledge.context, knowledge.money
    assert set(money) == {"元", "千元", "万元", "亿元"}
    for unit in money:
        assert context.unit.search(f"金额单位：{unit}").group(1) == unit
        assert context.unit.search(f"（{unit}）").group(2) == unit
        assert context.title_unit.search(f"收入支出预算总表（单位：{unit}）").group(1) == unit
        assert unit_of(f"预算金额（{unit}）", knowledge.quantities) == unit
    assert to_yuan(Decimal("1.5"), "千元", money) == Decimal("1500.00")

    _set(schemas / "tables.toml", "units", '{ "元" = 1, "百元" = 100, "万元" = 10000 }')
    copy = load_knowledge(schemas)
    assert copy.context.unit.search("单位:百元").group(1) == "百元"
    assert copy.context.title_unit.search("支出表(百元)").group(1) == "百元"
    assert not copy.context.unit.search("单位:千元")
    assert unit_of("金额(百元)", copy.quantities) == "百元"
    assert to_yuan(Decimal("0.015"), "百元", copy.money) == Decimal("1.50")

    _set(schemas / "tables.toml", "unit_pattern", "'单位[:：]?(万元|元)'")
    message = _error(schemas)
    assert message.startswith("schemas/tables.toml: context.unit_pattern: ")
    assert "{money}" in message


def test_the_code_format_is_written_once(schemas):
    """[codes] code is the one spelling of a classification code: a cell that is a code, a
    label opening with one and an unruled body line opening with one all read by it."""
    from budgetpdf.normalize.codes import classify, is_code, split_leading_code

    shipped = load_knowledge(schemas)
    assert is_code("2010101", shipped.code_format) and not is_code("7010101", shipped.code_format)
    _set(schemas / "tables.toml", "codes.code", "'[2357]\\d{2}(?:\\d{2}){0,2}'")
    copy = load_knowledge(schemas)
    assert is_code("7010101", copy.code_format)
    assert classify("70101", copy.code_format).parent_code == "701"
    assert split_leading_code("[7010101]行政运行", copy.code_format) == ("7010101", "行政运行")
    assert copy.stream.code.match("【701】")


def test_nested_title_variants(schemas):
    _edit(
        schemas / "tables.toml",
        'titles = ["收入决算表", "部门收入决算表"]',
        'titles = [["收入决算表", "部门收入决算表"]]',
    )
    message = _error(schemas)
    assert message.startswith("schemas/tables.toml: ") and "titles" in message


def test_toml_syntax_error(schemas):
    _edit(schemas / "headers.toml", 'sections = ["收入", "支出"]', 'sections = ["收入", "支出"')
    message = _error(schemas)
    assert message.startswith("schemas/headers.toml: not valid TOML")


def test_unknown_rule_kind(schemas):
    _edit(schemas / "checks.toml", "\n[[row_sum]]\n", "\n[[row_summ]]\n")
    message = _error(schemas)
    assert message.startswith("schemas/checks.toml: ") and "row_summ" in message


def test_cli_stops_before_the_first_pdf(schemas, tmp_path, capsys, monkeypatch):
    _edit(schemas / "tables.toml", "two_sided = true", "two_side = true")
    # the command loads the shipped schemas/ when it runs: here, the broken copy
    monkeypatch.setattr(knowledge_files, "load_knowledge", lambda: load_knowledge(schemas))
    out = tmp_path / "out"
    assert main(["run", str(SAMPLE), "--out", str(out)]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    (message,) = printed.err.splitlines()
    assert message.startswith("budgetpdf: schemas/tables.toml: ") and "two_side" in message
    assert not list(out.glob("**/*.parquet"))  # no document was read


def test_a_missing_code_catalog_names_its_file(schemas):
    (schemas / "codes" / "economic.csv").unlink()
    message = _error(schemas)
    assert message.startswith("schemas/codes/economic.csv: cannot be read")


def test_a_run_reads_by_the_knowledge_it_is_handed(schemas, knowledge, sample):
    """A title variant removed from a copy of schemas/: the sample's 收入决算表 is no longer
    the canonical `income` table, while the shipped knowledge, loaded before and after,
    still reads it as such (nothing of the copy stays behind in the process)."""
    assert "income" in {t["table_id"] for t in sample.tables}
    _edit(
        schemas / "tables.toml",
        'titles = ["收入决算表", "部门收入决算表"]',
        'titles = ["部门收入决算表"]',
    )
    modified = process_document(SAMPLE, load_knowledge(schemas))
    assert modified.document["status"] == "ok"
    tables = {t["title_raw"]: t["table_id"] for t in modified.tables}
    assert "income" not in tables.values() and tables["收入决算表"] == "other"
    again = process_document(SAMPLE, knowledge)
    assert again.facts == sample.facts and again.checks == sample.checks


def test_the_runner_hands_its_knowledge_to_the_workers(schemas, tmp_path):
    """The same edit through `run`: the forked worker reads by the knowledge run was given."""
    import pyarrow.parquet as pq
    from budgetpdf.pipeline.runner import run

    _edit(
        schemas / "tables.toml",
        'titles = ["收入决算表", "部门收入决算表"]',
        'titles = ["部门收入决算表"]',
    )
    out = tmp_path / "out"
    assert run([SAMPLE], out, load_knowledge(schemas)).ok == 1
    tables = pq.read_table(out / "tables.parquet").to_pylist()
    assert {t["title_raw"]: t["table_id"] for t in tables}["收入决算表"] == "other"


def test_a_pickled_knowledge_leaves_its_memo_behind(knowledge, sample):
    """A worker started by forkserver or Dask gets the knowledge, not what was read by it."""
    import pickle

    process_document(SAMPLE, knowledge)  # reads header cells into knowledge.derived
    assert knowledge.derived
    copy = pickle.loads(pickle.dumps(knowledge))
    assert copy.derived == {} and copy.tables == knowledge.tables
    assert process_document(SAMPLE, copy).facts == sample.facts


def test_a_pickled_knowledge_still_knows_the_table_of_no_known_kind(knowledge):
    """Knowledge crosses to Dask and pool workers pickled: its title variants' OTHER is then a
    copy, which every stage must still take for OTHER (it compares by value, not identity)."""
    import pickle

    from budgetpdf.schemas.knowledge import OTHER

    copy = pickle.loads(pickle.dumps(knowledge))
    others = [v.spec for v in copy.titles if v.spec.id == OTHER.id]
    assert others and all(s == OTHER and s is not OTHER for s in others)
