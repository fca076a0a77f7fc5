"""A normal install works: the wheel, installed into a fresh venv outside the checkout, runs
the bundled sample from a folder that is not the checkout.

The fresh venv sees the test venv's third-party packages through a .pth line (a .pth line
only adds a path: the test venv's own .pth files, among them the editable finder that maps
`budgetpdf` to this checkout, are not run), so nothing is downloaded; the wheel is installed
with --no-deps and `budgetpdf` must come from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import ROOT, SAMPLE


def _sh(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


# What a build must not see: local environments and earlier builds (setuptools packs a stale
# build/lib left by an earlier in-tree build), caches, run outputs.
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "out"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of the checkout by the build backend's PEP 517 hook
    (what `pip wheel` calls, without pip's second of start-up), with the setuptools of this
    environment (the test extra requires what build-system.requires does)."""
    source = tmp_path_factory.mktemp("source") / "budgetpdf"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    folder = tmp_path_factory.mktemp("wheel")
    build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
    _sh(sys.executable, "-c", build, folder, cwd=source)
    (built,) = folder.glob("budgetpdf-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv (no pip of its own) holding the wheel; returns its bin folder."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = _sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=env_dir)
    Path(site.strip(), "test_venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = (sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps")
    _sh(*pip, wheel, cwd=env_dir)
    return env_dir / "bin"


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}


def test_wheel_ships_knowledge_and_contract(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "budgetpdf/contract/OUTPUT.md" in names
    for toml in ("tables", "headers", "columns", "checks"):
        assert f"budgetpdf/schemas/{toml}.toml" in names
    assert {
        "budgetpdf/schemas/codes/functional.csv",
        "budgetpdf/schemas/codes/economic.csv",
    } <= names
    # one top-level import name
    assert {n.split("/")[0] for n in names if not n.startswith("budgetpdf-")} == {"budgetpdf"}


def test_installed_wheel_runs_the_sample_outside_the_checkout(installed, tmp_path):
    env = _clean_env()
    where = _sh(
        installed / "python",
        "-c",
        "import budgetpdf; print(budgetpdf.__file__)",
        cwd=tmp_path,
        env=env,
    )
    assert Path(where.strip()).is_relative_to(installed.parent), "not the wheel's budgetpdf"
    pdf = tmp_path / "in" / SAMPLE.name
    pdf.parent.mkdir()
    pdf.write_bytes(SAMPLE.read_bytes())
    printed = _sh(installed / "budgetpdf", "run", "in", "--out", "out", cwd=tmp_path, env=env)
    assert "1 processed (1 ok" in printed
    (doc,) = pq.read_table(tmp_path / "out" / "documents.parquet").to_pylist()
    assert (doc["status"], doc["error"]) == ("ok", None)
    assert (doc["publisher"], doc["fiscal_year"], doc["doc_kind"]) == (
        "示例市应急管理局",
        2024,
        "决算",
    )
    assert (doc["tables_found"], doc["facts"], doc["checks_failed"]) == (4, 64, 1)
    facts = pq.read_table(tmp_path / "out" / "facts.parquet").to_pylist()
    total = [f for f in facts if f["table_id"] == "income" and f["item_name"] == "合计"]
    assert {f["column_name"]: f["value"] for f in total}["本年收入合计"] == Decimal("1739.24")
    lines = (tmp_path / "out" / "log.jsonl").read_text(encoding="utf-8").splitlines()
    log = next(e for e in map(json.loads, lines) if "file" in e)  # then the run's summary
    assert log["status"] == "ok"
