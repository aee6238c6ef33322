"""How an added credential's signed achievement becomes competencies for the matching index (no database)."""

from __future__ import annotations

from mosaics_match.services import external_credentials as ext


def test_competencies_come_from_alignments_criteria_and_description() -> None:
    content = {"name": "Cloud Practitioner", "description": "Deploy web apps on managed cloud services. Monitor "
               "costs.", "criteria": "- Pass a 65-question exam\n- Build a serverless API",
               "alignments": [{"targetName": "use cloud computing", "targetFramework": "ESCO",
                               "targetUrl": "http://data.europa.eu/esco/skill/abc",
                               "targetDescription": "Work with cloud platforms."}]}
    comps = ext.competencies_of("k1", content)
    assert [c.name for c in comps] == ["use cloud computing", "Pass a 65-question exam", "Build a serverless API",
                                       "Deploy web apps on managed cloud services.", "Monitor costs."]
    assert comps[0].esco_uri == "http://data.europa.eu/esco/skill/abc" and comps[0].esco_label == comps[0].name
    assert all(c.id.startswith("xk1-") for c in comps)
    flood = {"name": "x", "description": ". ".join(f"Skill number {i}" for i in range(500)), "alignments": []}
    assert len(ext.competencies_of("k2", flood)) == ext.MAX_COMPETENCIES


def test_evidence_links_are_https_pages_that_can_exist() -> None:
    assert ext.evidence_link({"achievement_id": "https://college.ca/a/1"}, "urn:uuid:1") == "https://college.ca/a/1"
    assert ext.evidence_link({"achievement_id": "https://college.ca/a/1"}, "https://college.ca/c/9") == \
        "https://college.ca/c/9"
    assert ext.evidence_link({"achievement_id": "http://college.ca/a/1"}, None) is None
    assert ext.evidence_link({"achievement_id": "https://bayline-certification.example/a/1"}, None) is None
