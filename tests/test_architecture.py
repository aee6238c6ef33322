"""The layers stay as drawn (issue 13), checked on the source with ``ast``:

* **Pages are thin.** A module in ``pages/`` renders and calls services: it imports nothing from
  ``mosaics_match.store``, the engines (``mosaics_match.credentials``, ``mosaics_match.matching``) or
  ``sqlalchemy``; from ``mosaics_match`` only the service, input, export and small shared modules; it opens no
  database session (no ``.Session``); and it imports no other page, only the helper modules of ``pages/`` (the
  files the registry in ``pages/common.py`` does not route: ``common``, ``access``, ``verification_view``,
  ``streamlit_compat``).
* **The engines are pure.** ``mosaics_match/credentials`` and ``mosaics_match/matching`` import neither Streamlit
  nor SQLAlchemy nor the portal's services, store, web layer or pages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pages import common
from tests.conftest import REPO

PAGES_DIR = REPO / "pages"
#: Pages not thin yet, skipped by the rule until they leave this list (each with the reason). Empty: every page
#: is thin (pages/my_credentials.py left it when the external-issuers work made it thin, de59ad4).
KNOWN_EXCEPTIONS: frozenset[str] = frozenset()

FORBIDDEN_IN_PAGES = ("mosaics_match.store", "mosaics_match.credentials", "mosaics_match.matching", "sqlalchemy")
#: What a page may import from mosaics_match (a module or any module under it).
ALLOWED_FOR_PAGES = ("mosaics_match.services", "mosaics_match.inputs", "mosaics_match.exports",
                     "mosaics_match.roles", "mosaics_match.limits", "mosaics_match.links", "mosaics_match.verdicts",
                     "mosaics_match.settings",
                     "mosaics_match.runtime", "mosaics_match.web.ratelimit")
FORBIDDEN_IN_ENGINES = ("streamlit", "sqlalchemy", "mosaics_match.services", "mosaics_match.store",
                        "mosaics_match.web", "pages", "portal")
ENGINES = ("mosaics_match/credentials", "mosaics_match/matching")


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """Every module ``path`` imports, anywhere in the file (functions too), as absolute dotted names.

    ``from package import name`` yields ``package.name`` as well as ``package`` (the name may be a module).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = module or _module_name(path)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _page_files() -> list[Path]:
    return sorted(p for p in PAGES_DIR.glob("*.py") if p.name != "__init__.py")


def _routed() -> set[str]:
    return {spec.path for spec in common.PAGES}


def _helpers() -> set[str]:
    """Modules of ``pages/`` that are not pages: the registry does not route them."""
    return {f"pages.{p.stem}" for p in _page_files() if f"pages/{p.name}" not in _routed()}


def page_violations(path: Path) -> list[str]:
    """What in one module of ``pages/`` breaks the thin-page rule (empty: none)."""
    problems = []
    helpers = _helpers()
    for line, name in imports_of(path, f"pages.{path.stem}"):
        where = f"pages/{path.name}:{line}"
        if _under(name, FORBIDDEN_IN_PAGES):
            problems.append(f"{where} imports {name}")
        elif name.startswith("mosaics_match.") and not _under(name, ALLOWED_FOR_PAGES):
            problems.append(f"{where} imports {name} (pages call services, inputs and exports)")
        elif name.startswith("pages.") and name.count(".") == 1 and name not in helpers:
            problems.append(f"{where} imports the page {name} (shared code belongs in a helper module)")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "Session":
            problems.append(f"pages/{path.name}:{node.lineno} opens a database session (a service does that)")
    return problems


@pytest.mark.parametrize("path", _page_files(), ids=lambda p: p.name)
def test_pages_only_render_and_call_services(path: Path) -> None:
    rel = f"pages/{path.name}"
    if rel in KNOWN_EXCEPTIONS:
        pytest.skip(f"{rel}: owned by the external-issuers work, in progress")
    assert page_violations(path) == []


def test_the_known_exceptions_are_pages() -> None:
    assert KNOWN_EXCEPTIONS <= _routed()


def test_the_helpers_of_pages_are_not_routed() -> None:
    assert {"pages.common", "pages.access", "pages.verification_view", "pages.streamlit_compat"} <= _helpers()


def test_the_rule_catches_what_it_is_for(tmp_path: Path) -> None:
    page = tmp_path / "probe.py"
    page.write_text(
        "from sqlalchemy import select\nfrom mosaics_match.store import repo\nimport mosaics_match.matching\n"
        "from mosaics_match.web import api\nfrom pages import verify, common\n\n"
        "def f(rt):\n    with rt.Session() as s:\n        from mosaics_match.credentials.inputs import detect_kind\n",
        encoding="utf-8")
    found = "\n".join(page_violations(page))
    for expected in ("imports sqlalchemy", "imports mosaics_match.store", "imports mosaics_match.matching",
                     "imports mosaics_match.web.api", "imports the page pages.verify", "opens a database session",
                     "imports mosaics_match.credentials.inputs"):
        assert expected in found, found
    assert "pages.common" not in found


def _engine_files() -> list[Path]:
    return sorted(p for engine in ENGINES for p in (REPO / engine).rglob("*.py"))


def test_the_engines_are_pure() -> None:
    problems = [f"{path.relative_to(REPO)}:{line} imports {name}"
                for path in _engine_files() for line, name in imports_of(path)
                if _under(name, FORBIDDEN_IN_ENGINES)]
    assert _engine_files() and problems == []
