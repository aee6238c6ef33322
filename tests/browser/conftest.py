"""Browser-test plumbing: every page a test opened is screenshotted into test-artifacts/ when the test fails, while
the page (and any portal the test started through ``start_portal``) is still alive; contexts a test leaves open
are closed afterwards."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.conftest import ARTIFACTS, running_portal

FAILED_SCREENSHOTS = "failure_screenshots"
_CONTEXTS = pytest.StashKey[Callable[[], list]]()  # the contexts a browser test opened


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:120]


@pytest.fixture(autouse=True)
def _browser_pages(request: pytest.FixtureRequest) -> Iterator[None]:
    """Remembers the browser contexts a test opens (however it opens them), for the failure screenshot, and closes
    the ones it left open. Tests leave their contexts to this fixture rather than closing them in ``finally``: a
    context closed by the test would be gone before the failure hook could look at it."""
    if "browser" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    before = set(browser.contexts)
    request.node.stash[_CONTEXTS] = lambda: [c for c in browser.contexts if c not in before]
    yield
    for context in request.node.stash[_CONTEXTS]():
        try:
            context.close()
        except Exception:
            pass



def _screenshot_open_pages(item: pytest.Item) -> list[str]:
    contexts = item.stash.get(_CONTEXTS, None)
    if contexts is None:
        return []
    ARTIFACTS.mkdir(exist_ok=True)
    stem = "failed-" + _safe(item.nodeid.split("::", 1)[-1])
    pages = [page for context in contexts() for page in context.pages]
    saved = []
    for n, page in enumerate(pages):
        path = ARTIFACTS / (f"{stem}.png" if len(pages) == 1 else f"{stem}-{n + 1}.png")
        try:
            page.screenshot(path=str(path), full_page=True, timeout=15_000)
            saved.append(f"{path} ({page.url})")
        except Exception as exc:
            saved.append(f"{path}: no screenshot ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})")
    return saved


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On a failed test call, before any fixture teardown: screenshot every page of every context it opened."""
    report = yield
    if report.when == "call" and report.failed:
        saved = _screenshot_open_pages(item)
        if saved:
            report.sections.append(("screenshots on failure", "\n".join(saved)))
            report.user_properties.append((FAILED_SCREENSHOTS, saved))
    return report


@pytest.fixture
def start_portal() -> Iterator[Callable[..., dict]]:
    """``start_portal(work, seeded_sqlite, **options)``: :func:`tests.conftest.running_portal`, stopped after the
    test's failure screenshot (a portal started in a ``with`` block inside the test would already be gone)."""
    with ExitStack() as stack:
        yield lambda *args, **kwargs: stack.enter_context(running_portal(*args, **kwargs))
