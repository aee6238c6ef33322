"""A requirement's status needs evidence that says what the requirement says, not two shared everyday words.

Every case is a line of a demo posting and a micro-credential of the demo catalogue, as a partner saw them in the
browser: before the share rule, each "wrong" pair below was reported *Covered*.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mosaics_match.matching import Competency, CredentialRef, MatchConfig, build_index, rank
from mosaics_match.matching.evidence import EvidenceTerms
from mosaics_match.matching.requirements import Requirement

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "catalogue.json"


@pytest.fixture(scope="module")
def one_credential_each():
    """An index where earner ``e:<slug>`` holds exactly the micro-credential ``<slug>`` of the demo catalogue."""
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    comps, creds, holdings = {}, {}, {}
    for ach in catalogue["achievements"]:
        for c in ach["competencies"]:
            cid = f"{ach['slug']}/{c['slug']}"
            comps[cid] = Competency(cid, c["name"], c["description"], c.get("esco_label"), ach["slug"],
                                    c.get("esco_uri"))
        creds[f"cred:{ach['slug']}"] = CredentialRef(achievement_id=ach["slug"])
        holdings[f"e:{ach['slug']}"] = [f"cred:{ach['slug']}"]
    index = build_index(competencies=comps, credentials=creds, holdings=holdings)
    index.inputs = {"competencies": comps, "credentials": creds, "holdings": holdings}
    return index, catalogue


def _slug_with(catalogue: dict, competency_name: str) -> str:
    return next(a["slug"] for a in catalogue["achievements"]
                if any(c["name"] == competency_name for c in a["competencies"]))


def _status(index, earner: str, line: str):
    [match] = [m for m in rank(index, [Requirement(line)], limit=1_000, min_score=0.0) if m.earner_id == earner] or [
        None]
    return ("missing", None) if match is None else (match.requirements[0].status, match.requirements[0].evidence)


POWER_BI = "Hands-on experience building reports in Power BI, including data modelling and DAX"


@pytest.mark.parametrize(("line", "wrong", "right"), [
    # shares only *build* and *model* with the Revit competency
    (POWER_BI, "Model buildings in Revit", "Build interactive dashboards in Power BI"),
    # shares only *test*: "A/B" is the word that says which testing
    ("Familiarity with A/B testing is an asset", "Plan testing for a software release",
     "Design and evaluate A/B tests"),
    # shares only *technical*
    ("Confident explaining charts to people without a technical background",
     "Use technical manuals and maintenance data", "Communicate statistical results to non-specialists"),
])
def test_shared_everyday_words_never_make_a_requirement_covered(one_credential_each, line: str, wrong: str,
                                                                right: str) -> None:
    index, catalogue = one_credential_each
    status, _ = _status(index, f"e:{_slug_with(catalogue, wrong)}", line)
    assert status != "covered", (line, wrong)
    status, evidence = _status(index, f"e:{_slug_with(catalogue, right)}", line)
    assert status in ("covered", "partial") and evidence is not None, (line, right)


@pytest.mark.parametrize(("line", "holding"), [
    ("Working knowledge of SQL (joins, aggregations)", "Join data across related tables"),
    ("Knowledge of inclusive practice is preferred", "Promote inclusion and belonging"),
    (POWER_BI, "Build interactive dashboards in Power BI"),
    ("Write SQL queries against client data warehouses (SQL Server, Snowflake) to pull data",
     "Write SQL queries to answer business questions"),
])
def test_a_held_requirement_is_covered_by_the_credential_that_says_it(one_credential_each, line: str,
                                                                       holding: str) -> None:
    index, catalogue = one_credential_each
    status, evidence = _status(index, f"e:{_slug_with(catalogue, holding)}", line)
    assert status == "covered", (line, holding)
    assert evidence is not None and evidence.credential_id == f"cred:{_slug_with(catalogue, holding)}"


def test_the_score_is_unchanged_only_the_status_reads_the_shares(one_credential_each) -> None:
    index, catalogue = one_credential_each
    loose_config = MatchConfig(covered_share=0.0, partial_share=0.0)  # a status from the cosine alone
    revit = f"e:{_slug_with(catalogue, 'Model buildings in Revit')}"

    def revit_match(idx):
        return next(m for m in rank(idx, [Requirement(POWER_BI)], limit=1_000, min_score=0.0) if m.earner_id == revit)

    strict = revit_match(index)
    # the same holdings and texts, statuses from the cosine alone: the attack the share rule stops
    loose_index = build_index(**index.inputs, config=loose_config)
    loose = revit_match(loose_index)
    assert loose.requirements[0].status == "covered"
    assert strict.requirements[0].status != "covered"
    assert strict.score == pytest.approx(loose.score) and strict.score > 0


def test_share_weights_words_the_catalogue_never_uses_the_most() -> None:
    terms = EvidenceTerms(["Write SQL queries", "Build dashboards in Power BI", "Build sheds"], MatchConfig())
    [sql, bi, shed] = terms.shares("SQL and Snowflake", [np.array([0]), np.array([1]), np.array([2])])
    assert bi == shed == 0.0 and 0.0 < sql < 0.5  # "snowflake" (unknown) outweighs the known "sql"
    [both] = terms.shares("Build Power BI dashboards", [np.array([1, 2])])
    [one] = terms.shares("Build Power BI dashboards", [np.array([2])])
    assert both == pytest.approx(1.0) and 0.0 < one < 0.5  # a group shares what any of its rows says
    assert terms.shares("", [np.array([0])]).tolist() == [0.0]
