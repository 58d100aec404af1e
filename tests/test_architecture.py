"""The package's shape holds: every module imports, layers import only downward (no import cycle, lazy
imports included), docs/architecture.md names exactly the modules that exist, and modules and
functions stay small unless their docstring says why (a line starting with ``Long:``)."""

from __future__ import annotations

import ast
import functools
import importlib
import re
from pathlib import Path

import pytest
from conftest import REPO

PACKAGES = ("loaders", "bimotion", "yuemotion")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name):
    importlib.import_module(name)


def _imports(name: str, path: Path) -> set[str]:
    """The package modules that ``name`` imports anywhere in its body (lazy imports included)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            prefix = ".".join(base + ([node.module] if node.module else []))
            # `from pkg import module` imports the module; `from module import name`, the module
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in MODULES else prefix for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_even_through_lazy_imports():
    edges = {name: _imports(name, path) for name, path in MODULES.items()}
    # a module reaching up to its own package (`import bimotion` for `bimotion.__version__`) is not a
    # layer going up: a package's __init__ sits above its modules by definition
    for name in list(edges):
        edges[name] = {t for t in edges[name] if not name.startswith(t + ".")}
    # the command lines import their commands by name (importlib), which no import statement shows: a
    # command reaching up to its command line (for a constant) is a cycle too
    for cli in ("bimotion", "yuemotion"):
        edges[f"{cli}.cli"] |= {m for m in MODULES if m.startswith(f"{cli}.commands.")}
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_architecture_doc_names_exactly_the_modules_that_exist():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:loaders|bimotion|yuemotion|recipes)/[\w/]+\.py)`", text))
    named_dirs = set(re.findall(r"`((?:loaders|bimotion|yuemotion)/[\w/]+)/`", text))
    files = {str(p.relative_to(REPO)) for p in MODULES.values()}
    files |= {str(p.relative_to(REPO)) for p in (REPO / "recipes").glob("*.py")}
    missing = named - files
    assert not missing, f"docs/architecture.md names modules that do not exist: {sorted(missing)}"
    undocumented = {
        f
        for f in files
        if f not in named and not f.endswith("__init__.py") and not any(f.startswith(d + "/") for d in named_dirs)
    }
    assert not undocumented, f"docs/architecture.md does not place: {sorted(undocumented)}"


def test_the_grid_modules_import_only_those_the_doc_places_before_them():
    """docs/architecture.md lists bimotion/grid/'s modules "each importing only those before it" (a module named
    after another, heatmap_layout.py, is a part of it); workers.py imported saved.py, placed after it."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    part = text[text.index("**Grid and figures**") :]
    order = list(dict.fromkeys(re.findall(r"`bimotion/grid/(\w+)\.py`", part[: part.index("\n\n")])))
    place = {name: order.index(name.split("_")[0]) for name in order}
    later = [
        f"{name}.py imports {target.rsplit('.', 1)[1]}.py"
        for name in order
        for target in _imports(f"bimotion.grid.{name}", MODULES[f"bimotion.grid.{name}"])
        if target.startswith("bimotion.grid.") and place.get(target.rsplit(".", 1)[1], -1) > place[name]
    ]
    assert len(order) > 10 and not later, later


def _long_reason(docstring: str | None) -> bool:
    return bool(docstring) and any(line.strip().startswith("Long:") for line in docstring.splitlines())


def test_modules_and_functions_are_small_or_say_why():
    too_long = []
    for name, path in MODULES.items():
        if name.startswith("loaders.testing."):
            continue  # fixture generators: data-like tables of a corpus's layout
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        lines = len(source.splitlines())
        if lines > MAX_MODULE_LINES and not _long_reason(ast.get_docstring(tree)):
            too_long.append(f"{path.relative_to(REPO)}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and not _long_reason(ast.get_docstring(node)):
                    too_long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}(): {length} lines")
    assert not too_long, "split these, or give the reason in a docstring line starting with 'Long:':\n" + "\n".join(
        too_long
    )


SCRIPTS = sorted(p for folder in ("recipes", "bench", "scripts", "tests") for p in (REPO / folder).rglob("*.py"))


@pytest.mark.parametrize("path", [*MODULES.values(), *SCRIPTS], ids=lambda p: str(p.relative_to(REPO)))
def test_every_name_imported_from_the_package_exists(path):
    """Lazy imports inside functions (the benches', the recipes') run only when that code path does;
    a module moved or a function renamed must not leave one behind that fails minutes into a run."""
    name = _module_name(path) if path in MODULES.values() else None
    package = (name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]) if name else []
    missing = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or (node.level and not name):
            continue
        base = package[: len(package) - node.level + 1] if node.level else []
        module = ".".join(base + ([node.module] if node.module else []))
        if module.split(".")[0] not in PACKAGES:
            continue
        if module not in MODULES:
            missing.append(f"line {node.lineno}: no module {module}")
            continue
        imported = importlib.import_module(module)
        missing += [
            f"line {node.lineno}: {module} has no {alias.name}"
            for alias in node.names
            if alias.name != "*" and not hasattr(imported, alias.name) and f"{module}.{alias.name}" not in MODULES
        ]
    assert not missing, f"{path.relative_to(REPO)}: " + "; ".join(missing)


def test_no_module_re_exports_a_moved_name():
    """A function moved to a module of its own is imported from there: no module but a package's ``__init__``
    keeps it for importers of its old home (``from .mistyped import check_keys as check_keys`` in
    registry.py, read by grid/config.py), a second place to look it up that outlives the move."""
    shims = [
        f"{path.relative_to(REPO)}:{node.lineno} {alias.name}"
        for path in MODULES.values()
        if path.name != "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    ]
    assert not shims, "import these from their home, not from the module re-exporting them: " + ", ".join(shims)


@functools.cache
def _defined(path: Path) -> set[str]:
    """The names a module defines at its top level (a def, a class, an assignment; under an ``if`` or ``try`` too)."""
    names = set()
    for top in ast.parse(path.read_text(encoding="utf-8")).body:
        for node in [top] if not isinstance(top, ast.If | ast.Try) else ast.walk(top):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


@functools.cache
def _listed(path: Path) -> set[str]:
    """The names a module lists in ``__all__`` (none where it has no ``__all__``)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def _public(path: Path) -> set[str]:
    """The names a package's ``__init__`` lists in ``__all__`` (its public face; empty for a module)."""
    return _listed(path) if path.name == "__init__.py" else set()


def _imported_from(name: str | None, path: Path, node: ast.ImportFrom) -> str:
    """The module ``node`` imports from (relative to ``path``'s package, ``name`` its module name)."""
    package = (name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]) if name else []
    base = package[: len(package) - node.level + 1] if node.level else []
    return ".".join(base + ([node.module] if node.module else []))


def _definer(module: str, name: str) -> str:
    """The module that defines ``name``, following ``module``'s own top-level imports of it (those under
    ``if TYPE_CHECKING:`` or ``try`` too) to the module where it is a def, a class or an assignment."""
    path = MODULES[module]
    if name in _defined(path) or f"{module}.{name}" in MODULES:
        return module
    for top in ast.parse(path.read_text(encoding="utf-8")).body:
        for node in [top] if not isinstance(top, ast.If | ast.Try) else ast.walk(top):
            if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
                source = _imported_from(module, path, node)
                real = next(a.name for a in node.names if (a.asname or a.name) == name)
                return _definer(source, real) if source in MODULES else source
    return f"(not found in {module})"


@functools.cache
def _documented_re_exports(path: Path) -> set[str]:
    """The names a module keeps for a documented public API, ``# noqa: F401 (public API: ...)`` on their import."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {
        alias.asname or alias.name
        for node in ast.walk(ast.parse("\n".join(lines)))
        if isinstance(node, ast.ImportFrom) and "noqa: F401 (public API:" in lines[node.end_lineno - 1]
        for alias in node.names
    }


def test_each_name_is_imported_from_the_module_that_defines_it():
    """A name is imported from the module that defines it (a def, a class, an assignment), or from a package's
    ``__init__`` that lists it in ``__all__`` (the package's public face, whose own imports are checked here
    too): ``recipes/train.py``, ``training/run.py`` and ``probe/run.py`` imported ``split_list``,
    ``check_datasets`` and ``DataArguments`` from training/args.py, which imports them from data_checks.py and
    spec.py; ``advise/report.py`` imported ``group_name`` from advise/names.py, which imports it from
    group_names.py; ``bimotion.grid`` imported ``check_inputs`` from grid/runner.py: second homes, where a
    name moved or renamed at its home lives on.  A module may keep such names for a public API the docs
    describe (``# noqa: F401 (public API: ...)`` in training/run.py): the
    package's modules, recipes, benches and scripts import from the definer all the same, and only the tests
    import a name where ``# noqa: F401 (public API: ...)`` keeps it (the documented way it is called)."""
    through = []
    importers = [(name, path) for name, path in MODULES.items()] + [(None, path) for path in SCRIPTS]
    for name, path in importers:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or (node.level and not name):
                continue
            module = _imported_from(name, path, node)
            if module not in MODULES:
                continue
            home = MODULES[module]
            kept = _public(home) | (_documented_re_exports(home) if path.parent.name == "tests" else set())
            through += [
                f"{path.relative_to(REPO)}:{node.lineno} {a.name}: import it from {_definer(module, a.name)}, "
                f"not {module}"
                for a in node.names
                if a.name != "*" and a.name not in _defined(home) | kept and f"{module}.{a.name}" not in MODULES
            ]
    assert not through, "import each name from the module that defines it:\n" + "\n".join(through)


def test_the_import_check_names_the_module_that_defines_a_name_imported_through_another():
    assert _definer("bimotion.training.args", "split_list") == "bimotion.training.data_checks"
    assert _definer("bimotion.training.args", "SERTrainingArguments") == "bimotion.training.training_args"
    assert _definer("bimotion.advise.names", "group_name") == "bimotion.group_names"
    assert _definer("bimotion.training.args", "to_spec") == "bimotion.training.args"


# Modules outside a package's ``__init__`` whose ``__all__`` lists names they only import, and why
HANDED_OUT = {
    "yuemotion.commands.check": "a command module: yuemotion's CLI reads HELP, add_arguments, run off it",
    "yuemotion.commands.push": "a command module: yuemotion's CLI reads HELP, add_arguments, run off it",
}
LISTING = sorted(n for n, p in MODULES.items() if p.name != "__init__.py" and _listed(p) and n not in HANDED_OUT)


def test_a_modules_all_lists_only_names_it_defines():
    """Outside a package's ``__init__`` (whose ``__all__`` is its public face), a module's ``__all__`` lists only
    names it defines, unless ``HANDED_OUT`` says why.  training/args.py's listed 15 names it only imports, which
    nothing imported through it (the check above refuses it), and ruff counts a name in ``__all__`` as used:
    four imports kept for nothing else went unseen.  Checked over every module (none lists another's name now)."""
    borrowed = {name: sorted(_listed(MODULES[name]) - _defined(MODULES[name])) for name in LISTING}
    borrowed = {name: names for name, names in borrowed.items() if names}
    assert not borrowed, "".join(
        f"{MODULES[name].relative_to(REPO)}'s __all__ lists {', '.join(names)}, which it does not define: "
        "drop them from its __all__ (importers take them from the module that defines them)\n"
        for name, names in borrowed.items()
    )
    assert set(HANDED_OUT) <= set(MODULES), (
        f"HANDED_OUT names modules that do not exist: {set(HANDED_OUT) - set(MODULES)}"
    )


# Why an import that ruff finds unused is kept (``# noqa: F401 (WHY: ...)``), outside a package's ``__init__``
NOQA_REASONS = ("public API", "availability check", "side effects")
NOQA_F401 = re.compile(r"#\s*noqa:\s*F401\b(.*)")


def test_an_unused_import_says_why_it_is_kept():
    """``# noqa: F401`` kept a moved name at its old home (``loaders.walk.original_of``, ``bimotion.verify.
    format_result``, ``loaders.base.SourceInfo``: "the readers' import, as before it moved"), where the check
    above sees no ``as`` alias; outside a package's ``__init__`` such an import now says which of
    ``NOQA_REASONS`` it serves, ``# noqa: F401 (public API: ...)``, and a re-export for old importers is refused."""
    kinds = "|".join(map(re.escape, NOQA_REASONS))
    unexplained = [
        f"{path.relative_to(REPO)}:{number} {match.group(1).strip() or '(no reason)'}"
        for path in [*MODULES.values(), *sorted((REPO / "recipes").rglob("*.py"))]
        if path.name != "__init__.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if (match := NOQA_F401.search(line)) and not re.fullmatch(rf"\s*\(({kinds}): \S.*\)\s*", match.group(1))
    ]
    assert not unexplained, (
        "an unused import outside __init__.py is kept only as one of "
        f"{', '.join(NOQA_REASONS)} ('# noqa: F401 (public API: why)'); import a moved name from its home "
        "instead: " + "; ".join(unexplained)
    )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_docstring_names_a_function_where_it_lives(name):
    """A bare :func:`x` (:data:, :class:) is the module's own name: a function moved away (``hub_info``
    named in held.py, ``used_data`` in card_claims.py, ``original_of`` in copy_reports.py, after their
    split from layout.py, model_card.py and copies.py) is named with its module, ``.layout.hub_info``."""
    module = importlib.import_module(name)
    text = MODULES[name].read_text(encoding="utf-8")
    stale = sorted({ref for ref in re.findall(r":(?:func|data|class):`(\w+)`", text) if not hasattr(module, ref)})
    assert not stale, f"{MODULES[name].relative_to(REPO)} names {', '.join(stale)}, not its own: name their module"
