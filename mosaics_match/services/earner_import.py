"""Importing earners from a CSV: bounded parsing, validation of every row, a preview, then an idempotent import.

Idempotent by email: a row whose email is already registered updates that earner's name and location when they
differ and otherwise changes nothing, so importing the same file twice adds nobody. Consent columns
(``discoverable``, ``share_email``) only apply to earners the import *creates*: consent is the earner's own
decision, and an old spreadsheet must never switch back on a consent the earner has since withdrawn.
The whole import is one transaction (all rows or none), because every row was validated beforehand and rows
are cheap; a database error therefore leaves the earner list exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mosaics_match.limits import LIMITS
from mosaics_match.services.bulk_issue import (
    BulkError,
    CsvPlan,
    decode_upload,
    email_problem,
    name_problem,
    normalise_email,
    read_csv_rows,
)
from mosaics_match.store import repo
from mosaics_match.store.models import Earner

MAX_CSV_BYTES = LIMITS.earner_csv_bytes
MAX_ROWS = LIMITS.earner_csv_rows
REQUIRED_COLUMNS = ("email", "name")
OPTIONAL_COLUMNS = ("discoverable", "share_email", "location")
_YES = {"yes", "y", "true", "1", "oui"}
_NO = {"no", "n", "false", "0", "non", ""}


@dataclass
class EarnerRow:
    """One validated (or rejected) row of an earner import."""

    line: int
    email: str
    name: str
    discoverable: bool
    share_email: bool
    location: str | None
    errors: list[str] = field(default_factory=list)
    action: str = ""  # create | update | unchanged (filled by plan_against)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class EarnerPlan(CsvPlan):
    rows: list[EarnerRow]
    problems: list[str] = field(default_factory=list)

    def preview(self) -> list[dict[str, str]]:
        return [
            {"Line": str(r.line), "Email": r.email, "Name": r.name,
             "Discoverable": "yes" if r.discoverable else "no", "Share email": "yes" if r.share_email else "no",
             "Location": r.location or "", "Will": r.action or "-",
             "Check": "; ".join(r.errors) if r.errors else "OK"}
            for r in self.rows
        ]


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return f"{self.created} new earner(s), {self.updated} updated, {self.unchanged} unchanged"


def _flag(value: str, column: str) -> tuple[bool, str | None]:
    v = value.strip().lower()
    if v in _YES:
        return True, None
    if v in _NO:
        return False, None
    return False, f"{column} must be yes or no, not {value!r}"


def parse_earners_csv(data: bytes, *, max_bytes: int = MAX_CSV_BYTES, max_rows: int = MAX_ROWS) -> EarnerPlan:
    """Parse and validate an earner CSV (columns email, name, optional discoverable, share_email, location).

    Raises
    ------
    BulkError
        When the file as a whole is unusable.
    """
    text = decode_upload(data, max_bytes=max_bytes, what="CSV file")
    raw, problems = read_csv_rows(text, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, max_rows=max_rows)
    rows: list[EarnerRow] = []
    seen: dict[str, int] = {}
    for line, cells in raw:
        errors: list[str] = []
        email = normalise_email(cells.get("email", ""))
        name = " ".join(cells.get("name", "").split())
        for problem in (email_problem(email), name_problem(name)):
            if problem:
                errors.append(problem)
        discoverable, problem = _flag(cells.get("discoverable", ""), "discoverable")
        if problem:
            errors.append(problem)
        share, problem = _flag(cells.get("share_email", ""), "share_email")
        if problem:
            errors.append(problem)
        location = " ".join(cells.get("location", "").split()) or None
        if location and len(location) > 200:
            errors.append("location is longer than 200 characters")
        if email in seen:
            errors.append(f"the same email is on line {seen[email]}")
        elif email:
            seen[email] = line
        rows.append(EarnerRow(line, email, name, discoverable, share and discoverable, location, errors))
    return EarnerPlan(rows=rows, problems=problems)


def _existing(session: Session, emails: list[str]) -> dict[str, Earner]:
    found: dict[str, Earner] = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        for earner in session.scalars(select(Earner).where(func.lower(Earner.email).in_(chunk))):
            found[earner.email.lower()] = earner
    return found


def plan_against(plan: EarnerPlan, session: Session) -> None:
    """Fill in what the import will do with each valid row (create / update / unchanged)."""
    existing = _existing(session, [r.email for r in plan.rows if r.ok])
    for row in plan.rows:
        if not row.ok:
            continue
        earner = existing.get(row.email)
        if earner is None:
            row.action = "create"
        elif earner.name != row.name or (row.location is not None and earner.location != row.location):
            row.action = "update"
        else:
            row.action = "unchanged"


def import_earners(session: Session, *, plan: EarnerPlan, actor: str, actor_role: str = "staff") -> ImportReport:
    """Apply a fully valid plan in the caller's transaction (see the module docstring for the rules).

    Raises
    ------
    BulkError
        When the plan has errors: nothing is written.
    """
    if not plan.ok:
        raise BulkError(f"The file has {plan.error_count} problem(s); fix them first. Nothing was imported.")
    existing = _existing(session, [r.email for r in plan.rows])
    created = updated = unchanged = 0
    any_discoverable = False
    for row in plan.rows:
        earner = existing.get(row.email)
        if earner is None:
            repo.create_earner(session, email=row.email, name=row.name, discoverable=row.discoverable,
                               share_email=row.share_email, location=row.location)
            any_discoverable = any_discoverable or row.discoverable
            created += 1
            continue
        changed = False
        if earner.name != row.name:
            earner.name, changed = row.name, True
        if row.location is not None and earner.location != row.location:
            earner.location, changed = row.location, True
        updated += changed
        unchanged += not changed
    if any_discoverable or updated:
        repo.bump_data_version(session)  # new discoverable earners / changed names show up in searches now
    report = ImportReport(created, updated, unchanged)
    repo.record_audit(session, actor=actor, actor_role=actor_role, action="earner_import",
                      subject=f"{len(plan.rows)} rows", outcome="success",
                      details={"created": created, "updated": updated, "unchanged": unchanged})
    return report


def template_csv() -> str:
    """A small example file."""
    from mosaics_match.exports import csv as csv_export

    return csv_export.csv_text(("email", "name", "discoverable", "share_email", "location"), [
        ("ada.lovelace@example.org", "Ada Lovelace", "yes", "no", "Toronto"),
        ("grace.hopper@example.org", "Grace Hopper", "no", "no", ""),
    ])


__all__ = ["EarnerPlan", "EarnerRow", "ImportReport", "MAX_CSV_BYTES", "MAX_ROWS", "import_earners",
           "parse_earners_csv", "plan_against", "template_csv"]
