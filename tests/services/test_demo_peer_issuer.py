"""The demo's second issuer: a fictional certification body with its own key and status list, generated at seeding,
whose credentials some demo earners hold, so a partner sees mixed evidence."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mosaics_match.credentials.verifier import VerifyContext, verify
from mosaics_match.services import demo
from mosaics_match.services import external_credentials as ext
from mosaics_match.services import matching as ms
from mosaics_match.store import repo
from mosaics_match.store.models import ExternalCredential, PeerDocument


@pytest.mark.storage
def test_the_second_issuer_is_seeded_once_with_its_own_key_and_list(seeded_rt) -> None:
    spec = demo.load_peer_issuer()
    with seeded_rt.Session() as session:
        did = repo.get_state(session, key=demo.PEER_MARKER)
        issuer = repo.get_issuer(session, identifier=did)
        rows = list(session.scalars(select(ExternalCredential)))
        body = repo.get_peer_document(session, url=spec["issuer"]["status_list"])
        local = repo.get_local_issuer(session)
    assert did.startswith("did:key:") and did != local.identifier
    assert issuer.trusted and issuer.counts_in_search and issuer.name == spec["issuer"]["name"]
    assert rows and {r.issuer_identifier for r in rows} == {did}
    assert {r.state for r in rows} == {"valid", "revoked"}
    assert all(r.status_etags == {spec["issuer"]["status_list"]: ext.content_digest(body)} for r in rows)
    # each kept document verifies as stored, against the list as published
    from mosaics_match.credentials.fetcher import DictFetcher

    ctx = VerifyContext(fetcher=DictFetcher({spec["issuer"]["status_list"]: body}))
    for row in rows[:5]:
        result = verify(row.document, ctx=ctx)
        assert result.verdict == ("valid" if row.state == "valid" else "invalid")
    assert demo.seed(seeded_rt, earners=5, workers=1).external == 0
    with seeded_rt.Session() as session:
        assert session.scalar(select(func.count()).select_from(ExternalCredential)) == len(rows)
        assert session.scalar(select(func.count()).select_from(PeerDocument)) == 1


@pytest.mark.storage
def test_the_demo_earner_holds_one_and_partners_see_mixed_evidence(seeded_rt) -> None:
    spec = demo.load_peer_issuer()
    with seeded_rt.Session() as session:
        account = repo.get_account(session, email=demo.DEMO_ACCOUNTS["earner"][0])
    mine = ext.list_credentials(seeded_rt, earner_id=account.earner_id)
    assert len(mine) == 1 and mine[0].issuer_name == spec["issuer"]["name"] and mine[0].state == "valid"
    assert ms.prepare_search(seeded_rt) >= 1
    index = ms.index_for(seeded_rt)
    assert index.n_external > 0
    posting = "- Provide first aid and CPR\n- Deploy cloud resources and monitor costs\n- Agile sprint planning"
    result = ms.run_search(seeded_rt, index, requirements=ms.read(posting).requirements(),
                           filters=ms.SearchFilters(min_score=0.0, limit=50), base_url="https://portal.example")
    issuers = {name for c in result.candidates for name in c.issuers}
    assert {"Seneca Polytechnic", spec["issuer"]["name"]} <= issuers


def test_the_second_issuers_content_file_is_checked(tmp_path) -> None:
    bad = tmp_path / "peer_issuer.json"
    bad.write_text('{"issuer": {"name": "X"}, "achievements": []}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"^peer_issuer\.json: "):
        demo.load_peer_issuer(bad)


@pytest.mark.storage
def test_staff_coverage_gaps_are_measured_against_senecas_catalogue_only(seeded_rt) -> None:
    with seeded_rt.Session() as session:
        mixed = ms.build_partner_index(session)
        assert mixed.n_external > 0
        gaps = ms.coverage_gaps(session, mixed)
        catalogue_only = ms.coverage_gaps(session, ms.build_partner_index(session, external=False))
    assert [(r.posting_id, r.requirement) for r in gaps.report.rows] == \
        [(r.posting_id, r.requirement) for r in catalogue_only.report.rows]
