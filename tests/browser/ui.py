"""Helpers for browser tests of a Streamlit page: waits on visible states (never on time), choosing options."""

from __future__ import annotations

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def wait_idle(page, timeout: int = 30_000) -> None:
    """Until the page's script run has finished (Streamlit marks its root ``data-test-script-state``).

    Only meaningful once the run in question is known to have started (its first element is visible, or the page
    was just opened: a fresh page is ``initial`` until its first run): right after a click the previous run's
    ``notRunning`` may still be showing.
    """
    page.locator(IDLE).wait_for(state="attached", timeout=timeout)


def wait_image_loaded(image, timeout: int = 15_000) -> None:
    """Until ``image`` (a locator of an ``<img>``) is visible and its picture has been decoded."""
    image.wait_for(state="visible", timeout=timeout)
    image.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(),
                                 timeout=timeout)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box or multiselect labelled ``label``.

    Typed into the box itself (``press_sequentially`` focuses it first, and typing opens and filters the list) rather
    than keystrokes sent to whatever has the focus after a click: an open list can close again when a rerun redraws
    the widget, and keystrokes after that go nowhere.
    """
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.press_sequentially(option)
    page.get_by_role("option", name=option, exact=True).click()
