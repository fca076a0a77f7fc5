"""Consistency checks (placeholder until the declarative engine lands)."""

from __future__ import annotations

from budgetpdf.model import Row


def run_checks(doc_id: str, facts: list[Row], lines: list) -> list[Row]:
    return []
