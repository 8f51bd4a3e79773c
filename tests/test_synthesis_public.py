"""The public surface of offlabel.synthesis: ``__all__`` is accurate, its modules import one
another without a cycle, and the metafor conformance runner is not part of the package."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

import offlabel.synthesis as S

PKG = Path(S.__file__).resolve().parent


def _public_modules():
    for m in pkgutil.iter_modules(S.__path__):
        if not m.name.startswith("_"):
            yield importlib.import_module(f"offlabel.synthesis.{m.name}")


def test_every_name_in_all_exists():
    assert len(S.__all__) == len(set(S.__all__))
    missing = [n for n in S.__all__ if not hasattr(S, n)]
    assert missing == []


def test_every_public_function_and_class_is_in_all():
    left_out = []
    for mod in _public_modules():
        for name, obj in vars(mod).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if obj.__module__ == mod.__name__ and name not in S.__all__:
                left_out.append(f"{mod.__name__}.{name}")
    assert left_out == []


def _imports(path: Path) -> set[str]:
    """Sibling modules a module imports, at the top or inside functions (both make a cycle)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("offlabel.synthesis."):
            out.add(node.module.split(".")[2])
    return out


def test_no_import_cycle_between_modules():
    graph = {p.stem: _imports(p) - {p.stem} for p in PKG.glob("*.py") if p.stem != "__init__"}
    assert "rma" in graph["bias"] and "metareg" in graph["rma"]  # the parser sees imports
    assert "rma" not in graph["metareg"]  # the cycle that was
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        path.append(n)
        for m in sorted(graph.get(n, ())):
            assert state.get(m) != 1, "import cycle: " + " -> ".join(path + [m])
            if m not in state:
                visit(m)
        path.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)


def test_conformance_runner_is_not_installed():
    assert importlib.util.find_spec("offlabel.synthesis.conformance") is None
    assert importlib.util.find_spec("offlabel.synthesis._rlite") is None
    assert (PKG.parents[2] / "validation" / "metafor" / "conformance.py").is_file()
