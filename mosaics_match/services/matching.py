"""Glue between the database and the matching engine for industry partners (no Streamlit here).

The engine (:mod:`mosaics_match.matching`) ranks exactly what it is given. This module decides what that is:
only credentials that count as evidence right now (``repo.matching_rows``: proof verified, not revoked or
suspended, within validity) of earners who consented to be found. It also decides what a partner may see of an
earner: the name always, the email only when the earner agreed to share it, nothing else.

Credentials earners added from other issuers (:mod:`mosaics_match.services.external_credentials`) enter the
same index when they count (last check valid, shown to partners, issuer trusted with "counts in partner search"
on): their achievement's competencies come from its signed alignments, criteria and description, and they carry
their issuer's name and a link, so they score, explain, filter and recommend exactly as Seneca's do. A search
first re-checks their status (:func:`prepare_search`).

An index is built once per data version (``repo.data_version``, bumped by issuing, status changes, consent
changes, added credentials and trust changes) and cached by the UI. Expiry needs no event: each index knows the
moment its evidence changes by itself (the next ``valid_until`` or future ``valid_from``) and reports itself stale
from then on.

A search scores exactly the :class:`~mosaics_match.matching.requirements.Requirement` list the partner
reviewed: the posting reader (:mod:`mosaics_match.matching.posting`) proposes which lines are requirements,
nice-to-haves and duties, and the partner may switch lines off or on and mark must-haves before searching.
Headline counts come from the engine's count-only call, never from ranking every earner.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mosaics_match.exports import csv as csv_export
from mosaics_match.links import credential_url
from mosaics_match.matching import (
    Competency,
    CredentialRef,
    EarnerIndex,
    MatchConfig,
    Recommendation,
    Requirement,
    UncoveredReport,
    build_index,
    count_covering,
    gap_recommendations,
    rank,
    uncovered_requirements,
)
from mosaics_match.matching import EmptyPostingError as EmptyPostingError  # re-exported for pages
from mosaics_match.matching.posting import SCORED_KINDS, PostingLine, PostingReading, read_posting
from mosaics_match.services import external_credentials
from mosaics_match.services.issuing import ISSUER_NAME
from mosaics_match.store import repo
from mosaics_match.store.models import Account, Achievement, Earner, IssuedCredential, Shortlist, ShortlistEntry

MAX_RESULTS = 200
#: A search does not wait again on a status list that could not be fetched this many seconds ago.
SEARCH_RETRY_SECONDS = 60.0
#: Default minimum score: the lower edge of the "partial" band (a weak match is not worth a partner's time).
DEFAULT_MIN_SCORE = MatchConfig().band_thresholds[2]
#: The headline count: earners whose verified skills cover at least this share of the requirements.
HEADLINE_COVERAGE = 0.5


@dataclass(frozen=True)
class AchievementInfo:
    """What the UI shows of a micro-credential."""

    slug: str
    name: str
    school: str
    competency_ids: tuple[str, ...]
    #: Who issues it: Seneca for the catalogue, the issuer's name for an achievement of an added credential.
    issuer: str = ISSUER_NAME
    external: bool = False


@dataclass
class PartnerIndex:
    """The engine index plus the catalogue facts needed to explain matches, for one data version.

    Attributes
    ----------
    version
        ``repo.data_version`` the index was built from.
    built_at
        When it was built (UTC).
    stale_after
        First moment some included credential expires or a future-dated one starts; ``None`` if never.
    engine
        The :class:`~mosaics_match.matching.EarnerIndex`.
    achievements
        Slug -> :class:`AchievementInfo` (active catalogue).
    competency_names
        Competency id (``str`` of the database id) -> name.
    credential_achievement
        Credential id -> achievement slug, for every credential in the index.
    n_earners, n_credentials
        Discoverable earners with evidence, and valid credentials indexed.
    credential_issuer
        Credential id -> issuer name, for added credentials (``ext:<id>``); Seneca's are not listed.
    credential_link
        Credential id -> a link a partner can open for an added credential, when it has one.
    n_external
        Added credentials indexed.
    """

    version: int
    built_at: datetime
    stale_after: datetime | None
    engine: EarnerIndex
    achievements: dict[str, AchievementInfo]
    competency_names: dict[str, str]
    credential_achievement: dict[str, str]
    n_earners: int
    n_credentials: int
    credential_issuer: dict[str, str] = field(default_factory=dict)
    credential_link: dict[str, str] = field(default_factory=dict)
    n_external: int = 0

    def is_stale(self, now: datetime | None = None) -> bool:
        """Whether an expiry or start date passed since the build (the index must be rebuilt)."""
        now = now or datetime.now(UTC)
        return self.stale_after is not None and now >= self.stale_after

    def achievement_competencies(self) -> dict[str, list[str]]:
        return {slug: list(info.competency_ids) for slug, info in self.achievements.items()}


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _next_change(session: Session, now: datetime) -> datetime | None:
    """When the set of valid credentials next changes by the clock alone (expiry or a future start)."""
    base = (
        select(IssuedCredential)
        .join(Earner, Earner.id == IssuedCredential.earner_id)
        .where(Earner.discoverable.is_(True), IssuedCredential.verified_at.is_not(None),
               IssuedCredential.revoked.is_(False), IssuedCredential.suspended.is_(False))
        .subquery()
    )
    ends = session.scalar(select(func.min(base.c.valid_until)).where(base.c.valid_until > now))
    starts = session.scalar(select(func.min(base.c.valid_from)).where(base.c.valid_from > now))
    moments = [m for m in (_aware(ends), _aware(starts)) if m is not None]
    return min(moments) if moments else None


def build_partner_index(session: Session, *, at: datetime | None = None,
                        config: MatchConfig | None = None, external: bool = True) -> PartnerIndex:
    """Build the matching index from what counts as evidence now.

    Parameters
    ----------
    session
        Open database session (read only).
    at
        Evaluate validity at this moment (default: now).
    config
        Engine configuration (default ``MatchConfig()``).
    external
        Include the credentials earners added from issuers staff count (``False``: Seneca's catalogue only).

    Returns
    -------
    PartnerIndex
    """
    now = at or datetime.now(UTC)
    version = repo.data_version(session)
    achievements: dict[str, AchievementInfo] = {}
    competencies: dict[str, Competency] = {}
    names: dict[str, str] = {}
    for ach in repo.list_achievements(session):
        ids = []
        for comp in ach.competencies:
            cid = str(comp.id)
            ids.append(cid)
            names[cid] = comp.name
            competencies[cid] = Competency(id=cid, name=comp.name, description=comp.description or "",
                                           esco_label=comp.esco_label, achievement_id=ach.slug,
                                           esco_uri=comp.esco_uri)
        achievements[ach.slug] = AchievementInfo(ach.slug, ach.name, ach.school, tuple(ids))
    credentials: dict[str, CredentialRef] = {}
    holdings: dict[str, list[str]] = {}
    cred_ach: dict[str, str] = {}
    for row in repo.matching_rows(session, at=now):
        if row.achievement_slug not in achievements:
            continue  # retired micro-credential: no competencies to match
        credentials[row.credential_id] = CredentialRef(achievement_id=row.achievement_slug,
                                                       issued_at=_aware(row.issued_at))
        holdings.setdefault(str(row.earner_id), []).append(row.credential_id)
        cred_ach[row.credential_id] = row.achievement_slug
    issuers: dict[str, str] = {}
    links: dict[str, str] = {}
    external_rows = repo.external_matching_rows(session, at=now) if external else []
    for row in external_rows:
        key = f"ext:{row.achievement_key}"
        if key not in achievements:
            ids = []
            for comp in external_credentials.competencies_of(row.achievement_key, row.content or {}):
                ids.append(comp.id)
                names[comp.id] = comp.name
                competencies[comp.id] = Competency(id=comp.id, name=comp.name, description=comp.description,
                                                   esco_label=comp.esco_label, achievement_id=key,
                                                   esco_uri=comp.esco_uri)
            achievements[key] = AchievementInfo(key, row.achievement_name, row.issuer_name, tuple(ids),
                                                issuer=row.issuer_name, external=True)
        cid = f"ext:{row.external_id}"
        credentials[cid] = CredentialRef(achievement_id=key, issued_at=_aware(row.valid_from))
        holdings.setdefault(str(row.earner_id), []).append(cid)
        cred_ach[cid] = key
        issuers[cid] = row.issuer_name
        link = external_credentials.evidence_link(row.content or {}, None)
        if link:
            links[cid] = link
    engine = build_index(competencies=competencies, credentials=credentials, holdings=holdings, config=config)
    moments = [m for m in (_next_change(session, now), repo.external_next_change(session, at=now)) if m is not None]
    return PartnerIndex(
        version=version, built_at=now, stale_after=min(moments) if moments else None, engine=engine,
        achievements=achievements, competency_names=names, credential_achievement=cred_ach,
        n_earners=len(holdings), n_credentials=len(credentials), credential_issuer=issuers,
        credential_link=links, n_external=len(external_rows),
    )


def prepare_search(db: Any) -> int:
    """Before a search shows results: re-check the status of added credentials (each status list fetched once,
    verified again only when it changed; see :func:`~mosaics_match.services.external_credentials.refresh_statuses`)
    and return the data version the index must be built from. A revoked, suspended, expired or unreachable one
    changes the version, so the next index leaves it out."""
    external_credentials.start_schedule(db)
    external_credentials.refresh_statuses(db, actor="search", retry_after=SEARCH_RETRY_SECONDS)
    factory = db.Session if hasattr(db, "Session") else db
    with factory() as session:
        return repo.data_version(session)


def index_for(db: Any) -> PartnerIndex:
    """Build the index from the database now (see :func:`build_partner_index`)."""
    factory = db.Session if hasattr(db, "Session") else db
    with factory() as session:
        return build_partner_index(session)


# --- searching ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchFilters:
    """Partner filters. Must-haves are achievement slugs / competency ids; ``issued_after`` is the recency cut."""

    must_achievements: tuple[str, ...] = ()
    must_competencies: tuple[str, ...] = ()
    min_score: float = DEFAULT_MIN_SCORE
    issued_after: date | None = None
    limit: int = 50

    def describe(self) -> dict:
        """JSON-safe summary for the audit log."""
        return {"must_achievements": list(self.must_achievements), "must_competencies": list(self.must_competencies),
                "min_score": round(self.min_score, 3),
                "issued_after": self.issued_after.isoformat() if self.issued_after else None, "limit": self.limit}


@dataclass(frozen=True)
class Evidence:
    """A requirement, the competency that covers it, and the credential that proves it (with its link).

    ``status`` is ``"covered"``, or ``"partial"`` when the competency comes close without matching well.
    ``verify_url`` is this portal's verification link of a credential issued here, empty for a credential the
    earner added from another issuer (the portal verified it, but has no public page for it; ``link`` then points
    at its issuer's page when it names one).
    """

    requirement: str
    competency: str
    achievement: str
    credential_id: str
    verify_url: str
    similarity: float
    status: str = "covered"
    #: Who issued the credential (Seneca, or the issuer of a credential the earner added).
    issuer: str = ISSUER_NAME
    #: For an added credential: a page of its issuer about it (its https id or its achievement's), if any.
    link: str = ""
    #: Words of the requirement the credential's competencies also use (what a partial match rests on).
    shared_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """One ranked earner, holding only what the partner may see.

    ``covered`` and ``partial`` carry the evidence per requirement; ``missing`` are the requirements nothing the
    earner holds comes close to; ``missing_must`` the must-haves among them.
    """

    earner_id: int
    name: str
    email: str | None
    score: float
    band: str
    covered: tuple[Evidence, ...]
    missing: tuple[str, ...]
    terms: tuple[tuple[str, float], ...]
    partial: tuple[Evidence, ...] = ()
    missing_must: tuple[str, ...] = ()

    @property
    def verify_links(self) -> list[str]:
        return list(dict.fromkeys(e.verify_url for e in (*self.covered, *self.partial) if e.verify_url))

    @property
    def issuers(self) -> list[str]:
        """Issuers of the evidence shown, Seneca first when it is among them."""
        found = dict.fromkeys(e.issuer for e in (*self.covered, *self.partial))
        return sorted(found, key=lambda name: (name != ISSUER_NAME, name))


@dataclass
class SearchResult:
    """Ranked candidates plus the counts the page shows.

    Attributes
    ----------
    requirements
        Exactly what was scored.
    candidates
        The best ``filters.limit`` earners at or above ``filters.min_score``.
    n_cover_half
        Earners (under the filters) whose score is at least :data:`HEADLINE_COVERAGE`: their verified skills
        cover at least half of the requirements, weighted by kind and must-have.
    n_at_least
        Earners at or above ``filters.min_score``.
    not_in_catalogue
        Requirements no micro-credential in the catalogue comes close to: nobody can cover them, and they do
        not count in scores.
    gaps
        Micro-credentials that would cover the most of the requirements.
    """

    requirements: list[Requirement]
    candidates: list[Candidate]
    n_cover_half: int = 0
    n_at_least: int = 0
    not_in_catalogue: list[str] = field(default_factory=list)
    gaps: list[Recommendation] = field(default_factory=list)


def posting_hash(text: str) -> str:
    """Short, stable fingerprint of a posting text for the audit log (the text itself is not logged)."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def read(posting: str, *, title: str = "") -> PostingReading:
    """What the posting reader makes of a posting (see :func:`mosaics_match.matching.posting.read_posting`)."""
    return read_posting(posting, title=title)


def search(session: Session, index: PartnerIndex, *, requirements: Sequence[Requirement], filters: SearchFilters,
           base_url: str) -> SearchResult:
    """Rank discoverable earners by how well their verified credentials cover ``requirements``.

    Parameters
    ----------
    session
        Open database session (read only): names and consent are read at search time.
    index
        From :func:`build_partner_index`.
    requirements
        Exactly the lines to score, as the partner reviewed them (kind and must-have included).
    filters
        Must-haves, recency, minimum score and how many to show.
    base_url
        Origin of the portal, for verification links.

    Returns
    -------
    SearchResult
        The counts come from :func:`~mosaics_match.matching.count_covering` (no ranking of everyone).

    Raises
    ------
    EmptyPostingError
        No requirement with text to score.
    """
    engine = index.engine
    reqs = [r for r in requirements if r.kind in SCORED_KINDS and r.text.strip()]
    if not reqs:
        raise EmptyPostingError("no requirement to match")
    common = dict(must_have_achievements=filters.must_achievements,
                  must_have_competencies=filters.must_competencies, issued_after=filters.issued_after)
    n_half = count_covering(engine, reqs, min_coverage=HEADLINE_COVERAGE, **common)
    n_at_least = n_half if filters.min_score == HEADLINE_COVERAGE else count_covering(
        engine, reqs, min_coverage=filters.min_score, **common)
    limit = max(1, min(filters.limit, MAX_RESULTS))
    matches = rank(engine, reqs, limit=limit, min_score=filters.min_score, explain=True, **common)
    people = repo.earners_by_ids(session, ids=[int(m.earner_id) for m in matches])
    must = {" ".join(r.text.lower().split()) for r in reqs if r.must_have}
    candidates: list[Candidate] = []
    for m in matches:
        person = people.get(int(m.earner_id))
        if person is None or not person.discoverable:
            continue  # consent withdrawn after the build: never show
        candidates.append(Candidate(
            earner_id=person.id, name=person.name, email=person.email if person.share_email else None,
            score=m.score, band=m.band, covered=tuple(_evidence(index, c, base_url) for c in m.covered),
            missing=tuple(m.missing), terms=tuple(m.terms),
            partial=tuple(_evidence(index, c, base_url) for c in m.partial),
            missing_must=tuple(t for t in m.missing if " ".join(t.lower().split()) in must),
        ))
    gaps = gap_recommendations(engine, reqs, achievements=index.achievement_competencies(), limit=5)
    # The engine's own test for "no competency of the catalogue comes close" (``RequirementMatch.in_catalogue``).
    best = engine.competencies.similarities([r.text for r in reqs]).max(axis=1) if len(engine.competencies) else []
    not_in_catalogue = [r.text for r, b in zip(reqs, best) if b < engine.config.partial_similarity]
    return SearchResult(requirements=list(reqs), candidates=candidates, n_cover_half=n_half, n_at_least=n_at_least,
                        not_in_catalogue=not_in_catalogue, gaps=gaps)


def _evidence(index: PartnerIndex, c, base_url: str) -> Evidence:
    if c.credential_id in index.credential_issuer:
        return Evidence(requirement=c.requirement, competency=c.competency_name,
                        achievement=_achievement_name(index, c.credential_id), credential_id=c.credential_id,
                        verify_url="", similarity=c.similarity, status=c.status,
                        issuer=index.credential_issuer[c.credential_id],
                        link=index.credential_link.get(c.credential_id, ""), shared_words=c.shared_words)
    return Evidence(requirement=c.requirement, competency=c.competency_name,
                    achievement=_achievement_name(index, c.credential_id), credential_id=c.credential_id,
                    verify_url=credential_url(base_url, c.credential_id), similarity=c.similarity, status=c.status,
                    shared_words=c.shared_words)


def _achievement_name(index: PartnerIndex, credential_id: str) -> str:
    slug = index.credential_achievement.get(credential_id)
    info = index.achievements.get(slug or "")
    return info.name if info else (slug or "")


def record_search(session: Session, *, actor: str, actor_role: str, title: str, posting: str,
                  filters: SearchFilters, result_count: int, requirements: Sequence[Requirement] = ()) -> None:
    """Audit a partner search: posting title and fingerprint, filters, how many lines were scored (and how many
    as must-haves), result count. No earner data, and not the posting's text."""
    repo.record_audit(
        session, actor=actor, actor_role=actor_role, action="search", subject=f"posting:{posting_hash(posting)}",
        outcome="ok", details={"posting_title": title[:200], "posting_sha256_16": posting_hash(posting),
                               "filters": filters.describe(), "result_count": result_count,
                               "requirements": len(requirements),
                               "must_have": sum(1 for r in requirements if r.must_have)},
    )


def candidates_csv(candidates: Sequence[Candidate]) -> str:
    """CSV of candidates with one verification link per covering credential (what a partner may see only)."""
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["rank", "name", "email", "score", "band", "matched requirements", "missing requirements",
                     "partly matched requirements", "missing must-haves", "evidence issuers", "verification links"])
    for i, c in enumerate(candidates, 1):
        writer.writerow([i, _csv_safe(c.name), _csv_safe(c.email or ""), f"{c.score:.2f}", c.band,
                         _csv_safe("; ".join(dict.fromkeys(e.requirement for e in c.covered))),
                         _csv_safe("; ".join(c.missing)),
                         _csv_safe("; ".join(dict.fromkeys(e.requirement for e in c.partial))),
                         _csv_safe("; ".join(c.missing_must)), _csv_safe("; ".join(c.issuers)),
                         " ".join(c.verify_links)])
    return out.getvalue()


def _csv_safe(value: str) -> str:
    return csv_export.safe_cell(value)


# --- shortlists -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShortlistRow:
    """A shortlist entry as the partner sees it now (consent and credential status re-checked)."""

    entry_id: int
    earner_id: int
    name: str
    email: str | None
    score: float | None
    discoverable: bool
    valid_credentials: tuple[tuple[str, str], ...]  # (achievement name, verification link)
    no_longer_valid: int
    added_at: datetime


def create_shortlist(session: Session, *, account_id: int, name: str, posting_id: int | None = None) -> Shortlist:
    """A new, empty shortlist of ``account_id``."""
    name = (name or "").strip()[:200] or "Shortlist"
    shortlist = Shortlist(account_id=account_id, name=name, posting_id=posting_id)
    session.add(shortlist)
    session.flush()
    return shortlist


def owned_shortlist(session: Session, *, account_id: int, shortlist_id: int) -> Shortlist | None:
    """The shortlist if it belongs to ``account_id`` (never another partner's)."""
    shortlist = session.get(Shortlist, shortlist_id)
    return shortlist if shortlist is not None and shortlist.account_id == account_id else None


def remove_entry(session: Session, *, account_id: int, entry_id: int) -> bool:
    """Remove one entry from one of ``account_id``'s shortlists; ``False`` if it is not theirs."""
    entry = session.get(ShortlistEntry, entry_id)
    if entry is None or entry.shortlist.account_id != account_id:
        return False
    session.delete(entry)
    return True


def shortlist_rows(session: Session, *, shortlist: Shortlist, base_url: str,
                   at: datetime | None = None) -> list[ShortlistRow]:
    """Entries with their current status; an earner who withdrew consent shows no personal data."""
    now = at or datetime.now(UTC)
    valid = {r.credential_id: r for r in repo.matching_rows(session, at=now)}
    ids = [e.earner_id for e in shortlist.entries]
    people = repo.earners_by_ids(session, ids=ids)
    creds: dict[int, list[IssuedCredential]] = {}
    if ids:
        for cred in session.scalars(select(IssuedCredential).where(IssuedCredential.earner_id.in_(ids))):
            creds.setdefault(cred.earner_id, []).append(cred)
    names = {a.id: a.name for a in session.scalars(select(Achievement))}
    rows: list[ShortlistRow] = []
    for entry in shortlist.entries:
        person = people.get(entry.earner_id)
        visible = person is not None and person.discoverable
        mine = creds.get(entry.earner_id, []) if visible else []
        good = tuple((names.get(c.achievement_id, ""), credential_url(base_url, c.credential_id))
                     for c in mine if c.credential_id in valid)
        rows.append(ShortlistRow(
            entry_id=entry.id, earner_id=entry.earner_id,
            name=person.name if visible else "(no longer shares their profile)",
            email=person.email if visible and person.share_email else None, score=entry.score,
            discoverable=visible, valid_credentials=good, no_longer_valid=len(mine) - len(good),
            added_at=entry.added_at,
        ))
    return rows


def shortlist_csv(rows: Sequence[ShortlistRow]) -> str:
    """CSV export of a shortlist with current status and verification links."""
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["name", "email", "score when added", "still discoverable", "valid credentials",
                     "no longer valid", "verification links"])
    for r in rows:
        writer.writerow([_csv_safe(r.name), _csv_safe(r.email or ""),
                         "" if r.score is None else f"{r.score:.2f}", "yes" if r.discoverable else "no",
                         _csv_safe("; ".join(n for n, _ in r.valid_credentials)), r.no_longer_valid,
                         " ".join(u for _, u in r.valid_credentials)])
    return out.getvalue()


# --- use cases for the partner page (each opens and ends its own transaction) ------------------------------------

def _sessions(db: Any):
    return db.Session if hasattr(db, "Session") else db


@dataclass(frozen=True)
class SavedPosting:
    """A saved job posting a partner can pick."""

    id: int
    title: str
    employer: str
    text: str


def saved_postings(db: Any) -> list[SavedPosting]:
    """The saved postings, newest first."""
    with _sessions(db)() as session:
        return [SavedPosting(p.id, p.title, p.employer, p.text) for p in repo.list_postings(session)]


def run_search(db: Any, index: PartnerIndex, *, requirements: Sequence[Requirement], filters: SearchFilters,
               base_url: str) -> SearchResult:
    """:func:`search` in a read-only session of its own."""
    with _sessions(db)() as session:
        return search(session, index, requirements=requirements, filters=filters, base_url=base_url)


def audit_search(db: Any, *, actor: str, actor_role: str, title: str, posting: str, filters: SearchFilters,
                 result_count: int, requirements: Sequence[Requirement] = ()) -> None:
    """:func:`record_search` in a transaction of its own."""
    with _sessions(db).begin() as session:
        record_search(session, actor=actor, actor_role=actor_role, title=title, posting=posting, filters=filters,
                      result_count=result_count, requirements=requirements)


def shortlist_names(db: Any, *, account_id: int) -> dict[int, str]:
    """Id -> name of the partner's shortlists, newest first."""
    with _sessions(db)() as session:
        account = session.get(Account, account_id)
        return {s.id: s.name for s in repo.shortlists_of(session, account=account)} if account else {}


def add_to_shortlist(db: Any, *, account_id: int, shortlist_id: int | None, new_name: str, posting_id: int | None,
                     scores: dict[int, float]) -> tuple[int, str] | None:
    """Add earners (``scores``: earner id -> score) to one of the partner's shortlists, or to a new one when
    ``shortlist_id`` is ``None``; returns (how many were added, the shortlist's name), or ``None`` when the
    shortlist is not (or no longer) the partner's."""
    with _sessions(db).begin() as session:
        if shortlist_id is None:
            shortlist = create_shortlist(session, account_id=account_id, name=new_name, posting_id=posting_id)
        else:
            shortlist = owned_shortlist(session, account_id=account_id, shortlist_id=shortlist_id)
        if shortlist is None:
            return None
        added = repo.add_to_shortlist(session, shortlist=shortlist, earner_ids=list(scores), scores=scores)
        return added, shortlist.name


# --- staff: coverage gaps -------------------------------------------------------------------------------------

@dataclass
class CoverageGaps:
    """Scored lines of the saved postings that no micro-credential covers, for staff.

    Attributes
    ----------
    report
        The engine's report (rows weakest first); only requirement, nice-to-have and duty lines are in it.
    titles
        Posting id -> "title — employer".
    kinds
        ``(posting id, line text)`` -> the line's kind.
    skipped
        Boilerplate lines the reader left out (titles, salaries, addresses, …), over all postings.
    """

    report: UncoveredReport
    titles: dict[str, str]
    kinds: dict[tuple[str, str], str]
    skipped: int


def coverage_gaps(session: Session, index: PartnerIndex) -> CoverageGaps:
    """Scored lines of the saved postings, as the posting reader reads them, that no competency of Seneca's
    catalogue comes close to (credentials earners added from other issuers do not close Seneca's gaps)."""
    if index.n_external:
        index = build_partner_index(session, at=index.built_at, config=index.engine.config, external=False)
    postings = repo.list_postings(session)
    requirements: dict[str, list[Requirement]] = {}
    kinds: dict[tuple[str, str], str] = {}
    skipped = 0
    for p in postings:
        reading = read_posting(p.text, title=p.title)
        requirements[str(p.id)] = reading.requirements()
        skipped += len(reading.lines) - len(reading.scored)
        for line in reading.scored:
            kinds.setdefault((str(p.id), line.text), line.kind)
    report = uncovered_requirements({k: v for k, v in requirements.items() if v}, index.engine)
    titles = {str(p.id): f"{p.title} — {p.employer}" for p in postings}
    return CoverageGaps(report=report, titles=titles, kinds=kinds, skipped=skipped)


KIND_LABEL = {"requirement": "Requirement", "nice_to_have": "Nice to have", "duty": "Duty",
              "boilerplate": "Not scored"}


def gaps_csv(report: UncoveredReport, titles: dict[str, str],
             kinds: dict[tuple[str, str], str] | None = None) -> str:
    """CSV of uncovered lines: posting, line, best similarity to any competency, and the line's kind."""
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["posting", "requirement", "best similarity", "kind"])
    for r in report.rows:
        kind = (kinds or {}).get((r.posting_id, r.requirement), "requirement")
        writer.writerow([_csv_safe(titles.get(r.posting_id, r.posting_id)), _csv_safe(r.requirement),
                         f"{r.best_similarity:.3f}", KIND_LABEL.get(kind, kind)])
    return out.getvalue()


__all__ = [
    "AchievementInfo", "Candidate", "CoverageGaps", "DEFAULT_MIN_SCORE", "EmptyPostingError", "Evidence",
    "HEADLINE_COVERAGE", "KIND_LABEL", "MAX_RESULTS", "PartnerIndex", "PostingLine", "PostingReading", "Requirement",
    "SearchFilters", "SearchResult", "ShortlistRow", "build_partner_index", "candidates_csv", "coverage_gaps",
    "create_shortlist", "gaps_csv", "owned_shortlist", "posting_hash", "read", "record_search", "remove_entry",
    "search", "shortlist_csv", "shortlist_rows", "SavedPosting", "add_to_shortlist", "audit_search", "index_for",
    "prepare_search", "run_search", "saved_postings", "shortlist_names",
]
