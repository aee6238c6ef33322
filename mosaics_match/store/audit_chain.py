"""The audit log as a sealed chain: a changed, removed or slipped-in event is found, with the first bad row.

Database triggers refuse ``UPDATE`` and ``DELETE`` on ``audit_event``, but whoever can write to the database can
drop a trigger, and an ``INSERT`` is always allowed. So every event also carries

* ``prev_hash``: the seal of the event before it (:data:`GENESIS` for the first sealed event), and
* ``hash``: HMAC-SHA256 over ``prev_hash`` and the event's content, keyed with a key derived from
  ``MOSAICS_KEY_SECRET``, which never enters the database.

Without the key nobody can produce a seal that checks out, so editing an event, deleting one (its successor no
longer follows its predecessor) or inserting one afterwards (back-dated or not) breaks the chain at that row.
The newest events are covered by the chain head (``app_state['audit_chain_head']``: number of sealed events,
the last seal, and an HMAC over both), so cutting off the end of the log is found too. A copy of an *old* head
replayed together with the matching deletions cannot be told from the truth by the database alone: keep the head
that ``python -m mosaics_match audit verify`` prints somewhere else if that matters.

Events are sealed in a ``before_flush`` hook of the portal's sessions (:func:`install`), while the head row is
locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers already hold the database lock from ``BEGIN
IMMEDIATE``), and a unique index on ``prev_hash`` refuses a second event after the same predecessor: concurrent
writers queue, they cannot fork the chain. Events written before the chain existed (the migration that added it
seals nothing retroactively) are reported as unsealed, and are accepted only before the first sealed event.

Retention (:mod:`mosaics_match.store.audit_retention`) removes old anonymous verification events and leaves one
sealed roll-up event per day in their place. Each roll-up lists, for every run of consecutive removed events, a
*bridge*: the seal the run followed and the seal of its last event, with how many events it held. The walk below
accepts a gap in the chain only where sealed bridges join its two ends exactly, and counts the bridged events
towards the head's total: removing anything else, or more, or editing a roll-up, still breaks the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.store.models import AppState, AuditEvent, utcnow

__all__ = ["GENESIS", "HEAD_KEY", "ROLLUP_ACTION", "AuditChainError", "ChainReport", "chain_key", "install", "seal",
           "verify_chain"]

GENESIS = "0" * 64
HEAD_KEY = "audit_chain_head"
_VERSION = 1
_KEY_LABEL = b"seneca-mosaics audit chain v1"
#: Action of the events that stand for removed ones (:mod:`mosaics_match.store.audit_retention`).
ROLLUP_ACTION = "audit_rollup"


class AuditChainError(RuntimeError):
    """The audit log cannot be written safely; the message says why in plain words."""


def chain_key(secret: str) -> bytes:
    """The sealing key for ``secret`` (``MOSAICS_KEY_SECRET``); kept apart from the key-encryption use."""
    return hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def _content(at: datetime | None, actor: str | None, actor_role: str | None, action: str | None,
             subject: str | None, outcome: str | None, details: Any) -> bytes:
    when = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if at is not None else None
    # Through JSON and back: what the JSON column stores is what is read back and checked later.
    stored = json.loads(json.dumps(details if details is not None else {}))
    body = [_VERSION, when, actor, actor_role, action, subject, outcome, stored]
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(key: bytes, prev_hash: str, *, at: datetime | None, actor: str | None, actor_role: str | None,
         action: str | None, subject: str | None, outcome: str | None, details: Any) -> str:
    """The seal of one event after ``prev_hash`` (hex HMAC-SHA256).

    Parameters
    ----------
    key : bytes
        From :func:`chain_key`.
    prev_hash : str
        The previous event's seal, or :data:`GENESIS`.
    at, actor, actor_role, action, subject, outcome, details
        The event's stored content.
    """
    message = prev_hash.encode("ascii") + b"\n" + _content(at, actor, actor_role, action, subject, outcome, details)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _head_mac(key: bytes, count: int, last: str) -> str:
    return hmac.new(key, f"head\n{count}\n{last}".encode("ascii"), hashlib.sha256).hexdigest()


def _parse_head(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        head = json.loads(value)
        return {"n": int(head["n"]), "hash": str(head["hash"]), "mac": str(head["mac"])}
    except (ValueError, KeyError, TypeError):
        return {"n": -1, "hash": "", "mac": ""}


def _seal_pending(session: Session, _flush_context: Any, _instances: Any) -> None:
    pending = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not pending:
        return
    key = session.info.get("audit_key")
    if key is None:
        raise AuditChainError("The audit log cannot be written: no key secret is configured (MOSAICS_KEY_SECRET), "
                              "and every audit event is sealed with it.")
    pending.sort(key=lambda obj: inspect(obj).insert_order)
    conn = session.connection()
    row = conn.execute(select(AppState.value).where(AppState.key == HEAD_KEY).with_for_update()).first()
    if row is None:
        if conn.execute(select(AuditEvent.id).where(AuditEvent.hash.is_not(None)).limit(1)).first() is not None:
            raise AuditChainError("The audit log's chain head is missing, so new events cannot be sealed. Run "
                                  "`python -m mosaics_match audit verify` and investigate.")
        conn.execute(insert(AppState).values(key=HEAD_KEY, value=""))
        head = None
    else:
        head = _parse_head(row.value)
    if head is None:
        count, prev = 0, GENESIS
    elif hmac.compare_digest(head["mac"], _head_mac(key, head["n"], head["hash"])):
        count, prev = head["n"], head["hash"]
    else:
        raise AuditChainError("The audit log's chain head was altered outside the portal, so new events cannot be "
                              "sealed. Run `python -m mosaics_match audit verify` and investigate.")
    for obj in pending:
        if obj.at is None:
            obj.at = utcnow()
        obj.prev_hash = prev
        obj.hash = seal(key, prev, at=obj.at, actor=obj.actor, actor_role=obj.actor_role, action=obj.action,
                        subject=obj.subject, outcome=obj.outcome, details=obj.details)
        prev, count = obj.hash, count + 1
    value = json.dumps({"n": count, "hash": prev, "mac": _head_mac(key, count, prev)}, separators=(",", ":"))
    conn.execute(update(AppState).where(AppState.key == HEAD_KEY).values(value=value))


def install(factory: sessionmaker[Session], *, key: bytes | None) -> None:
    """Seal every audit event flushed by sessions of ``factory``.

    Parameters
    ----------
    factory : sessionmaker
        The portal's session factory.
    key : bytes or None
        From :func:`chain_key`; ``None`` (no key secret) makes writing an audit event fail with
        :class:`AuditChainError` rather than write an unsealed one.
    """
    factory.configure(info={"audit_key": key})
    sa_event.listen(factory, "before_flush", _seal_pending)


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found.

    Attributes
    ----------
    ok : bool
        Every sealed event checks out, in order, up to the head.
    sealed : int
        Sealed events checked.
    unsealed : int
        Events from before the chain existed (accepted only before the first sealed one).
    first_bad_id : int or None
        Id of the first event that breaks the chain.
    problem : str or None
        What is wrong, in plain words.
    head : str or None
        The last good seal (record it elsewhere to detect a later replay of an old head).
    rolled_up : int
        Events removed by retention, each run of them vouched for by a sealed roll-up event.
    """

    ok: bool
    sealed: int
    unsealed: int
    first_bad_id: int | None = None
    problem: str | None = None
    head: str | None = None
    rolled_up: int = 0

    def summary(self) -> str:
        """One line for the audit page and the CLI."""
        if self.ok:
            extra = (f"; {self.unsealed:,} older event(s) from before the chain are not sealed"
                     if self.unsealed else "")
            if self.rolled_up:
                extra += f"; {self.rolled_up:,} older event(s) were rolled up by retention, as their roll-ups record"
            return f"The audit log is intact: {self.sealed:,} sealed event(s) check out in order{extra}."
        return f"The audit log was tampered with: {self.problem}"


def verify_chain(session: Session, *, key: bytes, batch: int = 2000) -> ChainReport:
    """Walk the audit log in id order and check every seal, the links between them, and the head.

    Parameters
    ----------
    session : Session
        A read session.
    key : bytes
        From :func:`chain_key` with the portal's key secret.
    batch : int
        Rows fetched at a time.
    """
    cols = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.actor_role, AuditEvent.action,
            AuditEvent.subject, AuditEvent.outcome, AuditEvent.details, AuditEvent.prev_hash, AuditEvent.hash)
    bridges = _bridges(session)
    prev, prev_id, sealed, unsealed, rolled_up = GENESIS, None, 0, 0, 0
    last_id = None
    rows = session.execute(select(*cols).order_by(AuditEvent.id).execution_options(yield_per=batch))

    def broken(row_id: int, problem: str) -> ChainReport:
        return ChainReport(False, sealed, unsealed, first_bad_id=row_id, problem=problem, rolled_up=rolled_up)

    for row in rows:
        last_id = row.id
        if row.hash is None and row.prev_hash is None:
            if sealed:
                return broken(row.id, f"event #{row.id} carries no seal although events before it do: it was "
                                      "added or altered outside the portal.")
            unsealed += 1
            continue
        if row.prev_hash != prev:
            removed = _bridged(bridges, prev, row.prev_hash)
            if removed is None:
                where = f"event #{prev_id}" if prev_id is not None else "the start of the chain"
                return broken(row.id, f"event #{row.id} does not follow {where}: an event between them was "
                                      "deleted, or this one was inserted afterwards.")
            rolled_up += removed
            prev = row.prev_hash  # the removed run's last seal, which this event was sealed after
        expected = seal(key, prev, at=row.at, actor=row.actor, actor_role=row.actor_role, action=row.action,
                        subject=row.subject, outcome=row.outcome, details=row.details)
        if row.hash is None or not hmac.compare_digest(row.hash, expected):
            return broken(row.id, f"event #{row.id} does not match its seal: it was changed after it was written, "
                                  "or written without the portal's key.")
        prev, prev_id, sealed = row.hash, row.id, sealed + 1
    head = _parse_head(session.scalar(select(AppState.value).where(AppState.key == HEAD_KEY)))
    if head is None:
        if sealed:
            return ChainReport(False, sealed, unsealed, problem="the chain head record is missing, so events at "
                                                                 "the end of the log may have been removed.")
        return ChainReport(True, sealed, unsealed, head=None)
    if not hmac.compare_digest(head["mac"], _head_mac(key, head["n"], head["hash"])):
        return ChainReport(False, sealed, unsealed, problem="the chain head record was altered outside the portal.")
    if head["n"] != sealed + rolled_up or head["hash"] != prev:
        after = f"after event #{last_id}" if last_id is not None else "(the log is empty)"
        return ChainReport(False, sealed, unsealed, rolled_up=rolled_up,
                           problem=f"the newest events are missing: the chain head counts {head['n']:,} sealed "
                                   f"event(s), the log holds {sealed:,} and roll-ups account for {rolled_up:,}; the "
                                   f"cut is {after}.")
    return ChainReport(True, sealed, unsealed, head=prev, rolled_up=rolled_up)


def _bridges(session: Session) -> dict[str, tuple[str, int]]:
    """Every bridge the roll-up events claim: seal before a removed run -> (seal of its last event, its length).

    Read before the walk; a claim counts only because the walk then checks the roll-up event's own seal (a forged
    or edited roll-up breaks the chain there).
    """
    out: dict[str, tuple[str, int]] = {}
    for (details,) in session.execute(select(AuditEvent.details).where(AuditEvent.action == ROLLUP_ACTION,
                                                                       AuditEvent.hash.is_not(None))):
        for item in (details or {}).get("bridges", []) if isinstance(details, dict) else []:
            try:
                start, end, count = str(item[0]), str(item[1]), int(item[2])
            except (TypeError, ValueError, IndexError):
                continue
            if count > 0:
                out[start] = (end, count)
    return out


def _bridged(bridges: dict[str, tuple[str, int]], start: str, end: str | None) -> int | None:
    """Events removed between the seals ``start`` and ``end`` when bridges join them exactly, else ``None``.

    Runs removed on different days can follow one another, so bridges are followed end to start.
    """
    removed, here, hops = 0, start, 0
    while here != end:
        step = bridges.get(here)
        hops += 1
        if step is None or hops > len(bridges):
            return None
        here, removed = step[0], removed + step[1]
    return removed
