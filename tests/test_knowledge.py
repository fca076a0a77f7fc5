"""Knowledge files are validated when loaded: a broken one is a KnowledgeError naming the
file and the key, and the CLI stops before the first PDF with one line and exit code 2.

Each test edits a copy of schemas/ and points the loader at it (knowledge.SCHEMAS), with
every cached piece of knowledge dropped before and after."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import budgetpdf.schemas.knowledge as knowledge
import pytest
from budgetpdf.pipeline.cli import main
from budgetpdf.schemas.knowledge import KnowledgeError, load_knowledge
from conftest import SAMPLE


def _clear_caches() -> None:
    """Drop every functools cache of the package: knowledge and what is derived from it."""
    for name, module in list(sys.modules.items()):
        if name == "budgetpdf" or name.startswith("budgetpdf."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@pytest.fixture
def schemas(tmp_path, monkeypatch) -> Path:
    """A writable copy of schemas/ that the loader reads."""
    copy = tmp_path / "schemas"
    shutil.copytree(knowledge.SCHEMAS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(knowledge, "SCHEMAS", copy)
    _clear_caches()
    yield copy
    monkeypatch.undo()
    _clear_caches()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error() -> str:
    with pytest.raises(KnowledgeError) as exc:
        load_knowledge()
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_the_shipped_knowledge_loads(schemas):
    load_knowledge()


def test_unknown_key(schemas):
    _edit(schemas / "tables.toml", "two_sided = true", "two_side = true")
    message = _error()
    assert message.startswith("schemas/tables.toml: ") and "two_side" in message


def test_bad_pattern(schemas):
    tables = schemas / "tables.toml"
    text = tables.read_text(encoding="utf-8")
    start = text.index("unit_pattern")
    end = text.index("\n", start)
    tables.write_text(
        text[:start] + "unit_pattern = '单位[:：(万元'" + text[end:], encoding="utf-8"
    )
    message = _error()
    assert message.startswith("schemas/tables.toml: ") and "context.unit_pattern" in message
    assert "bad pattern" in message


def test_nested_title_variants(schemas):
    _edit(
        schemas / "tables.toml",
        'titles = ["收入决算表", "部门收入决算表"]',
        'titles = [["收入决算表", "部门收入决算表"]]',
    )
    message = _error()
    assert message.startswith("schemas/tables.toml: ") and "titles" in message


def test_toml_syntax_error(schemas):
    _edit(schemas / "headers.toml", 'sections = ["收入", "支出"]', 'sections = ["收入", "支出"')
    message = _error()
    assert message.startswith("schemas/headers.toml: not valid TOML")


def test_unknown_rule_kind(schemas):
    _edit(schemas / "checks.toml", "\n[[row_sum]]\n", "\n[[row_summ]]\n")
    message = _error()
    assert message.startswith("schemas/checks.toml: ") and "row_summ" in message


def test_cli_stops_before_the_first_pdf(schemas, tmp_path, capsys):
    _edit(schemas / "tables.toml", "two_sided = true", "two_side = true")
    out = tmp_path / "out"
    assert main(["run", str(SAMPLE), "--out", str(out)]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    (message,) = printed.err.splitlines()
    assert message.startswith("budgetpdf: schemas/tables.toml: ") and "two_side" in message
    assert not list(out.glob("**/*.parquet"))  # no document was read
