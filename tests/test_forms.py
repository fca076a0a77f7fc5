"""Forms printed as tables (绩效目标表, 绩效自评表): key–value lines above the header, a second
header (the indicator block) inside the grid, rate columns.

Values are read from real PDFs: the reported case 宁德 部门整体绩效自评表 2024 and a 西安
卫生健康委员会 项目绩效自评表."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from budgetpdf.extract.reader import open_pages
from budgetpdf.normalize.frame import Record, build_frame
from budgetpdf.normalize.quantities import is_direction
from budgetpdf.normalize.stitch import DocumentReader, demote_fallbacks
from budgetpdf.pipeline.document import process_document

from tests.conftest import REAL, SHARED, need

CASE = SHARED / "cases" / "f17e3c9d_ningde_self_evaluation_2024.pdf"


@cache
def _case(knowledge):
    return process_document(need(CASE), knowledge)


def _facts(knowledge, item: str) -> dict[str, tuple[Decimal, str | None]]:
    return {
        f["column_name"]: (f["value"], f["unit"])
        for f in _case(knowledge).facts
        if f["item_name"] == item
    }


def _page_records(knowledge, prefix: str, page: int) -> list[Record]:
    found = sorted(REAL.glob(f"{prefix}_*.pdf")) if REAL.exists() else []
    path = need(found[0] if found else REAL / f"{prefix}_missing.pdf")
    reader = DocumentReader(knowledge)
    for p in open_pages(Path(path), {page}):  # the one page only: no other is read
        reader.read(p)
    demote_fallbacks(reader.segments, knowledge)
    seg = next(s for s in reader.segments if s.fragments)
    return build_frame(seg.spec, [f.grid for f in seg.fragments], knowledge).records


def test_self_evaluation_read_as_such(knowledge):
    doc = _case(knowledge).document
    assert doc["publisher"] == "宁德市人民政府办公室"
    assert doc["fiscal_year"] == 2024
    assert {t["table_id"] for t in _case(knowledge).tables} == {"performance_self_evaluation"}


def test_key_value_lines_are_not_rows_nor_headers(knowledge):
    # `专项名称 | 127部门整体` and `部门(单位)名称 | 宁德市人民政府办公室 | 部门预算编码 | 127`
    # above the header: `127` is a code, not an amount; no column is named after them.
    facts = _case(knowledge).facts
    assert not any("127" in f["column_name"] for f in facts)
    assert not any(f["item_name"].replace(".", "").isdigit() for f in facts)
    assert not any(f["item_name"] == "宁德市人民政府办公室" for f in facts)


def test_money_block_under_its_two_row_header(knowledge):
    total = _facts(knowledge, "合计")
    by_word = {
        word: next(v for name, v in total.items() if word in name)
        for word in ("年初部门预算安排金额", "年中调整金额", "年度拨付金额", "本年度结余金额")
    }
    assert by_word["年初部门预算安排金额"][0] == Decimal("9209.55")
    assert by_word["年中调整金额"][0] == Decimal("790.22")
    assert by_word["年度拨付金额"][0] == Decimal("8874.74")
    assert by_word["本年度结余金额"][0] == Decimal("1125.03")
    assert Decimal("9999.77") in {v for v, _ in total.values()}  # 小计③=①+②


@pytest.mark.parametrize(("word", "value"), [("支出实现率", "88.75"), ("资金结余率", "11.25")])
def test_rate_columns_are_percent(word, value, knowledge):
    (got,) = [v for name, v in _facts(knowledge, "合计").items() if word in name]
    assert got == (Decimal(value), "%")
    rate = [f for f in _case(knowledge).facts if word in f["column_name"]]
    assert all(f["amount_yuan"] is None for f in rate)


def test_indicator_block_is_a_second_header(knowledge):
    # 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 指标分值 | 自评得分 inside the grid
    row = _facts(knowledge, "“三公”经费控制率")
    assert row["实际完成值"][0] == Decimal("93.47")
    assert row["指标分值"][0] == Decimal("2")
    assert row["自评得分"][0] == Decimal("2")
    assert _facts(knowledge, "市政府常务会议场次")["自评得分"][0] == Decimal("1.33")
    total = [f for f in _case(knowledge).facts if "评价总分" in f["item_name"]]
    assert [f["value"] for f in total] == [Decimal("92.33")]


def test_project_self_evaluation_headed_columns(knowledge):
    # 西安 卫生健康委员会 p.57: 项目名称/主管部门 lines above `项目资金(万元) | 年初预算数 | …`;
    # 分值/得分 print `—` on the rows they do not score; 年度指标值/实际完成值 print figures
    # among words.
    records = _page_records(knowledge, "d504cbd6", 57)
    cells = {(r.item_name, r.column_name): r for r in records}
    # the fund is printed on the row (年度资金总额 | 其中：财政拨款 …), the measure on the column
    total = cells[("年度资金总额", "年初预算数/合计")]
    assert (total.value, total.concepts.measure, total.concepts.fund) == (
        Decimal("458"),
        "年初预算数",
        "合计",
    )
    assert (total.unit, total.money) == (None, True)  # the table's 万元
    # scores are 分 and indicator values carry their own unit (none printed here): not money
    assert (cells[("年度资金总额", "分值")].value, cells[("年度资金总额", "分值")].unit) == (
        Decimal("10"),
        "分",
    )
    assert cells[("年度资金总额", "得分")].value == Decimal("10.00")
    done = cells[("指标1:参加考试人数", "实际完成值")]
    assert (done.value, done.unit, done.money) == (Decimal("37500"), None, False)
    assert cells[("指标1:考试费用", "得分")].value == Decimal("12.5")
    assert not any("卫生健康" in r.column_name for r in records)


def test_is_rate():
    from budgetpdf.normalize.quantities import is_rate

    assert is_rate(["拨付情况", "支出实现率(%)5=4/3"])
    assert is_rate(["执行率(B/A)"])
    assert is_rate(["增减%"])
    assert not is_rate(["年度拨付金额4"])
    assert not is_rate(["小计3=1+2"])


def test_indicator_values_keep_the_unit_their_row_prints(knowledge):
    # 西安 公安局 p.65 (部门专项业务经费绩效目标表): `三级指标 | 指标值 | 分值权重（90分）` over
    # `系统平台运维和建设项目数量(项) | 13 | 8`; above, `资金金额（万元）` heads the rows
    # `实施期资金总额： | 23887.72` and `其中：财政拨款 | 23887.72`.
    records = _page_records(knowledge, "5dc7fde0", 65)
    cells = {(r.item_name, r.column_name): r for r in records}
    count = cells[("系统平台运维和建设项目数量(项)", "指标值")]
    assert (count.value, count.unit, count.money) == (Decimal("13"), "项", True)
    weight = cells[("系统平台运维和建设项目数量(项)", "分值权重(90分)")]
    assert (weight.value, weight.unit) == (Decimal("8"), "分")
    total = cells[("实施期资金总额:", "实施期预算数/合计")]
    assert (total.value, total.unit, total.concepts.fund) == (Decimal("23887.72"), "万元", "合计")
    assert cells[("其中:财政拨款", "财政拨款")].unit == "万元"


def test_indicator_values_take_a_unit_column(knowledge):
    # 北京 教育委员会 p.37 (项目支出绩效目标表): `本年绩效指标值 | 绩效度量单位` over
    # `总成本 | ≤ | 243.2 | 万元` and `参与培训人员满意度 | ≥ | 95 | %`; 项目总额 | 其中：财政资金.
    records = _page_records(knowledge, "cef2b86d", 37)
    by_item = {(r.item_name, r.column_name): r for r in records}
    units = {r.unit for r in records if r.column_name == "本年绩效指标值"}
    assert {"万元", "%", "月"} <= units
    satisfaction = [r for r in records if r.column_name == "本年绩效指标值" and r.unit == "%"]
    assert Decimal("95") in {r.value for r in satisfaction}
    assert None not in units  # every indicator value of the page prints its unit
    funds = {r.concepts.fund for (item, _), r in by_item.items() if r.value == Decimal("243.2")}
    assert "财政拨款" in funds


@pytest.mark.corpus
def test_a_continued_target_table_keeps_its_names_and_units(corpus):
    # 北京 卫生健康委员会 pp.39-40 (项目支出绩效目标表): p.40 continues p.39 without its
    # header and with other column boundaries, `三级指标 | 绩效指标性质 | 本年绩效指标值 |
    # 绩效度量单位` over `控烟公益广告宣传成本 | ≤ | 450 | 万元`. Before: named `≤`, no unit.
    result = corpus("9ae1b5ac_预算数据_002_北京_卫生健康委员会_2026年部门预算.pdf", 39, 40)
    values = [f for f in result.facts if f["column_name"] == "本年绩效指标值" and f["page"] == 2]
    named = {f["item_name"]: (f["value"], f["unit"]) for f in values}
    assert named["控烟公益广告宣传成本"] == (Decimal("450"), "万元")
    assert named["市民满意度"] == (Decimal("85"), "%")
    assert named["组织对重点涉源单位开展监督检查"] == (Decimal("6"), "家")
    assert not {"≤", "≥", "=", "＝"} & set(named)
    # `受益人数 | ≥ | 20 | 万人`: a known unit after its scale
    assert named["受益人数"] == (Decimal("20"), "万人")
    assert all(unit is not None for _, unit in named.values())


@pytest.mark.parametrize(
    "cell", ["≥", "≤", "＝", "=", "＞", "大于等于", "不低于", "定性", "正向指标"]
)
def test_a_target_direction_names_nothing(cell, knowledge):
    assert is_direction(cell, knowledge.quantities)


@pytest.mark.parametrize("cell", ["培训人员合格率", "≥95%", "等于或大于全市平均水平的项目数"])
def test_a_name_is_no_direction(cell, knowledge):
    assert not is_direction(cell, knowledge.quantities)
