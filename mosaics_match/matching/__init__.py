"""Skills matching: rank earners for a job posting by TF-IDF coverage of its requirements by the competencies
of their verified micro-credentials. Pure scikit-learn / numpy / scipy (no UI, no database).

Typical use::

    index = build_index(competencies=..., credentials=..., holdings=...)
    requirements = [Requirement("SQL (joins, aggregations)", must_have=True), Requirement("Power BI", "nice_to_have")]
    for m in rank(index, requirements, limit=20):
        print(m.earner_id, m.score, m.band, [c.requirement for c in m.covered], m.missing)
    n = count_covering(index, requirements, min_coverage=0.5)
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
    RequirementMatch,
    build_index,
    build_index_from_arrays,
    count_covering,
    rank,
)
from .gaps import (
    Recommendation,
    UncoveredReport,
    UncoveredRequirement,
    gap_recommendations,
    uncovered_requirements,
)
from .requirements import Requirement
from .text import split_requirements

__all__ = [
    "Competency", "CompetencyIndex", "Covered", "CredentialRef", "EarnerIndex", "EmptyCatalogueError",
    "EmptyPostingError", "Match", "MatchConfig", "Recommendation", "Requirement", "RequirementMatch",
    "UncoveredReport", "UncoveredRequirement", "band_for", "build_competency_index", "build_index",
    "build_index_from_arrays", "count_covering", "gap_recommendations", "rank", "rank_competencies",
    "split_requirements", "uncovered_requirements",
]
