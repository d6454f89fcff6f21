"""The tree shows the architecture: imports point services → projections → domain, no
module takes part in an import cycle, services/ is grouped into packages by capability,
and HTTP endpoints stay short. Checked on the source with `ast`, so nothing is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"domain": 0, "projections": 1, "services": 2}
MAX_SIBLINGS = 8
MAX_HTTP_FUNCTION_LINES = 60


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path) -> dict[str, Path]:
    return {module_name(root, path): path
            for top in LAYERS for path in sorted((root / top).rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports, anywhere in it (also inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    found = modules(root)
    return {name: imports_of(path, set(found)) - {name} for name, path in found.items()}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    layer = {name: LAYERS[name.split(".")[0]] for name in graph}
    return sorted(f"{source} -> {target}" for source, targets in graph.items()
                  for target in targets if layer[target] > layer[source])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif successor not in index:
                index[successor] = low[successor] = len(index)
                stack.append(successor)
                on_stack.add(successor)
                work.append((successor, iter(sorted(graph[successor]))))
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
    return found


def crowded_packages(root: Path) -> list[str]:
    """Folders under services/ whose modules and packages have more than MAX_SIBLINGS
    siblings each."""
    crowded = []
    for folder in [root / "services", *sorted((root / "services").rglob("*/"))]:
        if not (folder / "__init__.py").exists():
            continue
        entries = [p for p in folder.iterdir() if p.name != "__init__.py" and (
            p.suffix == ".py" or (p / "__init__.py").exists())]
        if len(entries) - 1 > MAX_SIBLINGS:
            crowded.append(f"{folder.relative_to(root)}: {len(entries)} modules")
    return crowded


def long_functions(folder: Path, limit: int) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append(f"{path.relative_to(folder)}:{node.lineno} {node.name} "
                                 f"({length} lines)")
    return found


# The project ----------------------------------------------------------------------------


def test_imports_point_from_services_to_projections_to_domain() -> None:
    assert upward_imports(import_graph(ROOT)) == []


def test_no_module_takes_part_in_an_import_cycle() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_services_is_grouped_into_packages_by_capability() -> None:
    assert crowded_packages(ROOT) == []
    for package in (ROOT / "services").glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(package.read_text(encoding="utf-8")))
        assert docstring and "\n" not in docstring, f"{package}: a one-line docstring"


def test_http_endpoints_are_short() -> None:
    assert long_functions(ROOT / "services" / "http", MAX_HTTP_FUNCTION_LINES) == []


# The checks themselves: each finds what it is for ---------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for top in LAYERS:
        (root / top).mkdir(parents=True, exist_ok=True)
        (root / top / "__init__.py").write_text("")
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_the_check_finds_an_upward_import_also_inside_a_function(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "domain/rules.py": "def late():\n    from projections import views\n",
        "projections/views.py": "from domain import rules\n",
        "services/api.py": "import projections.views\n"})

    assert upward_imports(import_graph(root)) == ["domain.rules -> projections",
                                                  "domain.rules -> projections.views"]


@pytest.mark.parametrize("second", ["from services.a import x\n", "import services.a\n"])
def test_the_check_finds_a_cycle(tmp_path: Path, second: str) -> None:
    root = write_tree(tmp_path, {"services/a.py": "from services.b import y\n",
                                 "services/b.py": second,
                                 "services/c.py": "from services import a\n"})

    assert cycles(import_graph(root)) == [["services.a", "services.b"]]


def test_the_check_finds_a_crowded_package_and_a_long_endpoint(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {f"services/m{n}.py": "" for n in range(MAX_SIBLINGS + 2)})
    (root / "services" / "m0.py").write_text("def f():\n" + "    pass\n" * 70)

    assert crowded_packages(root) == [f"services: {MAX_SIBLINGS + 2} modules"]
    assert long_functions(root / "services", 60) == ["m0.py:1 f (71 lines)"]
