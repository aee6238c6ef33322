"""Deterministic synthetic catalogue + earners for tests and the speed benchmark.

Texts are built from a small English skill vocabulary plus generated tool names, so TF-IDF behaves roughly as
on real competency descriptions (shared generic verbs, rarer domain nouns, very rare tool names).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .config import MatchConfig
from .earners import Competency, CredentialRef, EarnerIndex, build_index_from_arrays
from .requirements import Requirement

_DOMAINS: dict[str, list[str]] = {
    "software": ["software", "code", "application", "api", "testing", "debugging", "architecture", "deployment"],
    "data": ["data", "statistics", "dashboard", "analytics", "model", "database", "query", "visualisation"],
    "cloud": ["cloud", "server", "network", "container", "infrastructure", "monitoring", "security", "backup"],
    "health": ["patient", "care", "clinical", "medication", "hygiene", "assessment", "therapy", "records"],
    "finance": ["accounting", "budget", "invoice", "audit", "tax", "payroll", "forecast", "ledger"],
    "hospitality": ["kitchen", "menu", "guest", "food", "beverage", "reservation", "catering", "service"],
    "construction": ["welding", "concrete", "blueprint", "carpentry", "plumbing", "wiring", "site", "scaffold"],
    "marketing": ["campaign", "brand", "social", "content", "seo", "advertising", "market", "customer"],
    "logistics": ["warehouse", "inventory", "shipping", "fleet", "supply", "procurement", "freight", "routing"],
    "education": ["curriculum", "lesson", "learner", "classroom", "tutoring", "evaluation", "literacy", "training"],
    "design": ["graphic", "layout", "typography", "illustration", "prototype", "interface", "colour", "print"],
    "manufacturing": ["machine", "assembly", "quality", "tooling", "maintenance", "production", "lean", "safety"],
}
_VERBS = ["apply", "manage", "design", "develop", "operate", "maintain", "analyse", "plan", "coordinate",
          "implement", "evaluate", "monitor", "prepare", "install", "configure", "document", "supervise"]
_OBJECTS = ["processes", "systems", "procedures", "reports", "projects", "standards", "tools", "teams",
            "requirements", "workflows", "operations", "plans"]
_SYLLABLES = ["ka", "to", "mi", "ra", "ven", "lo", "su", "dex", "pri", "no", "tal", "zen", "qu", "bor", "ix",
              "el", "fa", "gro", "hu", "jin"]
_FILLER = ["We are a friendly and growing team.", "Competitive salary and benefits.",
           "Equal opportunity employer.", "Hybrid work is possible."]


class EarnerIds(Sequence[str]):
    """Lazy ``E0000001``-style ids (no per-earner Python objects at 10^6 earners)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        i = int(i)
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return f"E{i % self.n:07d}"


@dataclass
class SyntheticCatalogue:
    """Competencies (id -> Competency), achievements (id -> competency ids) and each achievement's domain."""

    competencies: dict[str, Competency]
    achievements: dict[str, list[str]]
    domain_of: dict[str, str]


@dataclass
class SyntheticEarners:
    """Flat credential entries, as :func:`build_index_from_arrays` takes them."""

    earner_ids: Sequence[str]
    entry_earner: np.ndarray
    entry_achievement: np.ndarray
    entry_issued: np.ndarray

    def to_mappings(self, catalogue: SyntheticCatalogue) -> tuple[dict[str, CredentialRef], dict[str, list[str]]]:
        """``(credentials, holdings)`` for :func:`build_index` (only sensible for small sizes)."""
        ach_ids = list(catalogue.achievements)
        creds: dict[str, CredentialRef] = {}
        holdings: dict[str, list[str]] = {self.earner_ids[e]: [] for e in range(len(self.earner_ids))}
        for n, (e, a, d) in enumerate(zip(self.entry_earner.tolist(), self.entry_achievement.tolist(),
                                          self.entry_issued.tolist())):
            cid = f"C{n:08d}"
            aid = ach_ids[a]
            creds[cid] = CredentialRef(aid, tuple(catalogue.achievements[aid]), date(1970, 1, 1) + timedelta(days=d))
            holdings[self.earner_ids[e]].append(cid)
        return creds, holdings


def _tool_names(rng: np.random.Generator, n: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        name = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4))))
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def make_catalogue(n_achievements: int = 2000, *, seed: int = 0, max_competencies: int = 4,
                   external_share: float = 0.0) -> SyntheticCatalogue:
    """A catalogue of ``n_achievements`` achievements with 1..``max_competencies`` competencies each.

    Parameters
    ----------
    n_achievements
        Number of achievements (micro-credential types).
    seed
        Random seed; same seed, same catalogue.
    max_competencies
        Upper bound of competencies per achievement.
    external_share
        Share of the achievements that come from other issuers (ids ``X…``): their competencies are worded
        differently ("<Issuer> certified: …"), so every one of their texts is distinct from the catalogue's.
        They are added on top of the ``n_achievements``.
    """
    rng = np.random.default_rng(seed)
    domains = list(_DOMAINS)
    tools = _tool_names(rng, max(50, n_achievements // 2))
    comps: dict[str, Competency] = {}
    achs: dict[str, list[str]] = {}
    domain_of: dict[str, str] = {}
    for a in range(n_achievements):
        dom = domains[a % len(domains)]
        nouns = _DOMAINS[dom]
        aid = f"A{a:05d}"
        tool = tools[int(rng.integers(len(tools)))]
        ids = []
        for k in range(int(rng.integers(1, max_competencies + 1))):
            verb = _VERBS[int(rng.integers(len(_VERBS)))]
            n1, n2 = rng.choice(nouns, size=2, replace=False)
            obj = _OBJECTS[int(rng.integers(len(_OBJECTS)))]
            cid = f"{aid}-K{k}"
            name = f"{verb} {n1} {obj}"
            desc = f"{verb.capitalize()} {n1} and {n2} {obj} using {tool} in {dom} settings."
            comps[cid] = Competency(cid, name, desc, achievement_id=aid)
            ids.append(cid)
        achs[aid] = ids
        domain_of[aid] = dom
    n_ext = int(round(n_achievements * external_share / (1.0 - external_share))) if external_share > 0 else 0
    issuers = [name.capitalize() for name in _tool_names(rng, 40)]
    for a in range(n_ext):
        dom = domains[a % len(domains)]
        nouns = _DOMAINS[dom]
        aid = f"X{a:05d}"
        issuer = issuers[int(rng.integers(len(issuers)))]
        tool = tools[int(rng.integers(len(tools)))]
        ids = []
        for k in range(int(rng.integers(1, max_competencies + 1))):
            verb = _VERBS[int(rng.integers(len(_VERBS)))]
            n1, n2 = rng.choice(nouns, size=2, replace=False)
            cid = f"{aid}-K{k}"
            name = f"{issuer} certified: {verb} {n1} and {n2}"
            desc = f"Holder can {verb} {n1} work and {n2} tasks with {tool} (level {a % 5 + 1}, unit {k + 1})."
            comps[cid] = Competency(cid, name, desc, achievement_id=aid)
            ids.append(cid)
        achs[aid] = ids
        domain_of[aid] = dom
    return SyntheticCatalogue(comps, achs, domain_of)


def make_earners(
    catalogue: SyntheticCatalogue, n_earners: int, *, seed: int = 0, min_credentials: int = 1,
    max_credentials: int = 6,
) -> SyntheticEarners:
    """``n_earners`` earners holding ``min..max_credentials`` credentials each (Zipf-like achievement popularity).

    Issue dates are uniform over 2018-01-01 .. 2025-12-31.
    """
    rng = np.random.default_rng(seed + 1)
    n_a = len(catalogue.achievements)
    counts = rng.integers(min_credentials, max_credentials + 1, size=n_earners)
    entry_earner = np.repeat(np.arange(n_earners, dtype=np.int32), counts)
    weights = 1.0 / (np.arange(n_a) + 10.0) ** 0.8
    popularity = rng.permutation(n_a)
    entry_achievement = popularity[
        rng.choice(n_a, size=entry_earner.size, p=weights / weights.sum())
    ].astype(np.int32)
    start = (date(2018, 1, 1) - date(1970, 1, 1)).days
    entry_issued = rng.integers(start, start + 8 * 365, size=entry_earner.size).astype(np.int32)
    return SyntheticEarners(EarnerIds(n_earners), entry_earner, entry_achievement, entry_issued)


def make_posting(catalogue: SyntheticCatalogue, *, seed: int = 0, n_requirements: int = 6) -> str:
    """A job posting asking for competencies of a few achievements of one domain, plus filler lines."""
    rng = np.random.default_rng(seed + 2)
    ach_ids = list(catalogue.achievements)
    dom = catalogue.domain_of[ach_ids[int(rng.integers(len(ach_ids)))]]
    same = [a for a in ach_ids if catalogue.domain_of[a] == dom]
    lines = [f"Job: {dom} specialist", _FILLER[int(rng.integers(len(_FILLER)))], "Requirements:"]
    for a in rng.choice(same, size=min(n_requirements, len(same)), replace=False):
        comp_ids = catalogue.achievements[str(a)]
        c = catalogue.competencies[comp_ids[int(rng.integers(len(comp_ids)))]]
        detail = c.description.split(" using ")[1] if " using " in c.description else c.description.split(" with ")[-1]
        lines.append(f"- Experience to {c.name}; {detail.rstrip('.')}")
    return "\n".join(lines)


def make_requirements(catalogue: SyntheticCatalogue, *, seed: int = 0, n_requirements: int = 6) -> list[Requirement]:
    """The requirement lines of :func:`make_posting` as a reader would return them: the first must-have, one
    in three a nice-to-have, the title and filler lines left out."""
    lines = make_posting(catalogue, seed=seed, n_requirements=n_requirements).split("\n")[3:]
    return [Requirement(line[2:], "nice_to_have" if i % 3 == 2 else "requirement", must_have=i == 0)
            for i, line in enumerate(lines)]


def build_synthetic_index(
    n_achievements: int, n_earners: int, *, seed: int = 0, config: MatchConfig | None = None
) -> tuple[EarnerIndex, SyntheticCatalogue, SyntheticEarners]:
    """Catalogue + earners + index in one call."""
    cat = make_catalogue(n_achievements, seed=seed)
    earners = make_earners(cat, n_earners, seed=seed)
    index = build_index_from_arrays(
        competencies=cat.competencies, achievements=cat.achievements, earner_ids=earners.earner_ids,
        entry_earner=earners.entry_earner, entry_achievement=earners.entry_achievement,
        entry_issued=earners.entry_issued, config=config,
    )
    return index, cat, earners
