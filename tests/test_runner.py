"""The nightly runner as an operator meets it: versions, retries, limits, bad files, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from budgetpdf.normalize.numbers import parse_amount
from conftest import SHARED, need

CASES = SHARED / "cases"


# ---------------------------------------------------------------- minus signs


@pytest.mark.parametrize(
    "printed", ["-5.44", "－5.44", "\u22125.44", "\u20105.44", "(5.44)", "（5.44）", "﹣5.44"]
)
def test_every_minus_sign_makes_a_negative(printed):
    assert parse_amount(printed) == Decimal("-5.44")


@pytest.mark.parametrize("printed", ["\u2212", "\u2010", "－", "-"])
def test_a_lone_minus_sign_is_a_blank(printed):
    assert parse_amount(printed) is None


def test_u2212_negatives_are_read_from_the_case():
    from budgetpdf.pipeline.document import process_document

    result = process_document(need(CASES / "17e5b6e9_negatives_and_rates.pdf"))
    row = {
        f["column_name"]: f["value"] for f in result.facts if f["item_name"] == "社会保障和就业支出"
    }
    assert row["增减额"] == Decimal("-5.44")
    assert row["增减率(%)"] == Decimal("-3.89")
