"""Credential engine of the Seneca Mosaics portal: issue, bake and verify Open Badges 3.0 / W3C VCs.

Importing this package is cheap: names are resolved lazily from their modules on first use. The verifier
lives in the ``verifier`` package (one module per suite of checks); ``verify`` here is its main function.

Main entry points
-----------------
``verify(data, ctx=VerifyContext(...)) -> VerificationResult`` and ``verify_many(items, ctx)``;
``build_credential(...)`` / ``sign_credential(...)``; ``bake`` / ``unbake``; ``TrustRegistry``; fetchers
(``OfflineFetcher``, ``HttpsFetcher``, ``DictFetcher``, ``ChainFetcher``); status lists (``StatusBits``,
``build_status_list_credential``, ``status_entry``); ``identity_hash`` / ``recipient_matches``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # verify
    "verify": "verifier", "verify_many": "verifier", "VerifyContext": "verifier",
    "VerificationResult": "verifier", "CheckResult": "verifier", "VerifyCache": "verifier", "KeyResolver": "verifier",
    "CHECKS": "verifier", "ADVISORY_CHECKS": "verifier", "parse_datetime": "verifier", "summarize": "verifier",
    "to_wire": "verifier",
    # inputs
    "Limits": "inputs", "InputError": "inputs", "detect_kind": "inputs",
    # build / identity
    "build_credential": "build", "sign_credential": "build", "identity_hash": "identity",
    "recipient_matches": "identity",
    # status
    "StatusBits": "status", "StatusError": "status", "build_status_list_credential": "status",
    "status_entry": "status",
    # bake
    "bake": "bake", "unbake": "bake", "bake_png": "bake", "unbake_png": "bake", "bake_svg": "bake",
    "unbake_svg": "bake", "BakeError": "bake",
    # fetch / trust
    "Fetcher": "fetcher", "FetchError": "fetcher", "OfflineFetcher": "fetcher", "HttpsFetcher": "fetcher",
    "DictFetcher": "fetcher", "ChainFetcher": "fetcher", "CachingFetcher": "fetcher",
    "TrustRegistry": "trust",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
