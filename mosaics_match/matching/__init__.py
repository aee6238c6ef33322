"""Skills matching: rank earners for a job posting by TF-IDF coverage of its requirements by the competencies
of their verified micro-credentials. Pure scikit-learn / numpy / scipy (no UI, no database).

Typical use::

    index = build_index(competencies=..., credentials=..., holdings=...)
    for m in rank(index, posting, limit=20):
        print(m.earner_id, m.score, m.band, [c.requirement for c in m.covered], m.missing)
"""

from .competencies import (
    CompetencyIndex,
    EmptyCatalogueError,
    EmptyPostingError,
    build_competency_index,
    rank_competencies,
)
from .config import MatchConfig, band_for
from .earners import (
    Competency,
    Covered,
    CredentialRef,
    EarnerIndex,
    Match,
    build_index,
    build_index_from_arrays,
    rank,
)
from .gaps import (
    Recommendation,
    UncoveredReport,
    UncoveredRequirement,
    gap_recommendations,
    uncovered_requirements,
)
from .text import split_requirements

__all__ = [
    "Competency", "CompetencyIndex", "Covered", "CredentialRef", "EarnerIndex", "EmptyCatalogueError",
    "EmptyPostingError", "Match", "MatchConfig", "Recommendation", "UncoveredReport", "UncoveredRequirement",
    "band_for", "build_competency_index", "build_index", "build_index_from_arrays", "gap_recommendations",
    "rank", "rank_competencies", "split_requirements", "uncovered_requirements",
]
