"""The house rules that a machine can check (docs/architecture.md).

Layers are checked by import-linter (`make test` runs `lint-imports`); types by mypy. This file
checks what those tools do not: no private module or name is used across packages, every package
declares its public surface and every declared name exists, no stage boundary is left untyped, and
the exit codes the docs promise are the ones the code uses.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import offlabel

SRC = Path(offlabel.__file__).parent
PACKAGES = sorted(
    m.name for m in pkgutil.walk_packages([str(SRC)], "offlabel.")
    if m.ispkg and not m.name.startswith("offlabel.data")
)


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import of an offlabel module in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("offlabel"):
                out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("offlabel"):
                    out.append((node.lineno, a.name, []))
    return out


def _is_package(module: str) -> bool:
    return (SRC.parent / Path(*module.split(".")) / "__init__.py").exists()


def _private_uses(home: str, path: Path) -> list[str]:
    """Imports in PATH (a module of package HOME) of a private module or name that belongs to
    another package. A leading underscore is private to the package that holds it."""
    problems = []
    for line, target, names in _imports(path):
        parts = target.split(".")
        private = [i for i, part in enumerate(parts) if part.startswith("_")
                   and not part.startswith("__")]
        if private:
            owner = ".".join(parts[: private[0]])
            if not (home == owner or home.startswith(owner + ".")):
                problems.append(f"{path.name}:{line}: private module {target}")
            continue
        # A private name belongs to its package; a top-level module is a room of its own.
        parent = target.rsplit(".", 1)[0]
        owner = target if _is_package(target) or parent == "offlabel" else parent
        for name in names:
            if name.startswith("_") and not name.startswith("__") and not (
                    home == owner or home.startswith(owner + ".")):
                problems.append(f"{path.name}:{line}: private name {target}.{name}")
    return problems


def test_no_private_module_or_name_is_used_across_packages() -> None:
    problems = [p for module, path in _modules()
                for p in _private_uses(_package_of(module, path), path)]
    assert problems == []


def test_the_private_check_catches_a_crossing(tmp_path: Path) -> None:
    f = tmp_path / "probe.py"
    f.write_text("from offlabel.sources.readers._common import dig\n"
                 "from offlabel.store import _now\n"
                 "from offlabel.classify._fastre import fast\n")
    assert len(_private_uses("offlabel.classify", f)) == 2  # its own _fastre is fine


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_declares_its_public_surface(package: str) -> None:
    mod = importlib.import_module(package)
    exported = getattr(mod, "__all__", None)
    assert exported is not None, f"{package} has no __all__"
    assert len(exported) == len(set(exported)), f"{package}.__all__ repeats a name"
    missing = [name for name in exported if not hasattr(mod, name)]
    assert missing == [], f"{package}.__all__ names what it does not have: {missing}"


@pytest.mark.parametrize("module", ["offlabel.errors", "offlabel.model", "offlabel.store",
                                    "offlabel.evidence", "offlabel.vocabulary"])
def test_top_level_modules_declare_their_public_surface(module: str) -> None:
    mod = importlib.import_module(module)
    exported = getattr(mod, "__all__", None)
    assert exported, f"{module} has no __all__"
    assert [n for n in exported if not hasattr(mod, n)] == []


BOUNDARIES = ("model.py", "appraise", "report", "pipeline")


def test_no_untyped_seam_at_a_stage_boundary() -> None:
    hits = []
    for _module, path in _modules():
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(BOUNDARIES) and "noqa: ANN" in path.read_text(encoding="utf-8"):
            hits.append(rel)
    assert hits == []


def test_every_error_of_ours_has_one_root() -> None:
    import offlabel.errors as errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, errors.OfflabelError), name
    # ...and nothing else in the package defines an exception class of its own root.
    roots = []
    for module, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                if bases & {"Exception", "ValueError", "LookupError", "RuntimeError"} and \
                        module != "offlabel.errors":
                    roots.append(f"{module}.{node.name}")
    assert roots == []


def test_the_documented_exit_codes_are_the_code_s() -> None:
    from offlabel.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_NOT_COVERED

    doc = (SRC.parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `(\d+)` \| ([^|]+) \|", doc, re.M))
    assert table.keys() == {"0", str(EXIT_ERROR), str(EXIT_NOT_COVERED), str(EXIT_INTERRUPTED)}
