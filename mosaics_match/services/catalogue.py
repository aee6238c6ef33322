"""The micro-credential catalogue and the portal's headline figures, as the home and catalogue pages show them.

Each function opens its own read-only session from the runtime and returns plain dataclasses (no ORM rows).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from mosaics_match.store import repo
from mosaics_match.store.models import Achievement

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["PortalFigures", "CompetencyEntry", "CatalogueEntry", "HomeOverview", "portal_figures", "home_overview",
           "entries"]


@dataclass(frozen=True)
class PortalFigures:
    """Headline counts of the portal's data."""

    achievements: int
    competencies: int
    earners: int
    discoverable: int
    credentials: int
    valid_credentials: int
    revoked: int
    suspended: int
    postings: int
    partners: int


@dataclass(frozen=True)
class CompetencyEntry:
    """One competency a micro-credential certifies (ESCO-aligned where the URI is set)."""

    name: str
    description: str
    esco_uri: str | None
    esco_label: str | None


@dataclass(frozen=True)
class CatalogueEntry:
    """One micro-credential of the catalogue."""

    slug: str
    name: str
    description: str
    school: str
    partner: str | None
    hours: int | None
    level: str | None
    tags: tuple[str, ...]
    image_svg: str | None
    competencies: tuple[CompetencyEntry, ...]

    def search_text(self) -> str:
        """Everything a catalogue search looks in, lower-cased."""
        parts = [self.name, self.description, self.school, self.partner or "", self.level or "", " ".join(self.tags)]
        parts += [f"{c.name} {c.description} {c.esco_label or ''}" for c in self.competencies]
        return " ".join(parts).lower()


@dataclass(frozen=True)
class HomeOverview:
    """What the home page shows: the figures and the catalogue."""

    figures: PortalFigures
    entries: list[CatalogueEntry]


def portal_figures(session: Session) -> PortalFigures:
    """The headline figures, read in ``session`` (for services that show them beside other data).

    Parameters
    ----------
    session : Session
        An open session.

    Returns
    -------
    PortalFigures
    """
    counts = repo.count_rows(session)
    return PortalFigures(**{f.name: counts.get(f.name, 0) for f in fields(PortalFigures)})


def _entry(a: Achievement) -> CatalogueEntry:
    return CatalogueEntry(
        slug=a.slug, name=a.name, description=a.description, school=a.school, partner=a.partner, hours=a.hours,
        level=a.level, tags=tuple(a.tags or []), image_svg=a.image_svg,
        competencies=tuple(CompetencyEntry(c.name, c.description, c.esco_uri, c.esco_label) for c in a.competencies),
    )


def home_overview(rt: Runtime) -> HomeOverview:
    """The home page's figures and catalogue, read in one session.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.

    Returns
    -------
    HomeOverview
    """
    with rt.Session() as session:
        return HomeOverview(portal_figures(session), [_entry(a) for a in repo.list_achievements(session)])


def entries(rt: Runtime, *, query: str = "") -> list[CatalogueEntry]:
    """The active micro-credentials by school and name, those matching every word of ``query`` when given.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    query : str
        Words to look for (case-insensitive) in names, descriptions, school, partner, level, tags and competencies.

    Returns
    -------
    list of CatalogueEntry
    """
    with rt.Session() as session:
        found = [_entry(a) for a in repo.list_achievements(session)]
    words = query.strip().lower().split()
    return [e for e in found if all(w in e.search_text() for w in words)] if words else found
