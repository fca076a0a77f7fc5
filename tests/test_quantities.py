"""Figures that are not money (normalize/quantities.py): units read from headings and rows."""

import pytest
from budgetpdf.normalize.quantities import heading_unit, is_indicator, row_unit, unit_of


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("万元", "万元"),
        ("（万元）", "万元"),
        ("系统平台运维和建设项目数量(项)", "项"),  # 西安 绩效目标表: the unit closes the name
        ("视频监控运维覆盖率（%）", "%"),
        ("元/天", "元/天"),  # 北京 财政局: 聘用注册会计师单位成本 ≤ 800 元/天
        ("因公出国(境)", None),  # a bracket that is no unit
        ("执行率(B/A)", None),
        ("(2022年度)", None),
        ("", None),
    ],
)
def test_unit_of(text, unit, knowledge):
    assert unit_of(text, knowledge.quantities) == unit


@pytest.mark.parametrize(
    ("path", "unit"),
    [
        (["分值权重（90分）"], "分"),
        (["执行率分值", "(10分)"], "分"),
        (["自评得分"], "分"),
        (["指标权重(%)"], "%"),  # a weight in percent is a rate first
        (["执行率(B/A)"], "%"),
        (["预算金额(万元)"], "万元"),
        (["人数(人)"], "人"),
        (["因公出国(境)费"], None),
        (["本年绩效指标值"], None),
        (["合计"], None),
    ],
)
def test_heading_unit(path, unit, knowledge):
    assert heading_unit(path, knowledge.quantities) == unit


def test_indicator_headings(knowledge):
    assert is_indicator(["本年绩效指标值"], knowledge.quantities) and is_indicator(
        ["实际完成值"], knowledge.quantities
    )
    assert not is_indicator(["三级指标"], knowledge.quantities) and not is_indicator(
        ["合计"], knowledge.quantities
    )


def test_row_unit_takes_the_nearest_unit(knowledge):
    # a unit column's text first, then the texts left of the figure, nearest first
    assert row_unit(["", "预计使用年限", "可持续影响指标"], knowledge.quantities) is None
    assert row_unit(["年", "预计使用年限"], knowledge.quantities) == "年"
    assert (
        row_unit(["", "其中：财政拨款", "", "资金金额\n（万元）"], knowledge.quantities) == "万元"
    )


@pytest.mark.parametrize(
    ("text", "unit"), [("万人", "万人"), ("千人次", "千人次"), ("万元/人", "万元/人")]
)
def test_a_known_unit_after_its_scale_is_a_unit(text, unit, knowledge):
    assert unit_of(text, knowledge.quantities) == unit


@pytest.mark.parametrize("text", ["万", "千万", "万元钱"])
def test_a_scale_alone_is_no_unit(text, knowledge):
    assert unit_of(text, knowledge.quantities) is None
