"""What the checks cost: budgetpdf end to end on the benchmark sample, with and without the
check stage, in one process, CPU seconds (best of three passes each).

    python bench/checks_overhead.py [--sample N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import budgetpdf.pipeline.document as pipeline  # noqa: E402
from budgetpdf.schemas.knowledge import load_knowledge  # noqa: E402
from run import CORPUS, _catalog, choose_sample  # noqa: E402

KNOWLEDGE = load_knowledge()


def _cpu_seconds(paths: list[Path]) -> float:
    start = time.process_time()
    for path in paths:
        pipeline.process_document(path, KNOWLEDGE)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=12)
    args = parser.parse_args()
    paths = [CORPUS / r["file"] for r in choose_sample(_catalog(), args.sample, quick=False)]
    with_checks = min(_cpu_seconds(paths) for _ in range(3))
    real = pipeline.run_checks
    pipeline.run_checks = lambda *a, **k: []
    try:
        without = min(_cpu_seconds(paths) for _ in range(3))
    finally:
        pipeline.run_checks = real
    share = (with_checks - without) / without
    print(
        f"{len(paths)} documents: {with_checks:.2f} CPU-s with checks, {without:.2f} without: "
        f"checks add {share:.1%}"
    )


if __name__ == "__main__":
    main()
