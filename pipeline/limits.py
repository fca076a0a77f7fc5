"""What one document may cost a run: a module of its own, so the command line can show the
defaults without importing the pipeline (`budgetpdf --help` answers at once)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Per document: wall-clock seconds, and the worker's resident memory (RSS) in MB, both
    enforced by the supervising process, which kills and replaces the worker; and the pages
    read (1-based; None: all), a restriction to investigate some pages (`--pages`)."""

    # 15 minutes: a 50-page scan read by OCR takes about 3 min on one core of the 2-core
    # machine (seed_scanned.pdf, 179 CPU-s: 2.8 a table page, more where narrative is dense);
    # text documents take seconds
    seconds: int = 900
    memory_mb: int = 2048
    pages: frozenset[int] | None = None
