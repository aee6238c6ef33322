"""Typed loaders for the portal's demo content in ``data/``.

The JSON files are hand-written, so every loader validates its input and fails with a ``ValueError`` that names
the file, the entry and the problem (e.g. ``catalogue.json: achievements[3] ('sql-for-business-analysis'):
competencies[1]: esco_uri must look like http://data.europa.eu/esco/skill/<uuid>``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_DIR",
    "ESCO_SKILL_URI",
    "LEVELS",
    "Achievement",
    "Catalogue",
    "CatalogueCompetency",
    "ContentError",
    "Issuer",
    "Partner",
    "People",
    "Posting",
    "School",
    "load_catalogue",
    "load_people",
    "load_postings",
    "parse_catalogue",
    "parse_people",
    "parse_postings",
]

DATA_DIR: Path = Path(__file__).resolve().parents[2] / "data"
LEVELS: tuple[str, ...] = ("Foundational", "Intermediate", "Advanced")
ESCO_SKILL_URI = re.compile(
    r"^http://data\.europa\.eu/esco/skill/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIN_HOURS, MAX_HOURS = 10, 60
MIN_COMPETENCIES, MAX_COMPETENCIES = 4, 10


class ContentError(ValueError):
    """A content file is malformed; the message says which file, which entry and what is wrong."""


@dataclass(frozen=True, slots=True)
class Issuer:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class School:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Partner:
    slug: str
    name: str
    sector: str


@dataclass(frozen=True, slots=True)
class CatalogueCompetency:
    slug: str
    name: str
    description: str
    esco_uri: str | None
    esco_label: str | None


@dataclass(frozen=True, slots=True)
class Achievement:
    slug: str
    name: str
    school: str  # School.slug
    partner: str  # Partner.slug
    hours: int
    level: str  # one of LEVELS
    description: str
    criteria: str
    tags: tuple[str, ...]
    competencies: tuple[CatalogueCompetency, ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    issuer: Issuer
    schools: tuple[School, ...]
    partners: tuple[Partner, ...]
    achievements: tuple[Achievement, ...]

    def achievement(self, slug: str) -> Achievement:
        """Return the achievement with ``slug``.

        Raises
        ------
        KeyError
            If no achievement has that slug.
        """
        for a in self.achievements:
            if a.slug == slug:
                return a
        raise KeyError(slug)

    def school(self, slug: str) -> School:
        """Return the school with ``slug`` (``KeyError`` if unknown)."""
        for s in self.schools:
            if s.slug == slug:
                return s
        raise KeyError(slug)

    def partner(self, slug: str) -> Partner:
        """Return the partner with ``slug`` (``KeyError`` if unknown)."""
        for p in self.partners:
            if p.slug == slug:
                return p
        raise KeyError(slug)


@dataclass(frozen=True, slots=True)
class Posting:
    slug: str
    title: str
    employer: str
    location: str
    posted: str  # ISO date "YYYY-MM-DD", validated; stored as text like JobPosting.posted
    text: str

    @property
    def posted_date(self) -> date:
        """The posting date as a :class:`datetime.date`."""
        return date.fromisoformat(self.posted)


@dataclass(frozen=True, slots=True)
class People:
    """Name material for seeding synthetic earners."""

    given_names: tuple[str, ...]
    family_names: tuple[str, ...]
    email_domains: tuple[str, ...]


# --------------------------------------------------------------------------------------------------- helpers


class _Ctx:
    """Where we are in a file, so error messages can point at the exact entry."""

    def __init__(self, source: str, where: str = "") -> None:
        self.source = source
        self.where = where

    def at(self, part: str) -> _Ctx:
        if part.startswith("["):
            return _Ctx(self.source, self.where + part)
        return _Ctx(self.source, f"{self.where}.{part}" if self.where else part)

    def fail(self, problem: str) -> ContentError:
        prefix = f"{self.source}: {self.where}: " if self.where else f"{self.source}: "
        return ContentError(prefix + problem)


def _obj(value: Any, ctx: _Ctx, required: Sequence[str], optional: Sequence[str] = ()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ctx.fail(f"expected a JSON object, got {type(value).__name__}")
    missing = [k for k in required if k not in value]
    if missing:
        raise ctx.fail(f"missing required field(s): {', '.join(missing)}")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        # Typos such as "competences" would otherwise be silently ignored.
        raise ctx.fail(f"unknown field(s): {', '.join(unknown)}")
    return value


def _str(value: Any, ctx: _Ctx, *, min_len: int = 1) -> str:
    if not isinstance(value, str):
        raise ctx.fail(f"expected a string, got {type(value).__name__}")
    if len(value.strip()) < min_len:
        raise ctx.fail("must not be empty" if min_len == 1 else f"must be at least {min_len} characters")
    return value


def _slug(value: Any, ctx: _Ctx) -> str:
    s = _str(value, ctx)
    if not SLUG.match(s):
        raise ctx.fail(f"slug {s!r} is not kebab-case (lowercase letters, digits and single hyphens)")
    return s


def _list(value: Any, ctx: _Ctx) -> list[Any]:
    if not isinstance(value, list):
        raise ctx.fail(f"expected a JSON array, got {type(value).__name__}")
    return value


def _unique(slugs: Sequence[str], ctx: _Ctx, what: str) -> None:
    seen: set[str] = set()
    for s in slugs:
        if s in seen:
            raise ctx.fail(f"duplicate {what} slug {s!r}")
        seen.add(s)


def _label(index: int, raw: Any) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("slug"), str):
        return f"[{index}] ({raw['slug']!r})"
    return f"[{index}]"


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(f"{path}: cannot read file: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError(f"{path.name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc


# --------------------------------------------------------------------------------------------------- catalogue


def _competency(raw: Any, ctx: _Ctx) -> CatalogueCompetency:
    d = _obj(raw, ctx, ("slug", "name", "description"), ("esco_uri", "esco_label"))
    uri, label = d.get("esco_uri"), d.get("esco_label")
    if (uri is None) != (label is None):
        raise ctx.fail("esco_uri and esco_label must both be set or both be null")
    if uri is not None:
        _str(uri, ctx.at("esco_uri"))
        if not ESCO_SKILL_URI.match(uri):
            raise ctx.at("esco_uri").fail(f"{uri!r} must look like http://data.europa.eu/esco/skill/<uuid>")
        _str(label, ctx.at("esco_label"))
    return CatalogueCompetency(
        slug=_slug(d["slug"], ctx.at("slug")),
        name=_str(d["name"], ctx.at("name")),
        description=_str(d["description"], ctx.at("description"), min_len=20),
        esco_uri=uri,
        esco_label=label,
    )


def _achievement(raw: Any, ctx: _Ctx, schools: set[str], partners: set[str]) -> Achievement:
    d = _obj(
        raw,
        ctx,
        ("slug", "name", "school", "partner", "hours", "level", "description", "criteria", "tags", "competencies"),
    )
    school = _slug(d["school"], ctx.at("school"))
    if school not in schools:
        raise ctx.at("school").fail(f"unknown school {school!r} (not in the catalogue's schools)")
    partner = _slug(d["partner"], ctx.at("partner"))
    if partner not in partners:
        raise ctx.at("partner").fail(f"unknown partner {partner!r} (not in the catalogue's partners)")
    hours = d["hours"]
    if isinstance(hours, bool) or not isinstance(hours, int):
        raise ctx.at("hours").fail(f"expected an integer, got {type(hours).__name__}")
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise ctx.at("hours").fail(f"{hours} is outside {MIN_HOURS}-{MAX_HOURS}")
    level = _str(d["level"], ctx.at("level"))
    if level not in LEVELS:
        raise ctx.at("level").fail(f"{level!r} is not one of {', '.join(LEVELS)}")
    tags = tuple(_str(t, ctx.at("tags").at(f"[{i}]")) for i, t in enumerate(_list(d["tags"], ctx.at("tags"))))
    raw_comps = _list(d["competencies"], ctx.at("competencies"))
    if not MIN_COMPETENCIES <= len(raw_comps) <= MAX_COMPETENCIES:
        raise ctx.at("competencies").fail(
            f"has {len(raw_comps)} entries; an achievement needs {MIN_COMPETENCIES}-{MAX_COMPETENCIES}"
        )
    comps = tuple(_competency(c, ctx.at("competencies").at(_label(i, c))) for i, c in enumerate(raw_comps))
    _unique([c.slug for c in comps], ctx.at("competencies"), "competency")
    return Achievement(
        slug=_slug(d["slug"], ctx.at("slug")),
        name=_str(d["name"], ctx.at("name")),
        school=school,
        partner=partner,
        hours=hours,
        level=level,
        description=_str(d["description"], ctx.at("description"), min_len=40),
        criteria=_str(d["criteria"], ctx.at("criteria"), min_len=40),
        tags=tags,
        competencies=comps,
    )


def parse_catalogue(data: Any, source: str = "catalogue.json") -> Catalogue:
    """Validate already-decoded catalogue JSON and build a :class:`Catalogue`.

    Parameters
    ----------
    data
        The decoded JSON document.
    source
        File name used in error messages.

    Returns
    -------
    Catalogue

    Raises
    ------
    ContentError
        (a ``ValueError``) naming the entry and the problem.
    """
    root = _Ctx(source)
    d = _obj(data, root, ("issuer", "schools", "partners", "achievements"))
    i = _obj(d["issuer"], root.at("issuer"), ("name", "url"))
    issuer = Issuer(name=_str(i["name"], root.at("issuer.name")), url=_str(i["url"], root.at("issuer.url")))

    schools = []
    for n, raw in enumerate(_list(d["schools"], root.at("schools"))):
        ctx = root.at("schools").at(_label(n, raw))
        s = _obj(raw, ctx, ("slug", "name"))
        schools.append(School(slug=_slug(s["slug"], ctx.at("slug")), name=_str(s["name"], ctx.at("name"))))
    _unique([s.slug for s in schools], root.at("schools"), "school")

    partners = []
    for n, raw in enumerate(_list(d["partners"], root.at("partners"))):
        ctx = root.at("partners").at(_label(n, raw))
        p = _obj(raw, ctx, ("slug", "name", "sector"))
        partners.append(
            Partner(
                slug=_slug(p["slug"], ctx.at("slug")),
                name=_str(p["name"], ctx.at("name")),
                sector=_str(p["sector"], ctx.at("sector")),
            )
        )
    _unique([p.slug for p in partners], root.at("partners"), "partner")

    school_slugs = {s.slug for s in schools}
    partner_slugs = {p.slug for p in partners}
    achievements = tuple(
        _achievement(raw, root.at("achievements").at(_label(n, raw)), school_slugs, partner_slugs)
        for n, raw in enumerate(_list(d["achievements"], root.at("achievements")))
    )
    if not achievements:
        raise root.at("achievements").fail("the catalogue has no achievements")
    _unique([a.slug for a in achievements], root.at("achievements"), "achievement")
    return Catalogue(issuer=issuer, schools=tuple(schools), partners=tuple(partners), achievements=achievements)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and validate the micro-credential catalogue.

    Parameters
    ----------
    path
        JSON file to read; defaults to ``data/catalogue.json`` in the repository.

    Returns
    -------
    Catalogue

    Raises
    ------
    ContentError
        (a ``ValueError``) if the file is unreadable, not JSON, or malformed.
    """
    p = Path(path) if path is not None else DATA_DIR / "catalogue.json"
    return parse_catalogue(_read_json(p), source=p.name)


# --------------------------------------------------------------------------------------------------- postings


def parse_postings(data: Any, source: str = "postings.json") -> list[Posting]:
    """Validate decoded postings JSON (a list of objects) and build :class:`Posting` objects.

    Parameters
    ----------
    data
        The decoded JSON document.
    source
        File name used in error messages.

    Returns
    -------
    list[Posting]

    Raises
    ------
    ContentError
        (a ``ValueError``) naming the entry and the problem.
    """
    root = _Ctx(source)
    out: list[Posting] = []
    for n, raw in enumerate(_list(data, root)):
        ctx = root.at(_label(n, raw))
        d = _obj(raw, ctx, ("slug", "title", "employer", "location", "posted", "text"))
        posted = _str(d["posted"], ctx.at("posted"))
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", posted):
                raise ValueError
            date.fromisoformat(posted)
        except ValueError:
            raise ctx.at("posted").fail(f"{posted!r} is not an ISO date (YYYY-MM-DD)") from None
        out.append(
            Posting(
                slug=_slug(d["slug"], ctx.at("slug")),
                title=_str(d["title"], ctx.at("title")),
                employer=_str(d["employer"], ctx.at("employer")),
                location=_str(d["location"], ctx.at("location")),
                posted=posted,
                text=_str(d["text"], ctx.at("text"), min_len=200),
            )
        )
    _unique([p.slug for p in out], root, "posting")
    return out


def load_postings(path: str | Path | None = None) -> list[Posting]:
    """Load and validate the demo job postings.

    Parameters
    ----------
    path
        JSON file to read; defaults to ``data/postings.json`` in the repository.

    Returns
    -------
    list[Posting]

    Raises
    ------
    ContentError
        (a ``ValueError``) if the file is unreadable, not JSON, or malformed.
    """
    p = Path(path) if path is not None else DATA_DIR / "postings.json"
    return parse_postings(_read_json(p), source=p.name)


# --------------------------------------------------------------------------------------------------- people

# Only the IANA-reserved example domains, so seeded addresses can never reach a real inbox.
_RESERVED_DOMAINS = {"example.com", "example.org", "example.net"}


def parse_people(data: Any, source: str = "people.json") -> People:
    """Validate decoded people JSON and build :class:`People`.

    Parameters
    ----------
    data
        The decoded JSON document.
    source
        File name used in error messages.

    Returns
    -------
    People

    Raises
    ------
    ContentError
        (a ``ValueError``) naming the field and the problem.
    """
    root = _Ctx(source)
    d = _obj(data, root, ("given_names", "family_names", "email_domains"))
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("given_names", "family_names", "email_domains"):
        items = _list(d[key], root.at(key))
        if not items:
            raise root.at(key).fail("must not be empty")
        values = tuple(_str(v, root.at(key).at(f"[{i}]")) for i, v in enumerate(items))
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise root.at(key).fail(f"duplicate entries: {', '.join(dupes)}")
        lists[key] = values
    for i, dom in enumerate(lists["email_domains"]):
        if dom not in _RESERVED_DOMAINS and not any(dom.endswith("." + r) for r in _RESERVED_DOMAINS):
            raise root.at(f"email_domains[{i}]").fail(
                f"{dom!r} is not a reserved example domain (example.com/.org/.net or a subdomain)"
            )
    return People(
        given_names=lists["given_names"], family_names=lists["family_names"], email_domains=lists["email_domains"]
    )


def load_people(path: str | Path | None = None) -> People:
    """Load the name material used to seed synthetic earners.

    Parameters
    ----------
    path
        JSON file to read; defaults to ``data/people.json`` in the repository.

    Returns
    -------
    People

    Raises
    ------
    ContentError
        (a ``ValueError``) if the file is unreadable, not JSON, or malformed.
    """
    p = Path(path) if path is not None else DATA_DIR / "people.json"
    return parse_people(_read_json(p), source=p.name)
