"""Numbers, labels and codes as the documents print them."""

from decimal import Decimal

import pytest
from budgetpdf.contract.text import item_name
from budgetpdf.normalize.codes import SplitCodeJoiner, classify, split_leading_code
from budgetpdf.normalize.numbers import parse_amount, to_yuan


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("2,030.89", Decimal("2030.89")),
        ("28.00", Decimal("28.00")),
        ("150", Decimal("150")),
        ("0.00", Decimal("0.00")),
        ("(1.50)", Decimal("-1.50")),
        ("-", None),
        ("—", None),
        ("", None),
        ("12.5%", None),
        ("１２３.４", Decimal("123.4")),
        ("125360,898", Decimal("125360898")),
        ("1,5", None),
    ],
)
def test_parse_amount(printed, value):
    assert parse_amount(printed) == value


def test_to_yuan_is_exact(knowledge):
    money = knowledge.money
    assert to_yuan(Decimal("0.01"), "万元", money) == Decimal("100.00")
    assert to_yuan(Decimal("1234.5"), "元", money) == Decimal("1234.50")
    assert to_yuan(Decimal("1"), None, money) is None


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("一、一般公共预算财政拨款收入", "一般公共预算财政拨款收入"),
        ("（一）项目绩效目标", "项目绩效目标"),
        ("合 计", "合计"),
        ("其中：捐赠收入", "其中:捐赠收入"),
        ("机关事业单位\n基本养老保险\n缴费", "机关事业单位基本养老保险缴费"),
        ("⽀出", "支出"),
        ("1.5万元以上", "1.5万元以上"),
    ],
)
def test_item_name(raw, name):
    assert item_name(raw) == name


def test_split_codes_carry_down(knowledge):
    joiner = SplitCodeJoiner(knowledge.class_by_name, knowledge.code_format, knowledge.ordinals)
    assert joiner.join(["201", "", ""]) == "201"
    assert joiner.join(["", "06", ""]) == "20106"
    assert joiner.join(["", "", "01"]) == "2010601"
    assert joiner.join(["", "", "02"]) == "2010602"
    assert joiner.join(["", "07", ""]) == "20107"


def test_code_in_label(knowledge):
    codes = knowledge.code_format
    assert split_leading_code("[2014001]行政运行", codes) == ("2014001", "行政运行")
    assert split_leading_code("2080505 机关事业单位基本养老保险缴费支出", codes)[0] == "2080505"
    assert split_leading_code("2024年支出", codes) == (None, "2024年支出")


def test_classify(knowledge):
    c = classify("30227", knowledge.code_format)
    assert (c.code_system, c.code_level, c.parent_code) == ("经济分类", "款", "302")
    assert classify("abc", knowledge.code_format).item_code is None
