"""What the matching engine scores: the requirements read from a job posting.

The posting reader (``mosaics_match.matching.posting``) turns a posting into lines of four kinds; only the
first three are scored. The engine's ranking and counting functions take a sequence of :class:`Requirement`;
a plain posting string is read by the reader first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Requirement", "RequirementKind", "LineKind"]

#: The kinds of scored lines.
RequirementKind = Literal["requirement", "nice_to_have", "duty"]
#: Every kind of posting line; ``boilerplate`` lines (intro, company blurb, headings, salary, benefits, schedule,
#: location, equal-opportunity and accessibility statements, how to apply, dates) are never scored.
LineKind = Literal["requirement", "nice_to_have", "duty", "boilerplate"]


@dataclass(frozen=True)
class Requirement:
    """One scored line of a posting.

    Attributes
    ----------
    text : str
        The line as the partner reads it (compound lines stay whole: "SQL (joins, aggregations)").
    kind : {"requirement", "nice_to_have", "duty"}
        How the posting states it.
    must_have : bool
        The partner marked it must-have: it weighs more in the score.
    """

    text: str
    kind: RequirementKind = "requirement"
    must_have: bool = False
