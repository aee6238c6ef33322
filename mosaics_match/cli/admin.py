"""Database-backed commands: schema upgrades, demo data, issuing and status changes."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database schema: `db upgrade` brings it to the newest revision")
    p.add_argument("action", choices=["upgrade", "current"])
    p.set_defaults(func=_db)

    p = sub.add_parser("audit", help="audit log: `audit verify` checks every event's seal and their order; "
                                     "`audit rollup` applies the retention policy")
    p.add_argument("action", choices=["verify", "rollup"])
    p.add_argument("--keep-days", type=int, default=None,
                   help="rollup: days anonymous verification events are kept one by one (default 30)")
    p.set_defaults(func=_audit)

    p = sub.add_parser("demo", help="seed the demo catalogue, postings, earners and accounts (idempotent)")
    p.add_argument("--earners", type=int, default=None, help="number of synthetic earners (default: settings)")
    p.set_defaults(func=_demo)

    p = sub.add_parser("issue", help="issue and sign a credential to an earner")
    p.add_argument("--email", required=True, help="earner's email (created if new, with --name)")
    p.add_argument("--name", help="earner's name when the earner is new")
    p.add_argument("--achievement", required=True, help="catalogue slug of the micro-credential")
    p.add_argument("--format", default="eddsa-rdfc-2022", choices=["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt"])
    p.add_argument("--valid-until", help="ISO-8601 date or datetime (default: no expiry)")
    p.add_argument("--out", help="write the signed credential here (default: stdout)")
    p.set_defaults(func=_issue)

    for action in ("revoke", "suspend", "reinstate"):
        p = sub.add_parser(action, help=f"{action} a credential issued here")
        p.add_argument("credential_id", help="urn:uuid:… id of the credential")
        p.add_argument("--reason", default="", help="why (required for revoke and suspend)")
        p.set_defaults(func=_status, action=action)


def _runtime():
    """The runtime of the configured database, brought to the newest schema.

    Raises
    ------
    SettingsError
        A setting is malformed, or the database cannot be opened (the message names DATABASE_URL, never its
        password).
    """
    from mosaics_match.runtime import open_runtime_or_explain
    from mosaics_match.settings import load_settings

    return open_runtime_or_explain(load_settings())


def _db(args: argparse.Namespace) -> int:
    from mosaics_match.store import db

    rt = _runtime()  # upgrades on open
    print(f"database at revision {db.current_revision(rt.engine)}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    """``audit verify``: exit 0 when the chain is intact, 1 when it is broken (first bad event named), 2 when it
    cannot be checked (no key secret)."""
    from mosaics_match.store import audit_chain, repo

    if args.action == "rollup":
        return _audit_rollup(args)
    rt = _runtime()
    if not rt.settings.key_secret:
        print("error: set MOSAICS_KEY_SECRET: the audit log's seals are checked with it", file=sys.stderr)
        return 2
    with rt.Session() as session:
        report = audit_chain.verify_chain(session, key=audit_chain.chain_key(rt.settings.key_secret))
    print(report.summary())
    if report.ok and report.head:
        print(f"chain head: {report.head} (keep a copy elsewhere to detect a later rollback)")
    try:
        with rt.Session.begin() as session:
            repo.record_audit(session, actor="cli", actor_role="system", action="audit_verify",
                              outcome="intact" if report.ok else "broken",
                              details={"sealed": report.sealed, "unsealed": report.unsealed,
                                       "first_bad_id": report.first_bad_id})
    except audit_chain.AuditChainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


def _audit_rollup(args: argparse.Namespace) -> int:
    """``audit rollup``: the retention policy (:mod:`mosaics_match.store.audit_retention`); exit 0 when done
    (also when there was nothing to do), 1 when the chain is broken, 2 on a usage error."""
    from mosaics_match.store import audit_chain, audit_retention

    keep = audit_retention.KEEP_DAYS if args.keep_days is None else args.keep_days
    if keep < 0:
        print("error: --keep-days must be 0 or more (days anonymous verifications are kept one by one)",
              file=sys.stderr)
        return 2
    rt = _runtime()
    if not rt.settings.key_secret:
        print("error: set MOSAICS_KEY_SECRET: the audit log's seals are checked and written with it", file=sys.stderr)
        return 2
    try:
        report = audit_retention.rollup(rt.Session, key=audit_chain.chain_key(rt.settings.key_secret), keep_days=keep)
    except audit_chain.AuditChainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mosaics_match.services import demo

    rt = _runtime()
    if not (rt.settings.session_secret and rt.settings.key_secret):
        print("error: demo data needs MOSAICS_SESSION_SECRET and MOSAICS_KEY_SECRET (demo passwords and signing keys "
              "come from them); set both, or MOSAICS_DEMO=1 to generate them in data/local/", file=sys.stderr)
        return 2
    last = [-1]

    def progress(done: float, message: str) -> None:
        pct = int(done * 100)
        if pct != last[0]:
            last[0] = pct
            print(f"\r[{pct:3d}%] {message:<60}", end="", file=sys.stderr, flush=True)

    report = demo.seed(rt, earners=args.earners, progress=progress)
    print(file=sys.stderr)
    print(report.summary() if report.changed else "demo data already present: nothing changed")
    return 0


def _parse_when(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _issue(args: argparse.Namespace) -> int:
    from mosaics_match.services import issuing
    from mosaics_match.store import repo

    rt = _runtime()
    try:
        valid_until = _parse_when(args.valid_until)
    except ValueError:
        print(f"error: --valid-until {args.valid_until!r} is not an ISO-8601 date", file=sys.stderr)
        return 2
    try:
        with rt.Session.begin() as session:
            achievement = repo.get_achievement(session, slug=args.achievement)
            if achievement is None:
                print(f"error: no micro-credential with slug {args.achievement!r}", file=sys.stderr)
                return 2
            earner = repo.get_earner_by_email(session, email=args.email)
            if earner is None:
                if not args.name:
                    print("error: new earner: give --name", file=sys.stderr)
                    return 2
                earner = repo.create_earner(session, email=args.email, name=args.name)
            signer = issuing.open_signer(session, settings=rt.settings)
            receipt = issuing.issue_credential(session, signer=signer, earner=earner, achievement=achievement,
                                               actor="cli", valid_until=valid_until, fmt=args.format)
    except issuing.IssuingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = receipt.document if isinstance(receipt.document, str) else json.dumps(receipt.document, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text)
    print(f"issued {receipt.credential.credential_id}; claim code {receipt.claim_code}", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    from mosaics_match.services import issuing
    from mosaics_match.store import repo

    rt = _runtime()
    try:
        with rt.Session.begin() as session:
            credential = repo.get_credential(session, credential_id=args.credential_id)
            if credential is None:
                print(f"error: no credential {args.credential_id!r} was issued here", file=sys.stderr)
                return 2
            signer = issuing.open_signer(session, settings=rt.settings)
            issuing.change_status(session, signer=signer, credential=credential, action=args.action,
                                  reason=args.reason, actor="cli")
    except issuing.IssuingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.action}: {args.credential_id}")
    return 0
