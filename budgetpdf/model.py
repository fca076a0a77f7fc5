"""What one processed document yields: the rows of the four contract tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass(slots=True)
class DocumentResult:
    document: Row
    tables: list[Row] = field(default_factory=list)
    facts: list[Row] = field(default_factory=list)
    checks: list[Row] = field(default_factory=list)
