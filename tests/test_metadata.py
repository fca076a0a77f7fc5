"""Publisher, fiscal year and notes (contract 1.1, documents), read from real PDFs.

Each case is a kind of position the rules read, or a kind of candidate they refuse; the
values are those of tests/data/publishers.csv, verified against each document."""

from __future__ import annotations

from collections import Counter

import pytest
from budgetpdf.normalize.metadata import (
    NOTE_NO_PUBLISHER,
    NOTE_YEAR_TITLE,
    candidate_kind,
    organisation_name,
    read_metadata,
)
from conftest import REAL, need


@pytest.fixture(scope="module")
def document(read_once):
    """document(prefix): the documents row of the corpus file whose name starts with prefix."""

    def get(prefix: str) -> dict:
        matches = sorted(need(REAL).glob(f"{prefix}_*.pdf"))
        if not matches:
            pytest.skip(f"corpus file {prefix}_… not present")
        return read_once(matches[0]).document

    return get


@pytest.mark.parametrize(
    ("printed", "name", "kind"),
    [
        ("国家矿山安全监察局青海局", "国家矿山安全监察局青海局", "organisation"),
        ("第二部分中共上海市普陀区委社会工作部", "中共上海市普陀区委社会工作部", "organisation"),
        ("深圳市应急管理局（本级）", "深圳市应急管理局(本级)", "organisation"),
        ("北京市信访办公室部门", "北京市信访办公室", "organisation"),
        ("第二部分", None, "heading"),
        ("二、", None, "heading"),
        ("上海市", None, "place"),
        ("上海市普陀区", None, "place"),
        ("万元", None, "other"),
        ("收支总表", None, "other"),
        ("本部门", None, "fragment"),
    ],
)
def test_what_an_organisation_name_looks_like(printed: str, name: str | None, kind: str, knowledge):
    assert organisation_name(printed, knowledge.metadata) == name
    assert candidate_kind(printed, knowledge.metadata) == kind


def test_a_cover_title_wrapped_over_four_lines(knowledge):
    # a long name wraps too: `2026 年度` / `福州经济技术开发区生态` / `环境局` / `单位预算`
    # (a 福州 cover, one of the held-out jurisdictions, looked at after its blind measurement)
    from grids import line

    cover = [
        line(t, 100.0 + 30 * i)
        for i, t in enumerate(["2026 年度", "福州经济技术开发区生态", "环境局", "单位预算", "目录"])
    ]
    meta = read_metadata(cover, knowledge, Counter(), [])
    assert (meta.publisher, meta.fiscal_year) == ("福州经济技术开发区生态环境局", 2026)


def test_a_document_naming_no_publisher_says_so(knowledge):
    meta = read_metadata([], knowledge, Counter(), [])
    assert meta.publisher is None and meta.fiscal_year is None
    assert meta.notes == (NOTE_NO_PUBLISHER,)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("prefix", "publisher", "year"),
    [
        # a cover title wrapped after `部门预`, its scope mark kept
        ("12a61b5a", "深圳市统计局(本级)", 2026),
        # `北京市信访办公室部门2026年度部门预算`: the 部门 after the name is not part of it
        ("0712b170", "北京市信访办公室", 2026),
        # `2018年度江苏省高级` / `人民法院预算公开`; not `第二部分江苏省高级人民法院` from the 目录
        ("9bb83bc1", "江苏省高级人民法院", 2018),
        # `上海市2026年市级单位预算` names a place alone; the cover's 预算单位 line names the unit
        ("0c14414a", "上海市医疗保险事业管理中心", 2026),
        # no cover: not the heading `第一部分…`, but `附件:北京市人民政府办公厅2026年度部门预算报表`
        ("977a55b8", "北京市人民政府办公厅", 2026),
    ],
)
def test_publisher_from_the_title_or_cover(prefix: str, publisher: str, year: int, document):
    doc = document(prefix)
    assert (doc["publisher"], doc["fiscal_year"]) == (publisher, year)
    notes = (doc["notes"] or "").split("; ")
    assert NOTE_NO_PUBLISHER not in notes and NOTE_YEAR_TITLE not in notes


@pytest.mark.corpus
def test_publisher_and_year_from_the_tables_only(document):
    """A tables-only file (预算01–13表, no cover): the publisher from the `部门名称` cell of
    预算13表, the year from the `2026(年度)` mark under its title, with a note."""
    doc = document("002db9dd")
    assert doc["publisher"] == "中共北京市委军民融合发展委员会办公室"
    assert doc["fiscal_year"] == 2026
    assert NOTE_YEAR_TITLE in doc["notes"].split("; ")


@pytest.mark.corpus
def test_year_from_a_table_title(document):
    """Tables printed under `部门:…` lines with no year but the title `2019年政府采购预算表`."""
    doc = document("2baf474e")
    assert (doc["publisher"], doc["fiscal_year"]) == ("江苏省人大常委会办公厅", 2019)
    assert NOTE_YEAR_TITLE in doc["notes"].split("; ")


def test_metadata_rules_are_validated(knowledge):
    """A typo in schemas/metadata.toml stops a run instead of silently dropping a rule."""
    import tomllib

    from budgetpdf.schemas.knowledge import SCHEMAS, _MetadataFile
    from pydantic import ValidationError

    data = tomllib.loads((SCHEMAS / "metadata.toml").read_text(encoding="utf-8"))
    _MetadataFile.model_validate(data)
    data["organisation"]["suffix"] = ["局"]
    with pytest.raises(ValidationError):
        _MetadataFile.model_validate(data)
