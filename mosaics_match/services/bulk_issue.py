"""Bulk issuing from a CSV of earners and achievements: bounded parsing, validation of every row, a preview,
then issuing row by row.

Transaction design
------------------
Issuing happens in two gates. First the whole file is parsed and every row validated; if any row has an error,
nothing is issued at all (the staff member fixes the file and uploads it again). Then each valid row is issued
in its **own transaction**: the earner (created when new), the credential row, its status index, the data
version bump and the audit event commit together or not at all. A row that fails at signing time (for example a
key problem or a database error) rolls back alone and is reported as failed; rows before it stay issued and
their claim codes are shown, because a credential that was signed and handed out must not silently vanish. We
chose this over one all-or-nothing transaction because a single transaction would hold the status-list lock
for the whole batch (blocking every other issuer and revocation) and lose every claim code on a late failure.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.exports import csv as csv_export
from mosaics_match.limits import LIMITS
from mosaics_match.services import issuing
from mosaics_match.settings import Settings
from mosaics_match.store import repo
from mosaics_match.store.models import Achievement, Earner, utcnow

MAX_CSV_BYTES = LIMITS.issue_csv_bytes
MAX_ROWS = LIMITS.issue_csv_rows
MAX_CELL_CHARS = LIMITS.issue_csv_cell_chars
REQUIRED_COLUMNS = ("email", "name", "achievement")
OPTIONAL_COLUMNS = ("format", "valid_from", "valid_until")
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

Progress = Callable[[int, int, "RowResult"], None]


class BulkError(ValueError):
    """The file (or the plan) cannot be used; the message says why in plain words."""


# --- small validators shared with the single-credential form and the earner import ---------------------------

def normalise_email(value: str) -> str:
    """Trim and lower-case an email address (addresses are compared case-insensitively here)."""
    return value.strip().lower()


def email_problem(value: str) -> str | None:
    """Why ``value`` is not a usable email address, or ``None`` when it is."""
    if not value:
        return "the email address is missing"
    if len(value) > 320:
        return "the email address is longer than 320 characters"
    if not EMAIL_RE.match(value):
        return f"{value!r} is not a valid email address"
    return None


def name_problem(value: str) -> str | None:
    """Why ``value`` is not a usable person's name, or ``None``."""
    if not value:
        return "the name is missing"
    if len(value) > 200:
        return "the name is longer than 200 characters"
    if _CONTROL_RE.search(value):
        return "the name contains control characters"
    return None


def parse_date(value: str, *, what: str) -> tuple[datetime | None, str | None]:
    """Parse an ISO date (``2026-09-01``) or date-time into an aware UTC datetime; ``("", ...)`` gives ``None``."""
    value = value.strip()
    if not value:
        return None, None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0, 0), tzinfo=UTC), None
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None, f"{what} {value!r} is not a date like 2026-09-01"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC), None


def decode_upload(data: bytes, *, max_bytes: int, what: str = "file") -> str:
    """Size-check then decode an uploaded text file (UTF-8, with or without BOM).

    Raises
    ------
    BulkError
        When the file is empty, too large or not UTF-8 text.
    """
    if not data:
        raise BulkError(f"The {what} is empty.")
    if len(data) > max_bytes:
        raise BulkError(f"The {what} is {len(data):,} bytes; the limit is {max_bytes:,} bytes. "
                        "Split it into smaller files.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkError(f"The {what} is not UTF-8 text (byte {exc.start}). "
                        "Save it as “CSV UTF-8” and try again.") from exc
    if "\x00" in text:
        raise BulkError(f"The {what} contains binary data; upload a CSV text file.")
    return text


def read_csv_rows(
    text: str, *, required: Sequence[str], optional: Sequence[str], max_rows: int, max_cell: int = MAX_CELL_CHARS,
) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """Read a CSV with a header into ``(line, {column: value})`` pairs, bounded in rows and cell size.

    Returns
    -------
    rows, problems
        ``problems`` are file-level errors (missing columns, too many rows, malformed CSV).

    Raises
    ------
    BulkError
        When the header is unusable.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise BulkError("The file has no header row.") from None
    except csv.Error as exc:
        raise BulkError(f"The file is not valid CSV: {exc}.") from exc
    columns = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in required if c not in columns]
    if missing:
        raise BulkError(
            f"The header row lacks the column(s) {', '.join(missing)}. Expected columns: "
            f"{', '.join(required)} (and optionally {', '.join(optional)})."
        )
    dupes = sorted({c for c in columns if c and columns.count(c) > 1})
    if dupes:
        raise BulkError(f"The header row names these columns twice: {', '.join(dupes)}.")
    known = set(required) | set(optional)
    problems: list[str] = []
    unknown = [c for c in columns if c and c not in known]
    if unknown:
        problems.append(f"Unknown column(s) {', '.join(unknown)}: remove them (allowed: {', '.join(sorted(known))}).")
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank lines are harmless
            if len(rows) >= max_rows:
                problems.append(f"The file has more than {max_rows} rows; split it into smaller files.")
                break
            if len(record) > len(columns):
                problems.append(f"Line {line}: {len(record)} cells but only {len(columns)} columns in the header.")
                continue
            if any(len(cell) > max_cell for cell in record):
                problems.append(f"Line {line}: a cell is longer than {max_cell} characters.")
                continue
            values = {c: (record[i].strip() if i < len(record) else "") for i, c in enumerate(columns) if c in known}
            rows.append((line, values))
    except csv.Error as exc:
        problems.append(f"The file is not valid CSV near line {reader.line_num}: {exc}.")
    if not rows and not problems:
        problems.append("The file has a header but no rows.")
    return rows, problems


# --- plan -----------------------------------------------------------------------------------------------------

@dataclass
class BulkRow:
    """One validated (or rejected) row of a bulk-issue file."""

    line: int
    email: str
    name: str
    achievement_slug: str | None
    achievement_name: str
    fmt: str
    valid_from: datetime | None
    valid_until: datetime | None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class CsvPlan:
    """What every validated CSV upload has: ``rows`` (each with ``ok``) and file-level ``problems``."""

    rows: Sequence
    problems: list[str]

    @property
    def ok(self) -> bool:
        """True when the file and every row are valid, i.e. the import or issuing may start."""
        return not self.problems and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.problems) + sum(1 for r in self.rows if not r.ok)


@dataclass
class BulkPlan(CsvPlan):
    """The parsed file: every row with its problems, and file-level problems."""

    rows: list[BulkRow]
    problems: list[str] = field(default_factory=list)

    def preview(self) -> list[dict[str, str]]:
        """One plain dict per row for a preview table."""
        return [
            {
                "Line": str(r.line), "Email": r.email, "Name": r.name, "Micro-credential": r.achievement_name,
                "Format": r.fmt,
                "Valid from": r.valid_from.strftime("%Y-%m-%d") if r.valid_from else "on issue",
                "Valid until": r.valid_until.strftime("%Y-%m-%d") if r.valid_until else "no end date",
                "Check": "; ".join(r.errors) if r.errors else ("OK" + (f" ({'; '.join(r.notes)})" if r.notes else "")),
            }
            for r in self.rows
        ]


def achievement_index(achievements: Iterable[Achievement]) -> dict[str, Achievement]:
    """Catalogue lookup by slug and by name (case-insensitive), as CSV authors use either."""
    index: dict[str, Achievement] = {}
    for a in achievements:
        index[a.slug.lower()] = a
        index.setdefault(a.name.strip().lower(), a)
    return index


def validate_fields(
    *, email: str, name: str, achievement: str, fmt: str, valid_from: str, valid_until: str,
    achievements: Mapping[str, Achievement], now: datetime | None = None,
) -> tuple[dict, list[str]]:
    """Validate one issuing request (a form or a CSV row); returns normalised values and errors."""
    now = now or utcnow()
    errors: list[str] = []
    email = normalise_email(email)
    name = " ".join(name.split())
    for problem in (email_problem(email), name_problem(name)):
        if problem:
            errors.append(problem)
    found = achievements.get(achievement.strip().lower()) if achievement.strip() else None
    if not achievement.strip():
        errors.append("the micro-credential is missing")
    elif found is None:
        errors.append(f"no micro-credential called {achievement.strip()!r} in the catalogue (use its name or code)")
    fmt = (fmt or "").strip().lower() or issuing.PROOF_FORMATS[0]
    if fmt == "jwt":
        fmt = "vc-jwt"
    if fmt not in issuing.PROOF_FORMATS:
        errors.append(f"format {fmt!r} is not one of {', '.join(issuing.PROOF_FORMATS)}")
    start, problem = parse_date(valid_from, what="valid_from")
    if problem:
        errors.append(problem)
    end, problem = parse_date(valid_until, what="valid_until")
    if problem:
        errors.append(problem)
    if end is not None:
        if end <= (start or now):
            errors.append("valid_until must be after valid_from (or after today)")
        elif end <= now:
            errors.append("valid_until is in the past")
    values = {"email": email, "name": name, "achievement": found, "fmt": fmt, "valid_from": start,
              "valid_until": end}
    return values, errors


def parse_bulk_csv(
    data: bytes, *, achievements: Iterable[Achievement], default_format: str = "eddsa-rdfc-2022",
    max_bytes: int = MAX_CSV_BYTES, max_rows: int = MAX_ROWS, now: datetime | None = None,
) -> BulkPlan:
    """Parse and validate a bulk-issue CSV (columns email, name, achievement, optional format, valid_from,
    valid_until) without touching the database.

    Parameters
    ----------
    data:
        The uploaded bytes (size-checked before anything is parsed).
    achievements:
        The active catalogue; ``achievement`` cells may hold a slug or a name.
    default_format:
        Proof format for rows whose ``format`` cell is empty.

    Raises
    ------
    BulkError
        When the file as a whole is unusable (too big, not text, no usable header).
    """
    text = decode_upload(data, max_bytes=max_bytes, what="CSV file")
    raw_rows, problems = read_csv_rows(text, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, max_rows=max_rows)
    index = achievement_index(achievements)
    rows: list[BulkRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in raw_rows:
        values, errors = validate_fields(
            email=cells.get("email", ""), name=cells.get("name", ""), achievement=cells.get("achievement", ""),
            fmt=cells.get("format", "") or default_format, valid_from=cells.get("valid_from", ""),
            valid_until=cells.get("valid_until", ""), achievements=index, now=now,
        )
        found: Achievement | None = values["achievement"]
        row = BulkRow(
            line=line, email=values["email"], name=values["name"], achievement_slug=found.slug if found else None,
            achievement_name=found.name if found else cells.get("achievement", ""), fmt=values["fmt"],
            valid_from=values["valid_from"], valid_until=values["valid_until"], errors=errors,
        )
        if found is not None and row.email:
            key = (row.email, found.slug)
            if key in seen:
                row.errors.append(f"same earner and micro-credential as line {seen[key]}")
            else:
                seen[key] = line
        rows.append(row)
    return BulkPlan(rows=rows, problems=problems)


def annotate_with_database(plan: BulkPlan, session: Session) -> None:
    """Add notes from the database to the preview: new earners, names that differ, credentials already held."""
    from sqlalchemy import select

    from mosaics_match.store.models import IssuedCredential

    for row in plan.rows:
        if not row.ok:
            continue
        earner = repo.get_earner_by_email(session, email=row.email)
        if earner is None:
            row.notes.append("new earner")
            continue
        if earner.name != row.name:
            row.notes.append(f"earner already registered as {earner.name!r}; that name is kept")
        held = session.scalar(
            select(IssuedCredential.id)
            .join(Achievement, Achievement.id == IssuedCredential.achievement_id)
            .where(IssuedCredential.earner_id == earner.id, Achievement.slug == row.achievement_slug,
                   IssuedCredential.revoked.is_(False))
            .limit(1)
        )
        if held is not None:
            row.notes.append("already holds this micro-credential; a second one will be issued")


# --- issuing --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowResult:
    """What happened to one row."""

    line: int
    email: str
    achievement: str
    ok: bool
    credential_id: str | None = None
    claim_code: str | None = None
    message: str = ""


def get_or_create_earner(session: Session, *, email: str, name: str) -> tuple[Earner, bool]:
    """The earner with ``email`` (compared case-insensitively), created (not discoverable) when new."""
    from sqlalchemy import func, select

    earner = session.scalars(select(Earner).where(func.lower(Earner.email) == email.lower())).first()
    if earner is not None:
        return earner, False
    return repo.create_earner(session, email=email, name=name), True


class SignerCache:
    """Keeps the decrypted active key between row transactions so a batch derives the key secret only once.

    Every row re-reads the issuer and key rows in its own session; if the active key changed (rotated during
    the batch), the new key is opened.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._key_id: int | None = None
        self._private: object | None = None

    def signer(self, session: Session) -> issuing.Signer:
        issuer = issuing.ensure_local_issuer(session, settings=self.settings)
        key = repo.active_key(session, issuer=issuer)
        if key is None:
            raise issuing.IssuingError("Seneca has no active signing key; generate one on the Signing keys page.")
        if key.id != self._key_id or self._private is None:
            opened = issuing.open_signer(session, settings=self.settings)
            self._key_id, self._private = opened.key.id, opened.private_key
            return opened
        return issuing.Signer(issuer=issuer, key=key, private_key=self._private, settings=self.settings)


def issue_one(
    session: Session, *, signer: issuing.Signer, email: str, name: str, achievement: Achievement, fmt: str,
    valid_from: datetime | None, valid_until: datetime | None, actor: str,
) -> issuing.IssueReceipt:
    """Issue one credential to ``email`` (creating the earner when new) inside the caller's transaction."""
    earner, created = get_or_create_earner(session, email=email, name=name)
    if created:
        repo.record_audit(session, actor=actor, actor_role="staff", action="earner_create",
                          subject=f"earner:{earner.id}", outcome="success", details={"via": "issue"})
    return issuing.issue_credential(
        session, signer=signer, earner=earner, achievement=achievement, actor=actor, valid_from=valid_from,
        valid_until=valid_until, fmt=fmt,
    )


def issue_plan(
    Session: sessionmaker[Session], *, settings: Settings, plan: BulkPlan, actor: str,
    progress: Progress | None = None,
) -> list[RowResult]:
    """Issue every row of a fully valid plan, each row in its own transaction (see the module docstring).

    Raises
    ------
    BulkError
        When the plan still has errors: nothing is issued then.
    issuing.IssuingError
        When signing is impossible before the first row (no key secret, no key): nothing is issued then.
    """
    if not plan.ok:
        raise BulkError(f"The file has {plan.error_count} problem(s); fix them before issuing. Nothing was issued.")
    cache = SignerCache(settings)
    with Session.begin() as session:  # fail fast (and write nothing) when signing is impossible
        cache.signer(session)
    results: list[RowResult] = []
    total = len(plan.rows)
    for i, row in enumerate(plan.rows, start=1):
        try:
            with Session.begin() as session:
                achievement = repo.get_achievement(session, slug=row.achievement_slug or "")
                if achievement is None or not achievement.active:
                    raise issuing.IssuingError("the micro-credential was removed from the catalogue")
                receipt = issue_one(
                    session, signer=cache.signer(session), email=row.email, name=row.name, achievement=achievement,
                    fmt=row.fmt, valid_from=row.valid_from, valid_until=row.valid_until, actor=actor,
                )
                result = RowResult(row.line, row.email, row.achievement_name, True,
                                   receipt.credential.credential_id, receipt.claim_code, "issued")
        except issuing.IssuingError as exc:
            result = RowResult(row.line, row.email, row.achievement_name, False, message=f"not issued: {exc}")
        except Exception as exc:
            result = RowResult(row.line, row.email, row.achievement_name, False,
                               message=f"not issued: unexpected error ({type(exc).__name__}); "
                                       "nothing was saved for this row")
        if not result.ok:
            with Session.begin() as session:
                repo.record_audit(session, actor=actor, actor_role="staff", action="issue", subject=row.email,
                                  outcome="failure", details={"line": row.line, "error": result.message[:300]})
        results.append(result)
        if progress is not None:
            progress(i, total, result)
    return results


def results_csv(results: Sequence[RowResult]) -> str:
    """The per-row results as CSV (with claim codes: hand it to the earners, do not publish it)."""
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["line", "email", "micro_credential", "result", "credential_id", "claim_code", "message"])
    for r in results:
        writer.writerow([r.line, safe_cell(r.email), safe_cell(r.achievement), "issued" if r.ok else "failed",
                         r.credential_id or "", r.claim_code or "", safe_cell(r.message)])
    return out.getvalue()


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas in exported cells (CSV injection): :func:`csv_export.safe_cell`."""
    return csv_export.safe_cell(value)


def template_csv(achievements: Sequence[Achievement]) -> str:
    """A small example file staff can download and fill in."""
    slug = achievements[0].slug if achievements else "micro-credential-code"
    return csv_export.csv_text(("email", "name", "achievement", "format", "valid_from", "valid_until"), [
        ("ada.lovelace@example.org", "Ada Lovelace", slug, "eddsa-rdfc-2022", "", ""),
        ("grace.hopper@example.org", "Grace Hopper", slug, "vc-jwt", "2026-01-15", "2029-01-15"),
    ])


__all__ = [
    "BulkError", "BulkPlan", "BulkRow", "RowResult", "SignerCache", "MAX_CSV_BYTES", "MAX_ROWS",
    "annotate_with_database", "decode_upload", "email_problem", "get_or_create_earner", "issue_one",
    "issue_plan", "name_problem", "normalise_email", "parse_bulk_csv", "parse_date", "read_csv_rows",
    "results_csv", "safe_cell", "template_csv", "validate_fields",
]
