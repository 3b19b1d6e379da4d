"""Each distribution declares every package its code imports, and declares no third-party package it does not.

What a module may import: the standard library, its own distribution's namespace, and the distributions its
pyproject declares. A module listed under `[tool.training-operator.extra-modules]` for an extra (core's
`kube`: `core.kube`, `core.metrics`) may also use that extra's dependencies, and no module outside it may
import it unguarded, so `import training_operator.core` works without the extra. An import inside
`try: ... except ImportError` (the unified CLI's `training_operator.local`) may come from any extra; one under
`if TYPE_CHECKING:` never runs and is not counted. Importing another of our distributions' extra modules
needs that extra requested (`training-operator-core[kube]`). A declared third-party package that nothing
imports in its scope is an error too (a `test` extra is exempt: its users are the tests).
Imports are read from the source (ast), third-party import names mapped to distributions through the
installed metadata, so this runs in the development environment in a second.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.parent for p in (ROOT / "packages").glob("*/pyproject.toml"))
NAMESPACE = "training_operator"
EXEMPT_EXTRAS = {"test"}


@dataclass(frozen=True)
class Distribution:
    """One package folder's declarations: requirements as {name: requested extras}, per extra."""

    name: str
    folder: Path
    required: dict[str, set[str]]
    extras: dict[str, dict[str, set[str]]]
    extra_modules: dict[str, tuple[str, ...]]
    namespaces: tuple[str, ...] = field(default=())

    def extra_of(self, module: str) -> str | None:
        """The extra that makes `module` importable; None for the base install."""
        for extra, prefixes in self.extra_modules.items():
            if any(module == p or module.startswith(p + ".") for p in prefixes):
                return extra
        return None

    def declared(self, scope: str | None, *, guarded: bool) -> dict[str, set[str]]:
        """What a module of `scope` may import: the base, its extra's, or (guarded) any extra's."""
        merged = {name: set(extras) for name, extras in self.required.items()}
        chosen = self.extras.values() if guarded else [self.extras.get(scope or "", {})]
        for extra in chosen:
            for name, wanted in extra.items():
                merged.setdefault(name, set()).update(wanted)
        return merged


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it stands, and whether an ImportError handler guards it."""

    module: str
    source: str
    line: int
    guarded: bool


def load(folder: Path) -> Distribution:
    data = tomllib.loads((folder / "pyproject.toml").read_text())
    project = data["project"]
    name = canonicalize_name(project["name"])
    optional = project.get("optional-dependencies", {})
    extras = {extra: _requirements(name, reqs, optional) for extra, reqs in optional.items()}
    tool = data.get("tool", {}).get("training-operator", {})
    src = folder / "src" / NAMESPACE
    return Distribution(
        name=name,
        folder=folder,
        required=_requirements(name, project.get("dependencies", []), optional),
        extras=extras,
        extra_modules={extra: tuple(mods) for extra, mods in tool.get("extra-modules", {}).items()},
        namespaces=tuple(f"{NAMESPACE}.{p.name}" for p in sorted(src.iterdir()) if p.is_dir()),
    )


def _requirements(own: str, texts: list[str], optional: dict[str, list[str]]) -> dict[str, set[str]]:
    """{distribution: requested extras}; hatch's `{root:parent:uri}` paths and self-references resolved."""
    found: dict[str, set[str]] = {}
    for text in texts:
        requirement = Requirement(text.replace("{root:parent:uri}", "file:///packages"))
        name = canonicalize_name(requirement.name)
        if name == own:  # `all = ["training-operator[tf,...]"]`
            for extra in requirement.extras:
                for sub, wanted in _requirements(own, optional[extra], optional).items():
                    found.setdefault(sub, set()).update(wanted)
            continue
        found.setdefault(name, set()).update(requirement.extras)
    return found


def imports(path: Path, where: str) -> Iterator[Import]:
    """Every module `path` imports; `importlib.import_module("x")` with a literal counts as importing x."""
    for node, guarded in _nodes(ast.parse(path.read_text(), str(path)), guarded=False):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            yield from (Import(alias.name, where, line, guarded) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:  # `from training_operator.core import kube` imports a submodule
                yield Import(f"{node.module}.{alias.name}", where, line, guarded)
        elif isinstance(node, ast.Call) and (target := _import_module_target(node)):
            yield Import(target, where, line, guarded)


def _nodes(node: ast.AST, *, guarded: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every node that runs, with whether an ImportError handler guards it (`if TYPE_CHECKING:` skipped)."""
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        for statement in node.orelse:
            yield from _nodes(statement, guarded=guarded)
        return
    if isinstance(node, ast.Try | ast.TryStar):
        catches = any(_catches_import_error(handler.type) for handler in node.handlers)
        for statement in node.body:
            yield from _nodes(statement, guarded=guarded or catches)
        for rest in (*node.handlers, *node.orelse, *node.finalbody):
            yield from _nodes(rest, guarded=guarded)
        return
    yield node, guarded
    for child in ast.iter_child_nodes(node):
        yield from _nodes(child, guarded=guarded)


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", "")
    return name == "TYPE_CHECKING"


def _catches_import_error(handler: ast.expr | None) -> bool:
    names = handler.elts if isinstance(handler, ast.Tuple) else [handler]
    return any(getattr(n, "id", "") in ("ImportError", "ModuleNotFoundError") for n in names)


def _import_module_target(call: ast.Call) -> str | None:
    func = call.func
    named = (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id == "import_module"
    )
    first = call.args[0] if call.args else None
    if named and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def modules(dist: Distribution) -> Iterator[tuple[str, Path]]:
    src = dist.folder / "src"
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def problems(dist: Distribution, everyone: dict[str, Distribution]) -> list[str]:
    """Every undeclared import, unguarded import of an extra's module, and unused declaration of `dist`."""
    third_party = packages_distributions()
    found: list[str] = []
    used: set[tuple[str | None, str]] = set()
    for module, path in modules(dist):
        scope = dist.extra_of(module)
        for imported in imports(path, str(path.relative_to(dist.folder))):
            top = imported.module.split(".")[0]
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            if top == NAMESPACE:
                found += _our_import(dist, everyone, scope, imported)
                continue
            names = {canonicalize_name(n) for n in third_party.get(top, [])}
            if not names:
                found.append(
                    f"{imported.source}:{imported.line}: {top} is imported but no installed "
                    "distribution provides it"
                )
                continue
            declared = dist.declared(scope, guarded=imported.guarded)
            if not names & declared.keys():
                where = f"the [{scope}] extra" if scope else "its dependencies"
                found.append(
                    f"{imported.source}:{imported.line}: {dist.name} imports {top} "
                    f"({', '.join(sorted(names))}), missing from {where}"
                )
            used.update((scope, n) for n in names)
            if imported.guarded:
                used.update((extra, n) for extra in dist.extras for n in names)
    return found + _unused(dist, everyone, used)


def _our_import(
    dist: Distribution, everyone: dict[str, Distribution], scope: str | None, imported: Import
) -> list[str]:
    parts = imported.module.split(".")
    if len(parts) < 2:
        return []
    owner = next((d for d in everyone.values() if ".".join(parts[:2]) in d.namespaces), None)
    if owner is None:
        return [f"{imported.source}:{imported.line}: no package of ours provides {imported.module}"]
    needs = owner.extra_of(imported.module)
    if owner.name == dist.name:
        if needs is not None and needs != scope and not imported.guarded:
            return [
                f"{imported.source}:{imported.line}: {imported.module} needs the [{needs}] extra; "
                "import it inside the code that needs it, guarded, or list this module under the extra"
            ]
        return []
    declared = dist.declared(scope, guarded=imported.guarded)
    if owner.name not in declared:
        return [
            f"{imported.source}:{imported.line}: {dist.name} imports {imported.module} but does not "
            f"declare {owner.name}"
        ]
    if needs is not None and needs not in declared[owner.name]:
        return [
            f"{imported.source}:{imported.line}: {imported.module} needs {owner.name}[{needs}], "
            f"{dist.name} declares {owner.name} without it"
        ]
    return []


def _unused(
    dist: Distribution, everyone: dict[str, Distribution], used: set[tuple[str | None, str]]
) -> list[str]:
    found = []
    scopes: list[tuple[str | None, dict[str, set[str]]]] = [(None, dist.required)]
    scopes += [(extra, reqs) for extra, reqs in dist.extras.items() if extra not in EXEMPT_EXTRAS]
    for scope, reqs in scopes:
        for name in sorted(reqs.keys() - everyone.keys()):
            if (scope, name) not in used:
                where = f"[{scope}] extra" if scope else "dependencies"
                found.append(f"{dist.name}: {name} is declared in its {where} but nothing there imports it")
    return found


EVERYONE = {d.name: d for d in map(load, PACKAGES)}


@pytest.mark.parametrize("name", sorted(EVERYONE))
def test_every_import_is_declared_and_every_declaration_imported(name):
    assert problems(EVERYONE[name], EVERYONE) == []


def test_core_keeps_the_kubernetes_stack_out_of_its_base_install():
    core = EVERYONE["training-operator-core"]
    assert not {"kopf", "kubernetes", "aiohttp", "prometheus-client"} & core.required.keys()
    assert {"aiohttp", "prometheus-client"} <= core.extras["kube"].keys()
    assert EVERYONE["training-operator"].required["training-operator-core"] == {"kube"}


def write_package(root: Path, pyproject: str, sources: dict[str, str]) -> Distribution:
    (root / "pyproject.toml").write_text(pyproject)
    for relative, text in sources.items():
        path = root / "src" / NAMESPACE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return load(root)


def test_the_check_finds_undeclared_unused_and_unguarded_imports(tmp_path):
    dist = write_package(
        tmp_path,
        '[project]\nname = "training-operator-demo"\ndependencies = ["pyyaml", "kopf"]\n'
        '[project.optional-dependencies]\nkube = ["aiohttp"]\n'
        '[tool.training-operator.extra-modules]\nkube = ["training_operator.demo.kube"]\n',
        {
            "demo/pure.py": "import yaml\nimport pydantic\nfrom training_operator.demo.kube import client\n",
            "demo/lazy.py": "def f():\n    try:\n        import aiohttp\n"
            "    except ImportError:\n        pass\n",
            "demo/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import kubernetes\n",
            "demo/kube/client.py": "import aiohttp\nfrom training_operator.core.kube import writer\n",
        },
    )
    everyone = {**EVERYONE, dist.name: dist}

    found = problems(dist, everyone)

    assert sorted(found) == sorted(
        [
            "src/training_operator/demo/pure.py:2: training-operator-demo imports pydantic (pydantic), "
            "missing from its dependencies",
            "src/training_operator/demo/pure.py:3: training_operator.demo.kube.client needs the [kube] "
            "extra; import it inside the code that needs it, guarded, or list this module under the extra",
            "src/training_operator/demo/kube/client.py:2: training-operator-demo imports "
            "training_operator.core.kube.writer but does not declare training-operator-core",
            "training-operator-demo: kopf is declared in its dependencies but nothing there imports it",
        ]
    ), found
