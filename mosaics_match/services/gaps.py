"""Coverage gaps for staff: lines of the saved job postings that no micro-credential comes close to.

The report is costly (it reads every posting and builds the matching index), so the page caches it by
:func:`data_version`; both functions open their own session from the runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mosaics_match.services import matching
from mosaics_match.services.matching import KIND_LABEL, CoverageGaps
from mosaics_match.store import repo

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime

__all__ = ["CoverageGaps", "KIND_LABEL", "data_version", "coverage_gaps", "gaps_csv"]


def data_version(rt: Runtime) -> int:
    """The version of the data the report is built from (bumped by issuing, status changes and consent).

    Parameters
    ----------
    rt : Runtime
        The portal runtime.

    Returns
    -------
    int
    """
    with rt.Session() as session:
        return repo.data_version(session)


def coverage_gaps(rt: Runtime) -> CoverageGaps:
    """The uncovered lines of every saved posting, read the way the match page reads them.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.

    Returns
    -------
    CoverageGaps
    """
    with rt.Session() as session:
        index = matching.build_partner_index(session)
        return matching.coverage_gaps(session, index)


def gaps_csv(gaps: CoverageGaps) -> str:
    """The report as CSV: posting, line, closest similarity and the line's kind."""
    return matching.gaps_csv(gaps.report, gaps.titles, gaps.kinds)
