"""Title matching: every printed variant in schemas/tables.toml names its own table, as
printed alone, after its 公开NN表 label, or after an ordinal."""

from __future__ import annotations

import pytest
from budgetpdf.normalize.segment import match_title
from budgetpdf.schemas.knowledge import OTHER, load_knowledge
from grids import line

# parametrization is collected before any fixture exists: the variants from a load of their own
VARIANTS = [
    (spec.id, variant, fallback)
    for spec in load_knowledge().tables
    for fallback, variants in ((False, spec.titles), (True, spec.fallback_titles))
    for variant in variants
]


def _ids(params):
    return [f"{p[0]}:{p[1]}" for p in params]


@pytest.mark.parametrize(("table_id", "variant", "fallback"), VARIANTS, ids=_ids(VARIANTS))
def test_every_title_variant_names_its_table(table_id, variant, fallback, knowledge):
    for printed in (variant, f"公开05表 {variant}", f"三、{variant}", f"2026年 {variant}"):
        title = match_title(line(printed, top=80), knowledge)
        assert title is not None, printed
        assert (title.spec.id, title.fallback) == (table_id, fallback), printed


def test_curly_quotes_are_the_straight_ones(knowledge):
    title = match_title(line("财政拨款“三公”经费支出决算表", top=80), knowledge)
    assert title.spec.id == "three_public"


def test_an_unknown_table_title_is_other_and_prose_is_none(knowledge):
    assert match_title(line("政府采购预算明细统计表", top=80), knowledge).spec == OTHER
    assert match_title(line("本部门2024年度收入决算表中的数据说明如下", top=80), knowledge) is None
    assert match_title(line("单位：万元", top=80), knowledge) is None
