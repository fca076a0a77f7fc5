"""Column concepts (contract 1.1): header paths read by rule, unseen wordings, real columns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from budgetpdf.normalize.concepts import Concepts, concept_column_id, name_column, read_concepts
from conftest import REAL, SHARED, need


def read(
    knowledge,
    path: str,
    table_id: str,
    kind: str | None = None,
    year: int | None = None,
    siblings=(),
):
    spec = knowledge.table(table_id)
    parts = tuple(path.split("/"))
    sibs = [tuple(s.split("/")) for s in siblings]
    concepts = read_concepts(parts, spec, knowledge, kind, year, sibs)
    name, concepts = name_column(concepts, parts, spec, knowledge, kind)
    return concepts, name


# ---------------------------------------------------------------- unit: wordings never printed so


@pytest.mark.parametrize(
    ("path", "table_id", "dim", "value"),
    [
        ("本年收入/一般公共预算财政拨款收入", "budget_income", "fund", "一般公共预算"),
        ("财政拨款（补助）/小计", "budget_income", "fund", "财政拨款"),
        ("一般公共预\n算财政拨款", "appropriation_summary", "fund", "一般公共预算"),
        ("上年结余、结转", "budget_income", "fund", "上年结转"),
        ("本级财政拨款", "budget_income", "fund", "财政拨款"),
        ("资金来源/财政专户管理资金", "budget_project_expenditure", "fund", "财政专户管理资金"),
        ("人员支出", "budget_gpb_basic_expenditure", "spending", "人员经费"),
        ("日常公用经费", "budget_gpb_basic_expenditure", "spending", "公用经费"),
        ("支出总计", "expenditure", "spending", "合计"),
        ("本年支出/小计", "expenditure", "spending", "合计"),
        ("经营支出", "expenditure", "spending", "事业单位经营支出"),
        ("因公出国（境）费用", "budget_three_public", "expense_item", "因公出国(境)费"),
        # brackets of a font whose glyphs sit off the line come out of their place
        ("因公出国境费()", "budget_three_public", "expense_item", "因公出国(境)费"),
        ("公务用车购置及运行费", "three_public", "expense_item", "公务用车购置及运行维护费"),
        ("公 务 用 车/运行费", "three_public", "expense_item", "公务用车运行维护费"),
        ("“三公”经费/小计", "budget_three_public", "expense_item", '"三公"经费合计'),
        ("年末结转和结余", "gov_fund", "flow", "年末结转和结余"),
    ],
)
def test_unseen_wordings_read_as_their_concept(path, table_id, dim, value, knowledge):
    concepts, _ = read(knowledge, path, table_id)
    assert getattr(concepts, dim) == value
    assert not concepts.unmapped


@pytest.mark.parametrize(
    ("path", "kind", "year", "measure", "name"),
    [
        ("2025年预算数/公务用车购置及运行维护费/小计", "预算", 2026, "上年预算数", None),
        ("2025年执行数", "预算", 2026, "上年执行数", None),
        ("上年执行数/合计", "预算", 2026, "上年执行数", "上年执行数/合计"),
        ("比上年增减%", "预算", 2026, "增减率", None),
        ("调整预算数/基本支出", "决算", 2024, "调整预算数", None),
        ("2024年决算数", "决算", 2025, "上年决算数", None),
        ("2026年预算数", "预算", 2026, "预算数", None),
    ],
)
def test_measure_from_another_year_or_a_change_word(path, kind, year, measure, name, knowledge):
    concepts, got = read(knowledge, path, "budget_three_public", kind, year)
    assert concepts.measure == measure
    if name:
        assert got == name


def test_order_of_the_header_does_not_matter(knowledge):
    a, name_a = read(knowledge, "公务接待费/决算数", "three_public", "决算", 2024)
    b, name_b = read(knowledge, "决算数/公务接待费", "three_public", "决算", 2024)
    assert a == b and name_a == name_b == "决算数/公务接待费"
    assert (
        concept_column_id(a, name_a, knowledge)
        == concept_column_id(b, name_b, knowledge)
        == "final_reception"
    )


def test_a_line_above_the_table_and_a_wrapped_word_stay_out_of_the_concept(knowledge):
    concepts, name = read(
        knowledge, '江苏省人民检察院/"三公"经费/因公出国/(境)费', "budget_three_public"
    )
    assert concepts.expense_item == "因公出国(境)费" and name == "因公出国(境)费"


def test_a_total_totals_the_dimension_its_siblings_break_down(knowledge):
    funds = ["一般公共预算", "政府性基金预算"]
    assert read(knowledge, "合计", "budget_expenditure", siblings=funds)[0].fund == "合计"
    spends = ["基本支出", "项目支出"]
    assert read(knowledge, "合计", "budget_expenditure", siblings=spends)[0].spending == "合计"
    # 财政拨款/小计 is fund 财政拨款, not a table total
    appropriation = read(
        knowledge, "财政拨款/小计", "budget_income", siblings=["合计", "事业收入"]
    )[0]
    assert appropriation.fund == "财政拨款"


def test_a_heading_no_vocabulary_holds_keeps_its_printed_path(knowledge):
    siblings = ["合计", "基本支出"]
    concepts, name = read(
        knowledge, "政府购买服务项目/小计", "budget_expenditure", siblings=siblings
    )
    assert concepts == Concepts("预算数", unmapped=True) and name == "政府购买服务项目/小计"


def test_one_concept_one_id_in_every_table(knowledge):
    a, na = read(knowledge, "一般公共预算拨款", "budget_income", "预算")
    b, nb = read(knowledge, "一般公共预算资金", "budget_project_expenditure", "预算")
    assert concept_column_id(a, na, knowledge) == concept_column_id(b, nb, knowledge) == "gpb"
    c, nc = read(
        knowledge, "上年预算数/合计", "budget_gpb_expenditure", "预算", 2026, siblings=["基本支出"]
    )
    assert (c.measure, c.spending, nc) == ("上年预算数", "合计", "上年预算数/合计")
    assert concept_column_id(c, nc, knowledge) == "prior_budget_spending_total"


# ---------------------------------------------------------------- real PDFs

XIAN_AUDIT = "fc67fad1_2026年西安市审计局部门预算.pdf"
BEIJING = "002db9dd_政府办公厅_附件2：中共北京市委军民融合发展委员会办公室2026年度部门预算报表.pdf"
SHENZHEN_STATS = "12a61b5a_2026年深圳市统计局部门预算.pdf"
JIANGSU_PROCURATORATE = "6615bc43_pdf_files_jszwfw_江苏省人民检察院_2018年省检察院部门预算公开.pdf"
RATES = "17e5b6e9_negatives_and_rates.pdf"


@pytest.fixture(scope="module")
def results(read_once):
    return lambda path: read_once(need(path))


def _facts(result, table_id, item, column):
    return [
        f
        for f in result.facts
        if f["table_id"] == table_id
        and f["column_name"] == column
        and (item in (f["item_name"], f["item_code"]))
    ]


def _one(result, table_id, item, column):
    hits = _facts(result, table_id, item, column)
    assert len(hits) == 1, (table_id, item, column, len(hits))
    return hits[0]


def _concepts(fact):
    return tuple(fact[k] for k in ("measure", "flow", "fund", "spending", "expense_item"))


@pytest.mark.corpus
def test_measure_of_the_year_before_and_of_the_change(corpus):
    # 三公 table printing 上年 | 当年 | 增减变化情况 over the same items (表13, 2026 budget, p.35)
    r = corpus(XIAN_AUDIT, 35)
    f = _one(r, "budget_three_public", "合计", "上年预算数/会议费")
    assert (f["value"], _concepts(f)) == (
        Decimal("20000.00"),
        ("上年预算数", None, None, None, "会议费"),
    )
    f = _one(r, "budget_three_public", "合计", "增减额/培训费")
    assert (f["value"], f["measure"], f["column_id"]) == (
        Decimal("-176000.00"),
        "增减额",
        "change_training",
    )
    f = _one(r, "budget_three_public", "合计", "合计")  # 当年/合计: the table's own figure
    assert (f["value"], _concepts(f)) == (
        Decimal("332000.00"),
        ("预算数", None, None, None, "合计"),
    )
    # 一般公共预算拨款安排的"三公"经费预算/小计: the 三公 subtotal, the fund only qualifies it
    f = _one(r, "budget_three_public", "合计", '"三公"经费合计')
    assert f["value"] == Decimal("102000.00")


@pytest.mark.corpus
def test_flow_and_fund_of_a_balance_heading(results):
    # 收入总表: 合计 | 本年收入/小计, 一般公共预算资金 … | 上年结转结余/小计, 一般公共预算资金 …
    r = results(REAL / BEIJING)
    balance = [f for f in r.facts if f["column_name"] == "年初结转和结余/一般公共预算"]
    assert balance and balance[0]["value"] == Decimal("8.754697")
    assert _concepts(balance[0]) == ("预算数", "年初结转和结余", "一般公共预算", None, None)
    year = [f for f in r.facts if f["table_id"] == "budget_income" and f["flow"] == "本年收入"]
    grand = [f for f in r.facts if f["table_id"] == "budget_income" and f["column_name"] == "合计"]
    assert year[0]["column_name"] == "本年收入/合计" and year[0]["fund"] == "合计"
    assert (year[0]["value"], grand[0]["value"]) == (Decimal("9142.554971"), Decimal("9151.309668"))
    assert year[0]["column_id"] != grand[0]["column_id"]


@pytest.mark.corpus
def test_spending_under_a_measure_and_a_heading(results):
    # 一般公共预算支出表 printed 预算数/基本支出/人员经费
    f = _one(results(REAL / BEIJING), "budget_gpb_expenditure", "2210201", "人员经费")
    assert (f["value"], f["spending"], f["column_id"]) == (
        Decimal("47.0052"),
        "人员经费",
        "personnel",
    )


@pytest.mark.corpus
def test_expense_item_above_its_fund_and_a_block_of_no_concept(results):
    # 三公 table printing 公务接待费/一般公共预算 (item above fund): order-free, one id
    r = results(REAL / SHENZHEN_STATS)
    f = _one(r, "budget_three_public", "2026年", "一般公共预算/公务接待费")
    assert (f["value"], _concepts(f)) == (
        Decimal("11.56"),
        ("预算数", None, "一般公共预算", None, "公务接待费"),
    )
    # 2026年政府采购项目/小计 beside the spending columns: the spending bought through
    # procurement (spending 政府采购, a project addition to the vocabulary), never a part
    f = _one(r, "budget_expenditure", "201", "政府采购")
    assert f["value"] == Decimal("94.28")
    assert _concepts(f) == ("预算数", None, None, "政府采购", None)


@pytest.mark.corpus
def test_a_department_line_and_wrapped_cells_stay_out_of_the_name(corpus):
    # header read as 江苏省人民检察院/"三公"经费/因公出国/(境)费 and 公务接/待费 (p.19)
    r = corpus(JIANGSU_PROCURATORATE, 19)
    names = {
        f["column_name"]: f["value"] for f in r.facts if f["table_id"] == "budget_three_public"
    }
    assert names["因公出国(境)费"] == Decimal("100.00")
    assert names["公务接待费"] == Decimal("116.50")
    assert names["会议费"] == Decimal("200.44")


def test_a_rate_column_is_in_percent_without_yuan(results):
    r = results(SHARED / "cases" / RATES)
    f = _one(r, "budget_gpb_expenditure", "201", "增减率/合计")
    assert (f["value"], f["unit"], f["amount_yuan"], f["measure"]) == (
        Decimal("-4.76"),
        "%",
        None,
        "增减率",
    )
    f = _one(r, "budget_gpb_expenditure", "201", "增减额/合计")
    assert (f["unit"], f["amount_yuan"]) == ("万元", Decimal("-500000.00"))


@pytest.mark.corpus
def test_two_columns_of_one_concept_keep_one_name(corpus):
    # 收入总表 printing 上年结转 | 上年实户资金余额 side by side: the vocabulary reads the second
    # as a 上年结转 where it stands alone; here it keeps its printed path and no concept, so
    # each row has one 上年结转 (before: two, and every classification sum not evaluable)
    r = corpus("65b3ede0_预算数据_020_西安_生态环境局_2026年部门预算.pdf", 28)
    income = [f for f in r.facts if f["table_id"] == "budget_income" and f["item_name"] == "合计"]
    named = {f["column_name"]: (f["column_id"], f["value"], f["unit"]) for f in income}
    assert len(named) == len(income) == 12
    assert named["上年结转"] == ("carried_over", Decimal("0.00"), "元")
    cid, value, _ = named["部门预算/上年实户资金余额"]
    assert cid.startswith("x_") and value == Decimal("0.00")
    assert named["其他收入"][1:] == (Decimal("2000000.00"), "元")
