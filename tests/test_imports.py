"""The package's import graph: no cycles, function-level imports included."""

import ast
import os

import skw2v

PACKAGE_DIR = os.path.dirname(skw2v.__file__)


def module_name(path):
    rel = os.path.relpath(path, os.path.dirname(PACKAGE_DIR))[:-3].replace(os.sep, ".")
    return rel[: -len(".__init__")] if rel.endswith(".__init__") else rel


def modules():
    for root, _, files in os.walk(PACKAGE_DIR):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                yield module_name(path), path


def internal_imports(name, path):
    """skw2v modules that ``name`` imports anywhere in its source (module or function level)."""
    is_package = path.endswith("__init__.py")
    base = name.split(".") if is_package else name.split(".")[:-1]
    known = dict(modules())
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            prefix = base[: len(base) - node.level + 1] if node.level else []
            parent = ".".join(prefix + ([node.module] if node.module else []))
            # "from . import x" imports the submodule x when there is one, else the package
            targets = [f"{parent}.{a.name}" if f"{parent}.{a.name}" in known else parent
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t.split(".")[0] == "skw2v" and t != name)
    return found


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycles():
    graph = {name: internal_imports(name, path) for name, path in modules()}
    assert graph["skw2v"], "the graph should see the package's own imports"
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_persistence_does_not_know_the_estimator():
    assert internal_imports("skw2v._persist", os.path.join(PACKAGE_DIR, "_persist.py")) <= {
        "skw2v._checks", "skw2v._random", "skw2v._version", "skw2v._words"}

