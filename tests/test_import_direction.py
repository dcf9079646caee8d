"""The packages stack one way: gateway -> schema -> cache, resolvers -> core.

Every import is read from the source with ``ast``: at the top of a module, inside a
function, under ``TYPE_CHECKING``; a lazy or type-only import is an import all the same.
A package may import its own modules and those of any package on a lower layer, never one
on its own layer or above:

- ``core`` (errors, records, the list of systems) imports nothing of ours;
- ``cache`` and ``resolvers`` are siblings that import neither each other: the cache
  wraps the resolvers' fetchers only where the gateway composes the two
  (``gateway.runtime``);
- ``schema`` defines what it needs from the process at run time (``schema.live``,
  ``schema.config``, ``schema.viewer``) and the gateway fills it in.

The simulators stand in for the upstream systems and are no part of production: the one
production module that may import them is ``gateway/cli.py``, whose demo ``serve``
command starts them in-process. ``bench/`` and ``tests/`` are outside the rule.

``python -m tests.test_import_direction`` prints the graph (package -> package: imports).
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS = {"core": 0, "cache": 1, "resolvers": 1, "schema": 2, "gateway": 3}
# Every top-level directory holding Python is ours (bench, simulators, tests too).
OURS = frozenset(path.name for path in ROOT.iterdir() if path.is_dir() and any(path.glob("*.py")))
# (file, package it may import although the layers say no) and why.
ALLOWED = {
    ("gateway/cli.py", "simulators"): "the demo `serve` runs the simulators in-process",
}


@dataclass(frozen=True, slots=True)
class Import:
    file: str  # relative to the repository, e.g. "schema/access.py"
    line: int
    module: str  # the absolute module named, e.g. "gateway.auth"

    @property
    def package(self) -> str:
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"


def imports_in(source: str, file: str) -> list[Import]:
    """Every import of ``source`` (the module at ``file``), relative ones made absolute."""
    package_parts = file.removesuffix(".py").split("/")[:-1]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source, filename=file)):
        if isinstance(node, ast.Import):
            found.extend(Import(file, node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append(Import(file, node.lineno, module))
    return sorted(found, key=lambda each: each.line)


def production_imports() -> list[Import]:
    """The imports of every module of the layered packages that name a package of ours."""
    found: list[Import] = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            file = path.relative_to(ROOT).as_posix()
            found.extend(
                each for each in imports_in(path.read_text(), file) if each.package in OURS
            )
    return found


def offence(each: Import) -> str | None:
    """Why this import breaks the layering; None if it does not."""
    importer = each.file.split("/")[0]
    imported = each.package
    if imported == importer or (each.file, imported) in ALLOWED:
        return None
    if imported not in LAYERS:
        return f"{each}: {imported} is no part of production"
    if LAYERS[imported] >= LAYERS[importer]:
        below = sorted(name for name, layer in LAYERS.items() if layer < LAYERS[importer])
        return f"{each}: {importer} may import only {below or 'nothing of ours'}"
    return None


def import_graph() -> Counter[tuple[str, str]]:
    """Package -> package: how many import statements (names) cross between them."""
    return Counter(
        (each.file.split("/")[0], each.package)
        for each in production_imports()
        if each.package != each.file.split("/")[0]
    )


def test_no_package_imports_one_on_its_own_layer_or_above():
    offences = [why for each in production_imports() if (why := offence(each))]

    assert offences == [], "imports against the layers:\n" + "\n".join(offences)


def test_every_allowed_exception_is_still_used():
    used = {(each.file, each.package) for each in production_imports()}

    assert set(ALLOWED) <= used, f"no longer needed, remove: {set(ALLOWED) - used}"


def test_the_reader_sees_lazy_type_only_and_relative_imports():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from gateway.settings import Settings\n"
        "def later():\n"
        "    import gateway.auth as auth\n"
        "from . import keys\n"
        "from ..core.errors import NotFoundError\n"
    )

    modules = [each.module for each in imports_in(source, "cache/entry.py")]

    assert modules == ["typing", "gateway.settings", "gateway.auth", "cache", "core.errors"]


def test_a_lower_layer_importing_a_higher_one_is_named_with_its_file_and_line():
    [schema_up, core_sideways, cache_sideways, simulators] = [
        Import("schema/access.py", 29, "gateway.auth"),
        Import("core/errors.py", 3, "cache.codec"),
        Import("cache/entry.py", 5, "resolvers.fetchers"),
        Import("gateway/app.py", 7, "simulators.runner"),
    ]

    assert offence(schema_up) == (
        "schema/access.py:29 imports gateway.auth: schema may import only "
        "['cache', 'core', 'resolvers']"
    )
    assert offence(core_sideways) == (
        "core/errors.py:3 imports cache.codec: core may import only nothing of ours"
    )
    assert offence(cache_sideways) is not None
    assert offence(simulators) == (
        "gateway/app.py:7 imports simulators.runner: simulators is no part of production"
    )
    assert offence(Import("gateway/cli.py", 74, "simulators.runner")) is None
    assert offence(Import("schema/query.py", 1, "resolvers.loaders")) is None


if __name__ == "__main__":
    for (importer, imported), count in sorted(import_graph().items()):
        print(f"{importer} -> {imported}: {count}")
