"""docs/sources.md's environment-variable table names exactly the variables the code reads.

Both directions: an ``OFFLABEL_*`` variable the package reads (or one a live-source client
reads, such as ``NCBI_API_KEY``) must have a row, and every row must name a variable something
in the package reads. The code side is found in the source itself (calls to ``os.environ.get``,
``os.getenv``, ``os.environ[...]`` and http's ``_env_float`` with a literal name, the values of
``ENDPOINT_ENV``, and any string constant that is a whole ``OFFLABEL_*`` name), so a new
variable cannot be forgotten by forgetting to list it somewhere else.
"""

from __future__ import annotations

import ast
import functools
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "offlabel"
DOC = ROOT / "docs" / "sources.md"
TABLE_HEADING = "## Environment variables"

_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_OFFLABEL_NAME = re.compile(r"OFFLABEL_[A-Z0-9_]*[A-Z0-9]")
# Functions that read a variable named by their first argument.
_READERS = {("os", "environ", "get"), ("environ", "get"), ("os", "getenv"), ("getenv",)}
_READER_HELPERS = {"_env_float"}
# Reads whose name is not a literal, and where the names they can take come from: each is
# checked below to be the only such read, so a new one fails until it is listed here.
_DYNAMIC_READS = {
    ("sources/http.py", "base_url"): "ENDPOINT_ENV",
    ("sources/http.py", "_env_float"): "its callers (literal names)",
}


@dataclass(frozen=True)
class Read:
    name: str | None  # None when the name is not a literal
    file: str
    function: str
    line: int


def _dotted(node: ast.AST) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


@functools.cache
def _trees(root: Path) -> tuple[tuple[str, ast.Module], ...]:
    out = []
    for path in sorted(root.rglob("*.py")):
        with warnings.catch_warnings():  # another module's odd escape is not our business
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        out.append((path.relative_to(root).as_posix(), tree))
    return tuple(out)


class _Reads(ast.NodeVisitor):
    def __init__(self, file: str) -> None:
        self.file = file
        self.function = "<module>"
        self.found: list[Read] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = _dotted(node.func)
        if func in _READERS or (func and func[-1] in _READER_HELPERS):
            first = node.args[0] if node.args else None
            self.found.append(Read(_literal(first), self.file, self.function, node.lineno))
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _dotted(node.value)[-2:] == ("os", "environ") and isinstance(node.ctx, ast.Load):
            self.found.append(Read(_literal(node.slice), self.file, self.function, node.lineno))
        self.generic_visit(node)


def env_reads(root: Path = PACKAGE) -> list[Read]:
    """Every place under root that reads an environment variable."""
    reads: list[Read] = []
    for rel, tree in _trees(root):
        visitor = _Reads(rel)
        visitor.visit(tree)
        reads += visitor.found
    return reads


def code_names(root: Path = PACKAGE) -> set[str]:
    """The variables the package reads, by name."""
    from offlabel.sources.http import ENDPOINT_ENV

    names = {r.name for r in env_reads(root) if r.name is not None}
    names |= set(ENDPOINT_ENV.values())
    exported: set[str] = set()  # a Python name listed in __all__ is not an environment variable
    for _, tree in _trees(root):
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                exported |= {v for elt in ast.walk(node.value) if (v := _literal(elt))}
    for _, tree in _trees(root):
        for node in ast.walk(tree):
            value = _literal(node)
            if value is not None and _OFFLABEL_NAME.fullmatch(value) and value not in exported:
                names.add(value)
    return names


def doc_names(text: str) -> dict[str, int]:
    """Variable name -> line number, from the first table under the heading."""
    lines = text.splitlines()
    try:
        start = lines.index(TABLE_HEADING)
    except ValueError:
        raise AssertionError(f"{DOC.name}: no '{TABLE_HEADING}' section") from None
    names: dict[str, int] = {}
    in_table = False
    for number, line in enumerate(lines[start + 1 :], start + 2):
        if line.startswith("## "):
            break
        if not line.startswith("|"):
            if in_table:
                break
            continue
        in_table = True
        first = line.strip("|").split("|")[0]
        if set(first.strip()) <= set("-: "):
            continue  # the rule under the header
        for token in re.findall(r"`([^`]+)`", first):
            if _NAME.fullmatch(token):
                names[token] = number
    return names


def mismatches(documented: dict[str, int], read: set[str], client_names: set[str]) -> list[str]:
    """One line per disagreement; client_names are non-OFFLABEL names sources/ reads."""
    problems = [
        f"{DOC.name}:{line}: `{name}` is documented but nothing in src/offlabel reads it"
        for name, line in sorted(documented.items())
        if name not in read
    ]
    required = {n for n in read if n.startswith("OFFLABEL_")} | client_names
    problems += [
        f"{DOC.name}: `{name}` is read by the code but has no row in '{TABLE_HEADING}'"
        for name in sorted(required - set(documented))
    ]
    return problems


def _client_names() -> set[str]:
    return {
        r.name
        for r in env_reads()
        if r.name is not None and r.file.startswith("sources/") and not r.name.startswith("OFF")
    }


def test_the_environment_table_matches_the_code() -> None:
    documented = doc_names(DOC.read_text(encoding="utf-8"))
    problems = mismatches(documented, code_names(), _client_names())
    assert problems == [], "\n".join(problems)


def test_the_scan_finds_the_variables_it_should() -> None:
    # Guards the scanner itself: if it found nothing, the comparison above would be empty.
    names = code_names()
    assert {
        "OFFLABEL_EUTILS_URL",
        "OFFLABEL_CACHE_DIR",
        "OFFLABEL_HTTP_TIMEOUT",
        "OFFLABEL_STORE",
        "OFFLABEL_EFETCH_BATCH",
    } <= names
    assert {"NCBI_API_KEY", "NCBI_EMAIL", "OPENFDA_API_KEY"} <= _client_names()
    documented = doc_names(DOC.read_text(encoding="utf-8"))
    assert len(documented) >= 15 and "NCBI_EMAIL" in documented


def test_every_read_without_a_literal_name_is_accounted_for() -> None:
    dynamic = {(r.file, r.function) for r in env_reads() if r.name is None}
    unknown = dynamic - set(_DYNAMIC_READS)
    assert not unknown, (
        f"environment reads the docs test cannot name: {sorted(unknown)}; read a literal name "
        "or add the place (and where its names come from) to _DYNAMIC_READS"
    )


def _with_row(text: str, row: str) -> str:
    marker = "| `OFFLABEL_EFETCH_BATCH` |"
    assert marker in text
    return text.replace(marker, row + "\n" + marker, 1)


@pytest.mark.parametrize(
    "row",
    [
        "| `OFFLABEL_NOT_A_REAL_SETTING` | `1` | made up |",
        "| `OFFLABEL_HTTP_TIMEOUT`, `OFFLABEL_HTTP_FAKE` | `30` | made up |",
        "| `NCBI_FAKE_KEY` | unset | made up |",
    ],
)
def test_a_fake_row_fails(row: str) -> None:
    text = _with_row(DOC.read_text(encoding="utf-8"), row)
    problems = mismatches(doc_names(text), code_names(), _client_names())
    assert (
        len(problems) == 1 and "is documented but nothing in src/offlabel reads it" in problems[0]
    )


def test_a_missing_row_fails() -> None:
    text = DOC.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("| `OFFLABEL_CACHE_TTL`")]
    problems = mismatches(doc_names("\n".join(lines)), code_names(), _client_names())
    assert problems == [
        f"{DOC.name}: `OFFLABEL_CACHE_TTL` is read by the code but has no row in '{TABLE_HEADING}'"
    ]


def test_a_new_variable_in_the_code_fails(tmp_path: Path) -> None:
    pkg = tmp_path / "offlabel"
    (pkg / "sources").mkdir(parents=True)
    (pkg / "sources" / "x.py").write_text(
        'import os\nLIMIT = os.environ.get("OFFLABEL_NEW_LIMIT")\nKEY = os.getenv("FOO_API_KEY")\n'
    )
    read = code_names(pkg)
    assert {"OFFLABEL_NEW_LIMIT", "FOO_API_KEY"} <= read
    documented = doc_names(DOC.read_text(encoding="utf-8"))
    problems = mismatches(documented, read | code_names(), {"FOO_API_KEY"})
    assert sorted(p.split("`")[1] for p in problems) == ["FOO_API_KEY", "OFFLABEL_NEW_LIMIT"]
