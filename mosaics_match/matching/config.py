"""Configuration of the skills-matching engine.

Every default below was chosen from measurements on the *dev* splits only (ESCO dev occupations, TECH/HOUSE
validation files); see ``bench/README_matching.md`` for the figures behind each choice. Figures quoted in the
attribute notes: Task A nDCG@10 on 600 dev occupations, Task B mean RP@5 on the TECH + HOUSE validation files,
Task E earner nDCG@10 on 150 dev occupations (``bench/bench_matching_quality.py --tune`` and the dev grids
described in the README).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Analyzer = Literal["word", "char_wb", "word+char_wb"]
PostingMode = Literal["whole", "max", "mix"]
Combine = Literal["max", "noisy_or", "capped_sum"]


@dataclass(frozen=True)
class MatchConfig:
    """Tunable knobs of the TF-IDF matcher.

    Attributes
    ----------
    analyzer
        ``"word"`` (word n-grams), ``"char_wb"`` (character n-grams inside word boundaries, robust to
        inflection and spelling variants) or ``"word+char_wb"`` (both blocks, concatenated and weighted by
        ``char_weight``). Default ``"word+char_wb"``: best on both dev tasks.
    word_ngram_range, char_ngram_range
        n-gram ranges of the word and char blocks. Word bigrams help sentences (RP@5 .448 vs .412 unigrams);
        char (2, 4) is on a par with (3, 5) but denser (slower), (3, 6) is worse.
    char_weight
        Share of the cosine given to the char block when ``analyzer == "word+char_wb"`` (0..1). 0.3 balances
        the two dev tasks (0.5: nDCG .317 / RP@5 .450; 0.3: .310 / .494).
    sublinear_tf
        Use ``1 + log(tf)``; damps repeated words in long descriptions (dev nDCG .304 vs .297 without,
        RP@5 unchanged).
    stop_words
        ``"english"`` to drop scikit-learn's English stop list from the word block, ``None`` to keep them
        (dev: RP@5 .448 vs .438 without; nDCG .304 vs .306, a wash).
    min_df, max_df
        Document-frequency cut-offs applied when fitting on the competency catalogue.
    char_max_df
        Extra document-frequency cut-off for the char block only: character n-grams found in more than this
        share of competencies (``"ing"``, ``" the"``) carry little signal but dominate query cost. 0.2 keeps dev
        quality (nDCG .311, RP@5 .496 vs .310 / .494 without the cut) and makes the requirement x competency
        product about 3x cheaper on ESCO; 0.05 loses RP@5 (.477).
    posting_mode
        How ``rank_competencies`` scores a competency against a multi-sentence posting: ``"whole"`` (cosine to
        the whole text), ``"max"`` (best cosine over the posting's requirements), or ``"mix"``
        (``mix_alpha * whole + (1 - mix_alpha) * max``). Default ``"whole"``: on dev occupations whole-text
        cosine beats splitting (nDCG@10 .317 whole, .304 mix, .278 max); sentences are one requirement anyway.
        Earner ranking always works per requirement (that is what coverage means).
    mix_alpha
        Weight of the whole-text cosine in ``"mix"`` mode.
    min_similarity
        Requirement-to-competency cosine below which a competency gives no credit for a requirement. Weak
        matches carry signal when several add up: on the dev earner task (E) nDCG@10 rises from .355 (0.125)
        and .378 (0.10) to .425 (0.05); 0.025 is within noise of 0.05 but makes more achievements relevant.
    covered_similarity, partial_similarity, covered_share, partial_share
        Status of a requirement for an earner, from the best held competency (cosine) and the share of the
        requirement's specific words that the held credential's competencies contain
        (:class:`~mosaics_match.matching.evidence.EvidenceTerms`: catalogue idf times a posting-side filler
        factor): *covered* needs ``covered_similarity`` and ``covered_share``, *partial* ``partial_similarity``
        and ``partial_share``; otherwise *missing* (nothing held comes close). A requirement that no competency
        of the whole catalogue reaches at ``partial_similarity`` is *not in the catalogue*: listed as missing
        for everyone and, with ``exclude_unmatchable``, left out of the score's denominator. The score does not
        use the shares. ``bench/bench_matching_quality.py --calibrate`` chooses them (``calibration.py``):
        *partial_similarity* on pairs built from the demo catalogue's ESCO alignments (the aligned skill's label
        or definition as the line; "at least as likely a match as not" at a prior of one right competency in 20);
        *covered* on 335 real lines of 10 demo postings paired with their three closest catalogue competencies
        and judged by a person (``tests/data/match_pairs/``): the thresholds at which *covered* is right at
        least 80 % of the time on half of the postings, covering the most real matches; *partial_share* the
        largest that reports none of that half's real matches missing. On the judged pairs, the cosine alone
        (covered at 0.119, chosen on the ESCO pairs) called 69 wrong pairs covered (precision 0.36; 0.30 on the
        check half); with the shares 5 (0.75; 0.67 on the check half), while 80 % of the real matches stay
        covered (97 % before; the rest are partial). One real match is below ``partial_similarity`` as a pair
        ("SQL (joins, aggregations)" / "Summarise data with aggregates": light stems keep the two words apart;
        an "-ation" -> "-ate" step bridged it but cost 0.016 of dev Task B), yet its holder sees the line as
        partial through the credential's "Write SQL queries" (tested). Shared everyday words were the cause:
        "building reports in Power BI, including data modelling" meets "Model buildings in Revit" at a cosine
        of 0.219 (above "Build interactive dashboards in Power BI", 0.192) with a share of 0.18 (0.53).
    full_similarity, credit_power
        The credit of a held competency for a requirement is ``min(1, sim / full_similarity) ** credit_power``
        when ``sim >= min_similarity`` and 0 otherwise (:func:`credit_of`). Defaults 1.0 and 0.75: no
        saturation and a mildly concave curve, so a strong single match no longer outweighs several moderate
        ones as much (breadth). Dev Task E at 100,000 earners (earner nDCG@10, 150 / 300 dev occupations):
        0.7 and 1 (the previous defaults) .3628 / .3279; 1.0 and 1 .3692 / .3331; 1.0 and 0.7 .3764 / .3371;
        1.0 and 0.8 .3744 / .3392; 0.7 and 0.7 .3721 / .3319; 1.0 and 0.5 .3284 on the 300. Tasks A and B
        rank competencies by cosine and are unaffected.
    per_requirement_top
        Only the best this-many achievements per requirement give credit; bounds query work (dev E: 100 costs
        .017 nDCG@10 against 200).
    combine
        How an earner's credentials combine per requirement: ``"max"`` (best single competency),
        ``"noisy_or"`` (``1 - prod(1 - credit)``: several pieces of evidence for a requirement add up, unrelated
        credentials contribute nothing) or ``"capped_sum"`` (default since 2026-11-30: ``min(1, sum of
        credits)``, each piece of evidence adds its full credit until the requirement is fully covered; it is
        never below noisy-or, so two moderate matches count more, which favours breadth). Dev E (100,000
        earners, light stems): capped sum .3898 / .3441 (150 / 300 occupations) against noisy-or .3834 /
        .3361; with capped sum ``credit_power`` 0.6 / 0.9 / 1 give .3841 / .3823 / .3770 on the 150 (0.75 stays).
        Earlier (Porter stems): noisy-or .435, max .317, naive one-vector-per-earner .258. Either way
        requirements are then averaged (coverage), the score stays in [0, 1], and holding extra unrelated
        credentials never lowers a score, unlike one TF-IDF vector per earner.
    whole_weight
        Share of an earner's score given to the whole posting text treated as one extra requirement (the rest
        is requirement coverage). Helps postings written as prose rather than as a list of requirements
        (dev E: .425 at 0, .435 at 0.3, .440 at 0.5; 0.3 keeps most of the score explainable per requirement).
    whole_as_sum
        The "whole posting" of ``whole_weight`` is the sum of the requirement vectors (each requirement counts
        once, whatever its length; no second product with the catalogue) rather than the TF-IDF vector of the
        posting text. Off: on the dev earner task it costs .012 nDCG@10 (.351 vs .363 at 100k earners) for
        about a third of the query's catalogue product.
    max_requirements
        Requirements kept from a posting (the first ones); protects against pasted novels.
    exclude_unmatchable
        Leave requirements that no competency in the catalogue reaches (``< min_similarity``) out of the score's
        denominator; they are still listed in ``Match.missing`` and by ``uncovered_requirements``.
    band_thresholds
        Score thresholds of the bands ``strong``, ``good``, ``partial`` (below the last: ``weak``). The score is
        the mean per-requirement credit, i.e. roughly the share of the posting's requirements the earner's
        verified competencies cover.
    n_terms
        Number of "why" terms reported per match.
    stemming
        Word features are stems (:mod:`~mosaics_match.matching.stem`): "joins, aggregations" meets "join and
        aggregate". ``True`` / ``"porter"``: Porter-style suffix stripping; ``"light"`` (default since
        2026-11-30): inflections only (plurals, -ed, -ing, British -ise), so "organ" / "organising" or
        "general" / "generate" stay apart. The generic-word table is kept per stemmer (it was keyed by Porter
        stems only, so with light stems it silently stopped applying). Dev, with the title block: light A
        .3783 / B .5514 / E .3834 (150 occupations) / .3361 (300 others) against Porter's .3793 / .5235 /
        .3745 / .3349 (light with the Porter-keyed table: .3785 / .5338 / .3834 / .3367); with the bench's ESCO
        titles fixed, A .3784 / B .5476 against Porter's .3794 / .5139. Without the title block light was not
        better (A .3785 / B .5025 against .3810 / .5047).
    generic_strength, generic_reference_share
        Down-weighting of words that are generic in job postings, learnt from posting sentences
        (:func:`~mosaics_match.matching.vocabulary.generic_factors`); 0 switches it off.
    title_weight
        Share of the cosine given to a third block: stemmed words of the competency's *title* alone (its name
        and ESCO labels, without the description), so a short requirement that names a skill meets its label
        without the description's words diluting it. 0.1 (dev, with the other defaults): Task B mean RP@5
        .5047 -> .5235, Task A nDCG@10 .3810 -> .3793, Task E .3760 -> .3745; 0.05 / 0.15 (with
        ``char_max_df`` 0.1): B .5140 / .5162; 0.2 loses on both (A .373, B .499).
    esco_enrichment
        Index a competency aligned to an ESCO skill with that skill's preferred and alternative labels too.
    must_have_weight, duty_weight, nice_to_have_weight
        Weight of a requirement in the coverage score, by how the posting states it: a ``Requirement`` of kind
        ``"requirement"`` weighs 1, ``"duty"`` ``duty_weight``, ``"nice_to_have"`` ``nice_to_have_weight``;
        ``must_have=True`` multiplies by ``must_have_weight``. The score is the weighted mean credit, so missing
        a must-have costs more than missing a nice-to-have, and covering many requirements beats covering one
        strongly.
    """

    analyzer: Analyzer = "word+char_wb"
    word_ngram_range: tuple[int, int] = (1, 2)
    char_ngram_range: tuple[int, int] = (3, 5)
    char_weight: float = 0.3
    sublinear_tf: bool = True
    stop_words: Literal["english"] | None = "english"
    min_df: int = 1
    max_df: float = 1.0
    char_max_df: float = 0.2
    posting_mode: PostingMode = "whole"
    mix_alpha: float = 0.5
    min_similarity: float = 0.05
    covered_similarity: float = 0.15
    partial_similarity: float = 0.064
    covered_share: float = 0.4
    partial_share: float = 0.05
    full_similarity: float = 1.0
    credit_power: float = 0.75
    per_requirement_top: int = 200
    combine: Combine = "capped_sum"
    whole_weight: float = 0.3
    max_requirements: int = 40
    exclude_unmatchable: bool = True
    band_thresholds: tuple[float, float, float] = (0.75, 0.5, 0.25)
    n_terms: int = 10
    stemming: bool | Literal["porter", "light"] = "light"
    generic_strength: float = 1.0
    generic_reference_share: float = 0.05
    generic_side: Literal["both", "query"] = "query"
    esco_enrichment: bool = True
    title_weight: float = 0.1
    whole_as_sum: bool = False
    must_have_weight: float = 2.0
    duty_weight: float = 1.0
    nice_to_have_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.analyzer not in ("word", "char_wb", "word+char_wb"):
            raise ValueError(f"unknown analyzer {self.analyzer!r}")
        if self.posting_mode not in ("whole", "max", "mix"):
            raise ValueError(f"unknown posting_mode {self.posting_mode!r}")
        if self.combine not in ("max", "noisy_or", "capped_sum"):
            raise ValueError(f"unknown combine {self.combine!r}")
        if not all(0.0 <= v <= 1.0 for v in (self.char_weight, self.mix_alpha, self.whole_weight)):
            raise ValueError("char_weight, mix_alpha and whole_weight must be in [0, 1]")
        if not 0.0 <= self.title_weight < 1.0:
            raise ValueError("title_weight must be in [0, 1)")
        if not 0.0 <= self.min_similarity < self.full_similarity <= 1.0:
            raise ValueError("need 0 <= min_similarity < full_similarity <= 1")
        if not 0.0 < self.credit_power <= 1.0:
            raise ValueError("credit_power must be in (0, 1]")
        if not 0.0 <= self.partial_similarity <= self.covered_similarity <= 1.0:
            raise ValueError("need 0 <= partial_similarity <= covered_similarity <= 1")
        if min(self.must_have_weight, self.duty_weight, self.nice_to_have_weight) < 0.0:
            raise ValueError("requirement weights must be >= 0")
        s, g, p = self.band_thresholds
        if not 1.0 >= s >= g >= p >= 0.0:
            raise ValueError("band_thresholds must be decreasing in [0, 1]")


def requirement_weight(kind: str, must_have: bool, config: MatchConfig) -> float:
    """Weight of one requirement in the coverage score (see ``MatchConfig.must_have_weight``)."""
    base = {"duty": config.duty_weight, "nice_to_have": config.nice_to_have_weight}.get(kind, 1.0)
    return base * (config.must_have_weight if must_have else 1.0)


def credit_of(sim, config: MatchConfig, floor: float | None = None):
    """Credit of a held competency for a requirement from their cosine ``sim`` (a float or an array):
    ``min(1, sim / full_similarity) ** credit_power`` from ``floor`` (default ``min_similarity``) up, else 0.
    Increasing in ``sim`` and within [0, 1], so the coverage score stays a weighted mean of values in [0, 1]."""
    lo = config.min_similarity if floor is None else floor
    s = np.asarray(sim, dtype=np.float64)
    c = np.minimum(1.0, np.maximum(s, 0.0) / config.full_similarity)
    if config.credit_power != 1.0:
        c = c ** config.credit_power
    out = np.where(s >= lo, c, 0.0)
    return float(out) if out.ndim == 0 else out


def band_for(score: float, config: MatchConfig) -> str:
    """Band label of a score: ``strong`` >= 0.75 > ``good`` >= 0.5 > ``partial`` >= 0.25 > ``weak`` (defaults)."""
    s, g, p = config.band_thresholds
    if score >= s:
        return "strong"
    if score >= g:
        return "good"
    if score >= p:
        return "partial"
    return "weak"
