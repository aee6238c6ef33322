"""The vocabulary bridge: stemming, ESCO alternative labels, posting-side generic-word weights, calibration."""

from __future__ import annotations

import numpy as np
import pytest

from mosaics_match.matching import Competency, CredentialRef, MatchConfig, Requirement, build_index, rank
from mosaics_match.matching.calibration import Pair, choose_thresholds, status_table
from mosaics_match.matching.stem import stem, stemmer
from mosaics_match.matching.vocabulary import (
    WordAnalyzer,
    esco_aliases,
    generic_factors,
    learn_generic_terms,
    load_vocabulary,
    split_esco_text,
)


@pytest.mark.parametrize("a, b", [("joins", "join"), ("aggregations", "aggregate"), ("organising", "organized"),
                                  ("analyse", "analysis"), ("modelling", "models"), ("programmer", "programming"),
                                  ("experienced", "experience"), ("queries", "query"), ("dashboards", "dashboard")])
def test_inflections_and_spellings_share_a_stem(a, b):
    assert stem(a) == stem(b)


@pytest.mark.parametrize("a, b", [("process", "product"), ("test", "text"), ("manage", "man"),
                                  ("data", "date"), ("care", "car")])
def test_different_words_keep_different_stems(a, b):
    assert stem(a) != stem(b)


def test_tokens_with_symbols_and_short_words_are_left_alone():
    assert [stem(w) for w in ("c++", "node.js", "s3", "sql", "aws")] == ["c++", "node.js", "s3", "sql", "aws"]
    assert WordAnalyzer((1, 2))("Joins and aggregations") == ["join", "aggreg", "join aggreg"]


def test_stemming_lets_inflected_requirements_match():
    comps = {"sql": Competency("sql", "Write SQL queries to join and aggregate data", achievement_id="A"),
             "bi": Competency("bi", "Build dashboards in Power BI", achievement_id="B")}
    creds = {"c1": CredentialRef("A"), "c2": CredentialRef("B")}
    reqs = [Requirement("SQL (joins, aggregations)")]
    on = build_index(competencies=comps, credentials=creds, holdings={"ann": ["c1"], "bo": ["c2"]},
                     config=MatchConfig(analyzer="word"))
    off = build_index(competencies=comps, credentials=creds, holdings={"ann": ["c1"], "bo": ["c2"]},
                      config=MatchConfig(analyzer="word", stemming=False))
    s_on = rank(on, reqs)[0].requirements[0].similarity
    s_off = rank(off, reqs)[0].requirements[0].similarity
    assert s_on > s_off > 0  # "sql" alone matches without stems; joins/aggregations add to it with them


def test_esco_alternative_labels_are_indexed_for_aligned_competencies():
    vocab = load_vocabulary()
    uri, aliases = next(iter(vocab["esco"].items()))
    label = next(lab for lab, u in vocab["esco_label"].items() if u == uri)
    assert esco_aliases(uri, None) == aliases == esco_aliases(None, label.upper())
    assert esco_aliases("http://example.org/unknown", "no such label") == ""
    # "administer cardiopulmonary resuscitation" and "CPR" are alternative labels of "provide first aid"
    fa = vocab["esco_label"]["provide first aid"]
    assert "cardiopulmonary" in vocab["esco"][fa].split()
    comps = {"k": Competency("k", "Respond to emergencies", "Call for help and keep the person safe",
                             esco_label="provide first aid", achievement_id="A", esco_uri=fa)}
    idx = {e: build_index(competencies=comps, credentials={"c": CredentialRef("A")}, holdings={"ann": ["c"]},
                          config=MatchConfig(analyzer="word", esco_enrichment=e)) for e in (True, False)}
    req = [Requirement("Current CPR (cardiopulmonary resuscitation) certificate")]
    assert rank(idx[True], req) and not rank(idx[False], req)


def test_split_esco_text_separates_labels_from_the_definition():
    aliases, definition = split_esco_text(
        "glue film reels attach film reels stick film reels Attach reels of film together.", "glue film reels")
    assert aliases == "glue film reels attach stick" and definition == "Attach reels of film together."


def test_split_esco_text_keeps_proper_nouns_of_the_label():
    # Without the label the first capitalised word ends the labels: "Haskell" and "Finnish" did.
    assert split_esco_text("Haskell Haskell techniques The techniques of software development.", "Haskell") == (
        "Haskell techniques", "The techniques of software development.")
    aliases, definition = split_esco_text(
        "write Finnish correspond in written Finnish Compose written texts in Finnish.", "write Finnish")
    assert aliases.startswith("write Finnish correspond") and definition == "Compose written texts in Finnish."


def test_generic_posting_words_weigh_less_than_specific_ones():
    docs = ["5 years experience with Python", "experience in a team", "strong team player with experience",
            "experience with SQL", "welding experience"] * 3
    table = learn_generic_terms(docs)
    assert table["n_docs"] == 15 and table["df"]["experi"] == 15
    f = dict(zip(["experi", "team", "python", "unknown", "python experi"],
                 generic_factors(["experi", "team", "python", "unknown", "python experi"], 1.0, 0.2, table)))
    assert f["experi"] < f["team"] < f["python"] <= f["unknown"] == 1.0
    assert f["python experi"] == pytest.approx(np.sqrt(f["python"] * f["experi"]))
    assert (generic_factors(["experi"], 0.0, 0.2, table) == 1.0).all()
    shipped = dict(zip(["experi", "sql"], generic_factors(["experi", "sql"], 1.0, 0.01)))
    assert shipped["experi"] < shipped["sql"]


@pytest.mark.parametrize("mode", [True, "porter", "light", False])
def test_shipped_generic_table_follows_the_configured_stemmer(mode):
    # The table is keyed by the same stems as the word features: with light stems (or none) "experience" must
    # still be down-weighted, not silently unknown (factor 1).
    f = stemmer(mode) or (lambda w: w)
    feats = [f("experience"), f("sql")]
    got = dict(zip(feats, generic_factors(feats, 1.0, 0.05, stemming=mode)))
    assert got[f("experience")] < 0.8 and got[f("sql")] == 1.0


def test_thresholds_follow_the_labelled_pairs():
    rng = np.random.default_rng(0)
    pos = rng.uniform(0.2, 0.6, 200)
    neg = np.r_[rng.uniform(0.0, 0.1, 1900), rng.uniform(0.1, 0.3, 100)]
    sims = np.r_[pos, neg]
    labels = np.r_[np.ones(200, bool), np.zeros(2000, bool)]
    partial, covered = choose_thresholds(sims, labels, prior=0.05, covered_precision=0.8, partial_precision=0.5)
    assert 0.09 <= partial < covered <= 0.6
    # above "covered", at a 1:19 prior, 80 % of the pairs are real matches
    tpr, fpr = (pos >= covered).mean(), (neg >= covered).mean()
    assert 0.05 * tpr / (0.05 * tpr + 0.95 * fpr) >= 0.8
    pairs = [Pair("c", "t", bool(x), "label", "g") for x in labels]
    table = status_table(sims, pairs, partial, covered)
    assert table["positive covered"] + table["positive partial"] + table["positive missing"] == pytest.approx(1.0)
    assert table["negative missing"] > 0.9


def test_light_stemming_merges_inflections_only():
    from mosaics_match.matching.stem import light_stem, stemmer

    assert light_stem("joins") == light_stem("join")
    assert light_stem("managing") == light_stem("manage") == light_stem("manages")
    assert light_stem("organising") == light_stem("organized")
    assert light_stem("organ") != light_stem("organising")  # Porter merges these
    assert light_stem("general") != light_stem("generate")
    assert light_stem("c++") == "c++" and stemmer(False) is None and stemmer("light") is light_stem
    from mosaics_match.matching import MatchConfig, build_competency_index

    ci = build_competency_index([("a", "Join data across tables"), ("b", "Organise events")],
                                config=MatchConfig(stemming="light"))
    sims = ci.similarities(["joins", "organising"])
    assert sims[0, 0] > 0 and sims[1, 1] > 0 and sims[0, 1] == 0 and sims[1, 0] == 0
