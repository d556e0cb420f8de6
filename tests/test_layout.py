"""The package's layout keeps its promise: the stages import in one direction (reading files → text →
annotation → model, with coverage working on any labelled table and the CLI on top), and no module imports
another that imports it back, directly or around a loop. Read from the source, so a function-local import
counts as much as one at the top of a file."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
#: Stage order; a module may import from its own stage, an earlier one, or the shared top level (rank 0).
STAGES = {"io": 1, "text": 2, "annotate": 3, "model": 4, "coverage": 4, "cli": 5}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The rolcov modules that ``path`` imports, wherever in the file the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    graph = {name: _imports(path, modules) - {name} for name, path in paths.items()}
    for name in graph:  # importing pipeline.x.y also runs pipeline.x/__init__: a package face is no edge
        graph[name] = {target for target in graph[name] if not _is_package(target, modules) or target == "pipeline"}
    return graph


def _is_package(name: str, modules: set[str]) -> bool:
    return any(other.startswith(name + ".") for other in modules)


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES.get(parts[1], 0) if len(parts) > 2 else 0


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a set of modules in a loop."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def test_no_module_imports_itself_around_a_loop():
    graph = _graph()
    assert len(graph) > 30 and graph["pipeline.cli.main"], "the import graph was not read"
    assert _cycles(graph) == []


def test_stages_import_only_from_themselves_or_earlier_ones():
    backwards = sorted(
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in targets
        if _stage(target) > _stage(source)
    )
    assert backwards == []


def test_coverage_never_loads_a_model_and_nothing_imports_the_cli():
    graph = _graph()
    assert not any(
        t.startswith("pipeline.model.") for s, ts in graph.items() if s.startswith("pipeline.coverage.") for t in ts
    )
    assert not any(
        t.startswith("pipeline.cli.") for s, ts in graph.items() if not s.startswith("pipeline.cli.") for t in ts
    )


def test_the_cycle_finder_finds_a_loop():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
