"""The project's modules import each other without a circle (function-level imports
included), and the audit record's module imports only the models."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("meetings", "wecom", "config")


def module_files():
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imported(name, path, known):
    """The project modules `name` imports: `from . import x` names the package only when x is
    not one of its modules."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in candidates:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
    return targets


def graph():
    known = module_files()
    return {name: imported(name, path, known) for name, path in known.items()}


def circle(edges):
    """One circle of imports, as a list of modules, or None."""
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return trail[trail.index(target) :] + [target]
            if target not in state:
                found = visit(target, trail + [target])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def test_no_module_imports_itself_through_others():
    assert circle(graph()) is None


def test_the_circle_finder_finds_a_circle():
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_audit_imports_only_the_models():
    # And the field declarations, which the models read too; the chain, which seals a
    # batch's events in one write and imports nothing of the app itself; and the written-out
    # statements over the models' columns, which import only the models.
    project = {t for t in graph()["meetings.audit"] if t.startswith(PACKAGES)}
    assert project == {"meetings.models", "meetings.fields", "meetings.chain", "meetings.rows"}
    assert not [t for t in graph()["meetings.chain"] if t.startswith(PACKAGES)]
    assert {t for t in graph()["meetings.rows"] if t.startswith(PACKAGES)} == {"meetings.models"}


def test_the_field_declarations_import_nothing_of_the_app():
    assert not [t for t in graph()["meetings.fields"] if t.startswith("meetings")]


def test_wecom_knows_nothing_of_meetings():
    edges = graph()
    assert not [
        (n, t)
        for n, ts in edges.items()
        if n.startswith("wecom")
        for t in ts
        if t.startswith("meetings")
    ]
