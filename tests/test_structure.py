"""The folders are the pipeline: a stage imports only the stages before it, the bases import
no stage, and no module imports itself back through others (README, "Design")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# In flow order: a folder may import itself and any folder before it, never one after it.
ORDER = ("contract", "schemas", "fetch", "extract", "normalize", "check", "emit", "pipeline")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("budgetpdf", *parts))


def _imports() -> dict[str, set[str]]:
    """Every package module → the budgetpdf modules it imports (at top level or in a function)."""
    graph: dict[str, set[str]] = {}
    files = [ROOT / "__init__.py", *(p for f in ORDER for p in (ROOT / f).rglob("*.py"))]
    for path in files:
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found.update(n for n in names if n.startswith("budgetpdf"))
        graph[_module_name(path)] = found
    # `from budgetpdf.x import name` names a module only where x.name is one
    return {m: {d for d in deps if d in graph} for m, deps in graph.items()}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ORDER else None


def test_no_stage_imports_a_later_one() -> None:
    backwards = []
    for module, deps in _imports().items():
        here = _stage(module)
        for dep in deps:
            there = _stage(dep)
            if here is None or there is None:
                continue  # the package root (pipeline_version) is below every stage
            if ORDER.index(there) > ORDER.index(here):
                backwards.append(f"{module} → {dep}")
    assert backwards == []


def test_no_import_cycle() -> None:
    graph = _imports()
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[str] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if dep == module or dep == "budgetpdf":
                continue
            if state.get(dep) == 1:
                cycles.append(" → ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_graph_sees_real_imports() -> None:
    """The test above could pass on an empty graph: it must see the stages' known arrows."""
    graph = _imports()
    assert "budgetpdf.extract.grid" in graph["budgetpdf.normalize.frame"]
    assert "budgetpdf.contract.files" in graph["budgetpdf.fetch.manifest"]
    assert "budgetpdf.pipeline.runner" in graph["budgetpdf.pipeline.nightly"]
