"""No code reaches into another package's private names (issue 13: public seams only).

Every ``.py`` under the project's packages, ``tests/``, ``bench/`` and ``infra/`` is parsed. A ``_``-prefixed name
(dunders aside) may be used only inside the top-level package that defines it; tests may use none of any project
package, since they exercise the packages through their public API. Flagged: ``from pkg.mod import _name``,
``alias._name`` where the alias was imported from another package (also along a dotted chain, ``pkg.mod._name``),
``setattr``/``getattr``/``monkeypatch.setattr``-style calls that name a private attribute of such an alias,
dotted strings such as ``"pkg.mod._name"`` (``monkeypatch.setattr``'s target form), and in the tests any private
attribute reached other than through ``self`` or ``cls`` (``store._client``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
# The importable project packages (pyproject's packages.find, plus the folders that are not shipped but import them).
PACKAGES = frozenset(
    {
        "bench",
        "clickstream",
        "dashboard",
        "infra",
        "ingest_lambda",
        "loader_lambda",
        "local_only",
        "owner_report",
        "raw_store",
        "shiny",
        "shop_extract",
        "transform_runner",
        "warehouse",
    }
)
SCANNED = (*sorted(PACKAGES), "tests")
SKIPPED_PARTS = frozenset({".venv", "node_modules", "target", "dbt_packages", "__pycache__"})


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dotted_private(text: str, own: str) -> str | None:
    """The private part of a dotted ``pkg.mod._name`` string naming another package, if it is one."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+", text):
        return None
    parts = text.split(".")
    if parts[0] not in PACKAGES or parts[0] == own:
        return None
    private = [part for part in parts[1:] if _is_private(part)]
    return private[0] if private else None


def _foreign_aliases(tree: ast.Module, own: str) -> dict[str, str]:
    """Local name -> the dotted project name it was imported as, for names from packages other than ``own``."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in PACKAGES and top != own:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in PACKAGES and top != own:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _chain(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"] when it is a plain dotted name."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
        return names[::-1]
    return None


def violations_in(source: str, relative: str, own: str) -> Iterator[Violation]:
    """What ``source`` (the file ``relative``, in top-level package ``own``) touches of other packages' privates."""
    tree = ast.parse(source, filename=relative)
    aliases = _foreign_aliases(tree, own)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in PACKAGES and top != own:
                for alias in node.names:
                    if _is_private(alias.name) or any(_is_private(part) for part in node.module.split(".")):
                        yield Violation(relative, node.lineno, f"from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                private = _dotted_private(alias.name, own)
                if private:
                    yield Violation(relative, node.lineno, f"import {alias.name}")
        elif isinstance(node, ast.Attribute) and _is_private(node.attr):
            chain = _chain(node)
            if chain and chain[0] in aliases:
                yield Violation(relative, node.lineno, f"{'.'.join(chain)} ({aliases[chain[0]]})")
            elif own == "tests" and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                # An object's private attribute, from outside the object: the tests' own classes reach theirs
                # through self, and anything else is a project object's.
                yield Violation(relative, node.lineno, f"{ast.unparse(node)} (another object's private attribute)")
        elif isinstance(node, ast.Call):
            args = node.args
            if (
                len(args) >= 2
                and isinstance(args[1], ast.Constant)
                and isinstance(args[1].value, str)
                and _is_private(args[1].value)
            ):
                target = _chain(args[0])
                if target and target[0] in aliases:
                    yield Violation(relative, node.lineno, f"{'.'.join(target)}, {args[1].value!r} (by name)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            private = _dotted_private(node.value, own)
            if private:
                yield Violation(relative, node.lineno, f"{node.value!r} (a dotted string)")


def project_files() -> Iterator[tuple[Path, str]]:
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if SKIPPED_PARTS.isdisjoint(path.relative_to(ROOT).parts):
                yield path, top


def test_the_scan_covers_every_package_and_the_tests() -> None:
    scanned = {top for _, top in project_files()}
    assert scanned == {*PACKAGES, "tests"}


def test_no_code_touches_a_private_name_of_another_package() -> None:
    found = [
        str(violation)
        for path, own in project_files()
        for violation in sorted(violations_in(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix(), own))
    ]
    assert not found, "private names used across packages:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from ingest_lambda.handler import _services\n", 1),
        ("import ingest_lambda.handler as h\nh._services.cache_clear()\n", 1),
        ("import ingest_lambda.handler\ningest_lambda.handler._services()\n", 1),
        ("from ingest_lambda import handler\nsetattr(handler, '_services', None)\n", 1),
        ("x = 'ingest_lambda.handler._services'\n", 1),
        ("from ingest_lambda import handler\nhandler.__name__\nhandler.get_services()\n", 0),
        ("from raw_store.base import RawStore\n", 0),
        ("class A:\n    _x = 1\n    def f(self):\n        return self._x\n", 0),
        ("store = open_store(url)\nstore._client.meta\n", 1),
    ],
)
def test_the_check_finds_what_it_should(source: str, expected: int) -> None:
    assert len(list(violations_in(source, "tests/probe.py", "tests"))) == expected


def test_a_package_may_use_its_own_private_names() -> None:
    source = "import ingest_lambda.handler as h\nh._services()\nfrom ingest_lambda.settings import _x\n"
    assert list(violations_in(source, "ingest_lambda/probe.py", "ingest_lambda")) == []
    assert len(list(violations_in(source, "local_only/probe.py", "local_only"))) == 2
    # Outside the tests, an object's own attributes are its package's business.
    assert list(violations_in("store._client.meta\n", "raw_store/probe.py", "raw_store")) == []
