"""Tables as the documents print them: units, titles, the canonical tables, 类 codes by name.

Each test reads only the pages it needs, from a title page on (a continuation needs the page
before it), so that a template's rule is checked on its real print in seconds."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from budgetpdf.extract.reader import open_pages
from budgetpdf.normalize.codes import ClassByName, ordinal_style
from budgetpdf.normalize.frame import build_frame
from budgetpdf.normalize.segment import UNNAMED, TableSegment
from budgetpdf.normalize.stitch import DocumentReader, demote_fallbacks

from tests.conftest import REAL, need


def _pdf(prefix: str) -> Path:
    found = sorted(REAL.glob(f"{prefix}_*.pdf")) if REAL.exists() else []
    return need(found[0] if found else REAL / f"{prefix}_missing.pdf")


@cache
def _segments(knowledge, prefix: str, first: int, last: int) -> tuple[TableSegment, ...]:
    """The tables printed on pages first..last of a corpus PDF, fallbacks resolved."""
    reader = DocumentReader(knowledge)
    for page in open_pages(_pdf(prefix), range(first, last + 1)):
        reader.read(page)
    demote_fallbacks(reader.segments, knowledge)
    return tuple(s for s in reader.segments if s.fragments)


def _on_page(knowledge, prefix: str, first: int, last: int, page: int) -> TableSegment:
    return next(s for s in _segments(knowledge, prefix, first, last) if s.fragments[0].page == page)


# ---------------------------------------------------------------- units


def test_unit_under_a_title_ruled_into_the_table(knowledge):
    # 北京 水务局: `预算01表 收支总表` and `金额单位：万元` sit inside the grid's first rows.
    seg = _on_page(knowledge, "19894b84", 1, 2, 1)
    assert seg.spec.id == "budget_summary"
    assert seg.unit == "万元"


def test_unit_from_the_page_that_repeats_the_title(knowledge):
    # 北京 水务局 收入总表: page 3 prints no unit, its continuation page 4 prints 金额单位：万元.
    seg = _on_page(knowledge, "19894b84", 3, 4, 3)
    assert seg.spec.id == "budget_income"
    assert [f.page for f in seg.fragments] == [3, 4]
    assert seg.unit == "万元"


def test_unit_after_a_department_name_on_one_line(knowledge):
    # 江苏省人民检察院 2018: `部门： 江苏省人民检察院 单位：万元` under 公开 03表：支出预算总表.
    seg = _on_page(knowledge, "6615bc43", 15, 15, 15)
    assert seg.spec.id == "budget_expenditure"
    assert seg.unit == "万元"
    assert seg.unit_name == "江苏省人民检察院"


def test_every_fact_has_a_unit_and_the_note_says_where_it_was_taken(knowledge):
    from budgetpdf.pipeline.document import process_document

    result = process_document(_pdf("520fa5c5"), knowledge)  # 江苏省人大办公厅 2017, 20 pages
    assert result.facts
    assert all(f["unit"] == "万元" for f in result.facts)
    assert all(f["amount_yuan"] == f["value"] * 10000 for f in result.facts)
    assert "no unit printed on the tables of pages 19: the document's 万元 taken" in (
        result.document["notes"] or ""
    )
    assert all(t["table_name"] for t in result.tables)


# ---------------------------------------------------------------- titles


def test_continuation_with_other_columns_takes_the_title_it_continues(knowledge):
    # 北京 应急管理局: `预算表12项目支出绩效目标表` ruled into its grid (page 20) runs on to
    # page 21 with other column boundaries.
    segs = _segments(knowledge, "f988a95d", 20, 21)
    assert segs[0].spec.id == "performance_targets"
    assert segs[0].title_raw == "预算表12项目支出绩效目标表"
    assert segs[-1].fragments[0].page == 21
    assert segs[-1].name == "绩效目标表"


def test_untitled_table_takes_the_line_above_it(knowledge):
    # 西安 工业和信息化局 page 7: a ruled chart under the heading `四、部门人员情况说明`.
    seg = _on_page(knowledge, "627c16ea", 7, 7, 7)
    assert seg.spec.id == "other"
    assert seg.name not in ("", UNNAMED)
    assert seg.title_raw == ""


# ---------------------------------------------------------------- canonical tables


@pytest.mark.parametrize(
    ("prefix", "first", "last", "page", "table_id"),
    [
        # 无锡 城市管理和综合执法局: 财政拨款支出表（功能科目）, 财政拨款基本支出表（经济科目）
        ("6925d6c5", 11, 12, 11, "budget_appropriation_expenditure"),
        ("6925d6c5", 11, 12, 12, "budget_appropriation_basic_expenditure"),
        # 信访局: 一般公共预算项目支出情况表（按经济分类科目）
        ("58417d10", 14, 14, 14, "budget_gpb_project_economic"),
        # 西安 卫生健康委员会: 西安市级…项目绩效自评表, one project a page
        ("d504cbd6", 57, 57, 57, "performance_self_evaluation"),
    ],
)
def test_new_canonical_tables(prefix, first, last, page, table_id, knowledge):
    assert _on_page(knowledge, prefix, first, last, page).spec.id == table_id


def test_appropriation_table_only_beside_its_general_budget_twin(knowledge):
    # 江苏省政协办公厅 2019 prints 财政拨款支出预算表（功能科目） (page 5) and
    # 一般公共预算支出预算表（功能科目） (page 7): the first is the 财政拨款 table.
    segs = _segments(knowledge, "a7aeca56", 5, 8)
    ids = {s.fragments[0].page: s.spec.id for s in segs}
    assert ids[5] == "budget_appropriation_expenditure"
    assert ids[6] == "budget_appropriation_basic_expenditure"
    assert ids[7] == "budget_gpb_expenditure"
    assert ids[8] == "budget_gpb_basic_expenditure"


def test_performance_form_keeps_its_amounts(knowledge):
    # A form (one project a page) keeps the amounts printed in its text columns.
    seg = _on_page(knowledge, "d504cbd6", 57, 57, 57)
    frame = build_frame(seg.spec, [f.grid for f in seg.fragments], knowledge)
    assert len(frame.records) >= 20


# ---------------------------------------------------------------- 类 codes by name


def test_ordinal_style(knowledge):
    ordinals = knowledge.ordinals
    assert ordinal_style("五、援助其他地区支出", ordinals) == "一、"
    assert ordinal_style("12、债务还本支出", ordinals) == "1、"
    assert ordinal_style("(10)其他支出", ordinals) == "(1)"
    assert ordinal_style("住房保障", ordinals) == ""


def test_class_by_name_not_under_another_class(knowledge):
    # 深圳建筑工务署: 住房保障 printed under 五、援助其他地区支出 is no 类 221.
    names = ClassByName(knowledge.class_by_name, knowledge.ordinals)
    assert names.code("一、一般公共服务支出") == "201"
    assert names.code("五、援助其他地区支出") == "219"
    assert names.code("住房保障") is None
    assert names.code("六、住房保障支出") == "221"


def test_class_by_name_not_in_an_economic_block(knowledge):
    # 西安 人力资源和社会保障局 收支总表 (page 29): a column of economic classes
    # (1、机关工资福利支出 … 12、债务还本支出) beside the functional one.
    seg = _on_page(knowledge, "225b0d00", 29, 29, 29)
    frame = build_frame(seg.spec, [f.grid for f in seg.fragments], knowledge)
    codes = {r.item_raw: r.classification.item_code for r in frame.records}
    assert codes["20、住房保障"] == "221"
    assert codes["27、债务还本支出"] == "231"
    assert codes["12、债务还本支出"] is None
    assert codes["13、转移性支出"] is None
    assert codes["(10)其他支出"] is None
    housing = [r for r in frame.records if r.item_raw == "20、住房保障"]
    assert housing[0].value == Decimal("857.76")
