"""Credential commands for ``python -m mosaics_match``: ``verify``, ``bake``, ``unbake`` and ``keys``.

Run standalone as ``python -m mosaics_match.credentials.cli <command> ...`` as well.

Exit codes: 0 when every input verified as valid (or the command succeeded), 1 when any input is not valid or
a command failed on its input, 2 on a usage error (bad option, unreadable trust or documents file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "main", "build_parser"]

_MARKS = {"success": "[ok]  ", "failure": "[FAIL]", "indeterminate": "[??]  ", "skipped": "[--]  "}


class UsageError(Exception):
    """A command-line usage problem (exit status 2)."""


def add_commands(subparsers: Any) -> None:
    """Register ``verify``, ``bake``, ``unbake`` and ``keys`` on an argparse sub-parser collection."""
    p = subparsers.add_parser("verify", help="verify credentials (JSON, JWT, baked PNG/SVG)",
                              description="Verify Open Badges 3.0 / W3C verifiable credentials.")
    p.add_argument("files", nargs="+", metavar="FILE", help="credential files ('-' reads standard input)")
    p.add_argument("--trust", metavar="FILE", help='trusted issuers: {"issuers": [{"id": ..., "name": ...}]}')
    p.add_argument("--documents", metavar="FILE",
                   help="JSON mapping URL -> local file (relative to this file): the only documents the verifier "
                        "may fetch (implies --offline)")
    p.add_argument("--at", metavar="ISO-8601", help="verify as of this time (default: now)")
    p.add_argument("--email", metavar="ADDRESS", help="check that the credential was issued to this address")
    p.add_argument("--json", action="store_true", help="one JSON object per input per line")
    p.add_argument("--offline", action="store_true", help="never use the network (only --documents)")
    p.set_defaults(func=cmd_verify)

    p = subparsers.add_parser("bake", help="bake a credential into a PNG or SVG badge image")
    p.add_argument("image", help="PNG or SVG image")
    p.add_argument("credential", help="credential JSON or compact JWS file")
    p.add_argument("-o", "--output", required=True, help="where to write the baked image")
    p.set_defaults(func=cmd_bake)

    p = subparsers.add_parser("unbake", help="print the credential baked into a PNG or SVG badge")
    p.add_argument("image", help="PNG or SVG image")
    p.add_argument("-o", "--output", help="write the credential here instead of standard output")
    p.set_defaults(func=cmd_unbake)

    p = subparsers.add_parser("keys", help="generate an Ed25519 signing key; print its did:key and fingerprint")
    p.add_argument("action", choices=["generate"], help="what to do")
    p.add_argument("--out", metavar="FILE", help="write the private key (PKCS#8 PEM) to FILE")
    p.add_argument("--passphrase-env", metavar="VAR",
                   help="encrypt the written key with the passphrase in this environment variable")
    p.add_argument("--unencrypted", action="store_true",
                   help="allow writing the private key without encryption (not recommended)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_keys)


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def _context(args: argparse.Namespace) -> Any:
    from .fetcher import CachingFetcher, ChainFetcher, Fetcher, FetchError, HttpsFetcher, OfflineFetcher
    from .trust import TrustRegistry
    from .verifier import VerifyContext, parse_datetime

    trust = None
    if args.trust:
        try:
            trust = TrustRegistry.load(args.trust)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read trust file {args.trust}: {exc}") from None
    fetchers: list[Fetcher] = []
    if args.documents:
        try:
            fetchers.append(OfflineFetcher.from_documents_file(args.documents))
        except FetchError as exc:
            raise UsageError(f"cannot read documents file: {exc.reason}") from None
    # A documents map is the complete list of what the verifier may "fetch": scripted and offline runs must not
    # reach the network behind its back.
    if not args.offline and not args.documents:
        fetchers.append(HttpsFetcher())
    fetcher = CachingFetcher(ChainFetcher(*fetchers)) if fetchers else None
    if args.at:
        try:
            at = parse_datetime(args.at)
        except ValueError:
            raise UsageError(f"--at {args.at!r} is not an ISO-8601 date-time") from None
        assert at is not None
        clock = lambda: at  # noqa: E731 - fixed clock
    else:
        clock = lambda: datetime.now(UTC)  # noqa: E731
    return VerifyContext(clock=clock, fetcher=fetcher, trust=trust, email=args.email)


def cmd_verify(args: argparse.Namespace) -> int:
    """``verify FILE...``: print a verdict per file; exit 0 only when all are valid."""
    from .verifier import to_wire, verify

    try:
        ctx = _context(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    all_valid = True
    for name in args.files:
        try:
            data = _read_input(name)
        except OSError as exc:
            all_valid = False
            _emit_unreadable(args, name, exc)
            continue
        result = verify(data, ctx=ctx)
        all_valid &= result.verdict == "valid"
        if args.json:
            print(json.dumps(to_wire(result, name=name), ensure_ascii=False), flush=True)
        else:
            _print_human(name, result)
    return 0 if all_valid else 1


def _emit_unreadable(args: argparse.Namespace, name: str, exc: OSError) -> None:
    reason = f"Cannot read the file: {exc.strerror or exc.__class__.__name__}."
    if args.json:
        print(json.dumps({"file": name, "verdict": "invalid", "reason": reason, "issuer_trusted": False,
                          "recipient_match": None, "checks": [
                              {"id": "input.format", "status": "failure", "message": reason}]}), flush=True)
    else:
        print(f"{name}: INVALID - {reason}")


def _print_human(name: str, result: Any) -> None:
    summary = result.summary
    title = (summary.get("achievement") or {}).get("name") or summary.get("name") or "credential"
    issuer = summary.get("issuer") or {}
    print(f"{name}: {result.verdict.upper()} - {title}" + (f" from {issuer.get('name') or issuer.get('id')}"
                                                            if issuer.get("id") else ""))
    if result.verdict != "valid":
        print(f"  reason: {result.reason}")
    for c in result.checks:
        if c.status == "skipped":
            continue
        print(f"  {_MARKS[c.status]} {c.id:<20} {c.message}")


def cmd_bake(args: argparse.Namespace) -> int:
    """``bake IMAGE CREDENTIAL -o OUT``."""
    from .bake import BakeError, bake
    from .inputs import detect_kind, jws_text

    try:
        image = Path(args.image).read_bytes()
        raw = Path(args.credential).read_bytes()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    kind = detect_kind(raw)
    if kind == "json":
        try:
            credential: Any = json.loads(raw.decode("utf-8-sig"))
        except ValueError as exc:
            print(f"error: the credential is not valid JSON ({exc})", file=sys.stderr)
            return 1
        if not isinstance(credential, dict):
            print("error: the credential JSON must be an object", file=sys.stderr)
            return 1
    elif kind == "jws":
        credential = jws_text(raw)
    else:
        print("error: the credential must be JSON or a compact JWS", file=sys.stderr)
        return 1
    try:
        baked = bake(image, credential)
    except BakeError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(baked)
    print(f"baked into {args.output}")
    return 0


def cmd_unbake(args: argparse.Namespace) -> int:
    """``unbake IMAGE [-o OUT]``."""
    from .bake import BakeError, unbake

    try:
        text = unbake(Path(args.image).read_bytes())
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BakeError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """``keys generate``: print the did:key; write the private key only when asked (encrypted by default)."""
    from cryptography.hazmat.primitives import serialization

    from . import keys

    if args.out and not args.passphrase_env and not args.unencrypted:
        print("error: --out needs --passphrase-env VAR (or the explicit --unencrypted flag)", file=sys.stderr)
        return 2
    if args.passphrase_env and not args.out:
        print("error: --passphrase-env only makes sense with --out", file=sys.stderr)
        return 2
    passphrase = None
    if args.passphrase_env:
        passphrase = os.environ.get(args.passphrase_env)
        if not passphrase:
            print(f"error: environment variable {args.passphrase_env} is empty or not set", file=sys.stderr)
            return 2
    private = keys.generate_ed25519()
    public = keys.public_key_of(private)
    did = keys.did_key_for(public)
    info: dict[str, object] = {"did": did, "verification_method": keys.did_key_verification_method(did),
            "public_key_multibase": public.multikey(), "fingerprint": public.fingerprint()}
    if args.out:
        out = Path(args.out)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase
            else serialization.NoEncryption())
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            print(f"error: {out} exists; refusing to overwrite a key", file=sys.stderr)
            return 1
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        info["private_key_file"] = str(out)
        info["encrypted"] = bool(passphrase)
    if args.json:
        print(json.dumps(info))
    else:
        for k, v in info.items():
            print(f"{k}: {v}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Stand-alone parser (``python -m mosaics_match.credentials.cli``)."""
    parser = argparse.ArgumentParser(prog="python -m mosaics_match.credentials.cli",
                                     description="Credential tools: verify, bake, unbake, keys.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; returns the exit status."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
