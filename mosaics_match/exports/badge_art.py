"""Programmatic badge images for Mosaics micro-credentials.

Every badge is a flat-topped hexagon tiled with triangular "mosaic" tiles in shades of the school's colour, a
white hexagonal panel carrying the credential title (wrapped onto two or three lines) and the school name, and a
"SENECA MOSAICS" ribbon. :func:`badge_svg` and :func:`badge_png` draw the same geometry, computed once by
``_layout`` so the two formats cannot drift apart.

The colour comes from ``colour_seed``: an ``int`` picks a palette entry directly; a ``str`` that is a school
slug of the bundled catalogue gets that school's palette entry (distinct per school), any other string is
hashed into the palette, so the same seed always gets the same colour. The tile pattern is seeded by the
seed *and* the title, so badges of one school share a colour but differ in texture.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont

__all__ = ["PALETTE", "badge_png", "badge_svg", "school_colour"]

SIZE = 400
CX, CY = 200.0, 200.0
R_OUTER, R_MOSAIC, R_PANEL = 195.0, 183.0, 158.0
TILES_PER_SIDE = 9
TITLE_MAX_WIDTH = 232.0
TITLE_SIZES = (28, 26, 24, 22, 21, 20, 19, 18, 17, 16)
SCHOOL_MAX_WIDTH = 214.0
SCHOOL_SIZE = 12.5
BAND_TEXT = "SENECA MOSAICS"
BAND_TOP, BAND_HEIGHT = 286.0, 34.0
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SVG_FONT_FAMILY = "'DejaVu Sans', Verdana, 'Segoe UI', Arial, sans-serif"

# Hand-picked dark, saturated bases: white text stays readable on them and they look distinct side by side.
PALETTE: tuple[str, ...] = (
    "#0b6e69",  # teal
    "#8e1b3a",  # crimson
    "#3b3f9c",  # indigo
    "#2e6b30",  # forest
    "#b0530c",  # burnt orange
    "#6a2c8e",  # plum
    "#155a8a",  # ocean
    "#7a5c12",  # bronze
    "#a01f73",  # magenta
    "#37474f",  # slate
    "#4e6b12",  # olive
    "#1d3557",  # navy
)

Point = tuple[float, float]
Rgb = tuple[int, int, int]


# --------------------------------------------------------------------------------------------------- colour


def _stable_int(text: str) -> int:
    # hash() is salted per process; badges must be identical across runs and machines.
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@lru_cache(maxsize=1)
def _catalogue_school_positions() -> dict[str, int]:
    # Hashing ten slugs into twelve colours collides; the bundled catalogue's school order does not.
    from mosaics_match.inputs.content import ContentError, load_catalogue

    try:
        return {s.slug: i for i, s in enumerate(load_catalogue().schools)}
    except (ContentError, OSError):
        return {}


def school_colour(colour_seed: int | str) -> str:
    """Return the base colour (``#rrggbb``) used for a school's badges.

    Parameters
    ----------
    colour_seed
        ``int``: index into :data:`PALETTE` (modulo its length). ``str``: a school slug from the bundled
        catalogue gets its school's position (so catalogue schools never share a colour); any other string is
        hashed into the palette.

    Returns
    -------
    str
        Hex colour.
    """
    if isinstance(colour_seed, bool) or not isinstance(colour_seed, (int, str)):
        raise TypeError(f"colour_seed must be int or str, not {type(colour_seed).__name__}")
    if isinstance(colour_seed, int):
        index = colour_seed
    else:
        index = _catalogue_school_positions().get(colour_seed, _stable_int(colour_seed))
    return PALETTE[index % len(PALETTE)]


def _hex_to_rgb(colour: str) -> Rgb:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _rgb_to_hex(rgb: Rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _with_lightness(colour: str, lightness: float) -> str:
    r, g, b = (v / 255 for v in _hex_to_rgb(colour))
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    r2, g2, b2 = colorsys.hls_to_rgb(h, max(0.0, min(1.0, lightness)), s)
    return _rgb_to_hex((round(r2 * 255), round(g2 * 255), round(b2 * 255)))


# --------------------------------------------------------------------------------------------------- geometry


def _hexagon(r: float, cx: float = CX, cy: float = CY) -> list[Point]:
    """Flat-topped hexagon, vertices clockwise from the right-hand point."""
    return [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))) for a in range(0, 360, 60)]


def _inside_hexagon(p: Point, r: float) -> bool:
    dx, dy = abs(p[0] - CX), abs(p[1] - CY)
    h = r * math.sqrt(3) / 2
    return dy <= h + 1e-9 and dx <= r - dy / math.sqrt(3) + 1e-9


def _mosaic_tiles(r: float, n: int) -> list[list[Point]]:
    """Equilateral triangles that exactly partition a flat-topped hexagon of radius ``r``."""
    s = r / n
    h = s * math.sqrt(3) / 2
    tiles: list[list[Point]] = []
    for row in range(-n, n):
        y0, y1 = CY + row * h, CY + (row + 1) * h
        # Rows are offset by half a tile so the triangles meet the hexagon's slanted sides exactly.
        offset = 0.0 if row % 2 == 0 else s / 2
        for k in range(-2 * n - 1, 2 * n + 2):
            x = CX + k * s + offset
            for tri in (
                [(x, y0), (x + s, y0), (x + s / 2, y1)],
                [(x + s / 2, y1), (x + s * 1.5, y1), (x + s, y0)],
            ):
                centroid = (sum(p[0] for p in tri) / 3, sum(p[1] for p in tri) / 3)
                if _inside_hexagon(centroid, r) and all(_inside_hexagon(p, r) for p in tri):
                    tiles.append(tri)
    return tiles


# --------------------------------------------------------------------------------------------------- text


Measure = Callable[[str, float, bool], float]


@lru_cache(maxsize=64)
def _truetype(size_px: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = FONT_DIR / name
    if path.exists():
        return ImageFont.truetype(str(path), size_px)
    try:
        return ImageFont.load_default(size=size_px)
    except TypeError:  # Pillow built without FreeType: only the fixed bitmap font exists.
        return ImageFont.load_default()


def _measure(text: str, size: float, bold: bool) -> float:
    font = _truetype(max(1, round(size * 4)), bold)
    try:
        return float(font.getlength(text)) / 4
    except AttributeError:
        return 0.62 * size * len(text)


def _splits(words: Sequence[str], n_lines: int) -> list[list[str]]:
    """All ways to break ``words`` into exactly ``n_lines`` non-empty lines."""
    if n_lines > len(words):
        return []
    out = []
    for cuts in combinations(range(1, len(words)), n_lines - 1):
        bounds = (0, *cuts, len(words))
        out.append([" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])])
    return out


def _wrap_balanced(
    text: str, max_width: float, sizes: Sequence[float], max_lines: int, min_lines: int, measure: Measure, bold: bool
) -> tuple[list[str], float]:
    """Largest font size (from ``sizes``) at which ``text`` fits in ``max_lines`` balanced lines.

    Balanced means the widest line is as narrow as possible, which reads better on a badge than greedy wrapping.
    """
    words = text.split()
    if not words:
        return [], sizes[0]
    lo = min(min_lines, len(words))
    for size in sizes:
        best: tuple[float, list[str]] | None = None
        for n in range(lo, max_lines + 1):
            for lines in _splits(words, n):
                widest = max(measure(line, size, bold) for line in lines)
                if widest <= max_width and (best is None or widest < best[0]):
                    best = (widest, lines)
            if best is not None:
                break  # fewer lines at the same size is preferred
        if best is not None:
            return best[1], size
    # Nothing fits even at the smallest size: fill lines greedily and end the last one with an ellipsis.
    size = sizes[-1]

    def fit(line: str, suffix: str = "") -> str:
        while line and measure(line + suffix, size, bold) > max_width:
            line = line[:-1]
        return line.rstrip() + suffix

    lines: list[str] = []
    current = ""
    overflow = False
    for word in words:
        candidate = f"{current} {word}".strip()
        if measure(candidate, size, bold) <= max_width:
            current = candidate
        elif not current:  # a single word wider than the line; fit() below cuts it
            current = word
        elif len(lines) < max_lines - 1:
            lines.append(current)
            current = word
        else:
            overflow = True
            break
    lines.append(current)
    lines = [fit(line, "…") if measure(line, size, bold) > max_width else line for line in lines]
    if overflow and not lines[-1].endswith("…"):
        lines[-1] = fit(lines[-1], "…")
    return lines, size


# --------------------------------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Poly:
    points: list[Point]
    fill: str
    stroke: str | None = None
    stroke_width: float = 0.0


@dataclass(frozen=True)
class _Text:
    text: str
    x: float
    baseline: float
    size: float
    fill: str
    bold: bool
    letter_spacing: float = 0.0


@dataclass(frozen=True)
class _Layout:
    shapes: list[_Poly]
    texts: list[_Text]
    title: str


def _layout(achievement_name: str, school_name: str, colour_seed: int | str, measure: Measure) -> _Layout:
    base = school_colour(colour_seed)
    dark = _with_lightness(base, 0.17)
    rng = random.Random(_stable_int(f"{colour_seed}|{achievement_name}"))
    shades = [_with_lightness(base, lt) for lt in (0.22, 0.28, 0.34, 0.42, 0.52, 0.64)]
    weights = [3, 4, 4, 3, 2, 1]

    shapes = [_Poly(_hexagon(R_OUTER), dark)]
    for tri in _mosaic_tiles(R_MOSAIC, TILES_PER_SIDE):
        if all(_inside_hexagon(p, R_PANEL) for p in tri):
            continue  # hidden behind the panel; leaving it out keeps the SVG small
        shapes.append(_Poly(tri, rng.choices(shades, weights)[0], stroke=dark, stroke_width=0.8))
    shapes.append(_Poly(_hexagon(R_PANEL), "#ffffff", stroke=_with_lightness(base, 0.8), stroke_width=3.0))

    texts: list[_Text] = []
    title_lines, title_size = _wrap_balanced(
        achievement_name, TITLE_MAX_WIDTH, TITLE_SIZES, max_lines=3, min_lines=2, measure=measure, bold=True
    )
    school_lines, school_size = _wrap_balanced(
        school_name, SCHOOL_MAX_WIDTH, (SCHOOL_SIZE, 11.5, 10.5), max_lines=2, min_lines=1, measure=measure, bold=False
    )

    line_h = title_size * 1.18
    title_block = line_h * (len(title_lines) - 1)
    # Centre the title in the panel's upper part, leaving room below for the divider and school name.
    first_baseline = 176.0 - title_block / 2 + title_size * 0.35
    for i, line in enumerate(title_lines):
        texts.append(_Text(line, CX, first_baseline + i * line_h, title_size, dark, True))

    divider_y = first_baseline + title_block + 22.0
    for dx, shade in ((-14.0, shades[1]), (0.0, shades[3]), (14.0, shades[4])):
        x = CX + dx
        shapes.append(_Poly([(x - 6, divider_y + 5), (x, divider_y - 5), (x + 6, divider_y + 5)], shade))

    school_top = divider_y + 24.0
    school_h = school_size * 1.3
    school_top = min(school_top, BAND_TOP - 8.0 - school_h * (len(school_lines) - 1))
    for i, line in enumerate(school_lines):
        texts.append(_Text(line, CX, school_top + i * school_h, school_size, "#37474f", False))

    # Ribbon across the lower part of the badge, with notched tails for a "medal" look.
    t, b = BAND_TOP, BAND_TOP + BAND_HEIGHT
    mid = (t + b) / 2
    tail = _with_lightness(base, 0.12)
    shapes.append(_Poly([(14, t + 7), (58, t + 7), (58, b + 7), (14, b + 7), (26, mid + 7)], tail))
    shapes.append(_Poly([(386, t + 7), (342, t + 7), (342, b + 7), (386, b + 7), (374, mid + 7)], tail))
    shapes.append(_Poly([(44, t), (356, t), (356, b), (44, b)], base, stroke=dark, stroke_width=1.5))
    texts.append(_Text(BAND_TEXT, CX, mid + 6.0, 17.0, "#ffffff", True, letter_spacing=3.0))
    return _Layout(shapes, texts, achievement_name)


# --------------------------------------------------------------------------------------------------- SVG


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def badge_svg(achievement_name: str, school_name: str, colour_seed: int | str) -> str:
    """Draw a badge as a standalone 400x400 SVG document.

    Parameters
    ----------
    achievement_name
        Credential title; wrapped onto two or three lines (shrunk, then truncated with an ellipsis if very long).
    school_name
        Shown under the title.
    colour_seed
        Chooses the school colour; see :func:`school_colour`.

    Returns
    -------
    str
        SVG markup with ``width``, ``height`` and ``viewBox`` set, suitable for an Open Badges ``image``.
    """
    layout = _layout(achievement_name, school_name, colour_seed, _measure)
    label = f"{achievement_name} — {school_name} — Seneca Mosaics micro-credential"
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" '
        f'role="img" aria-label={quoteattr(label)}>',
        f"<title>{escape(label)}</title>",
    ]
    for s in layout.shapes:
        pts = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in s.points)
        stroke = (
            f' stroke="{s.stroke}" stroke-width="{_fmt(s.stroke_width)}" stroke-linejoin="round"' if s.stroke else ""
        )
        out.append(f'<polygon points="{pts}" fill="{s.fill}"{stroke}/>')
    for t in layout.texts:
        spacing = f' letter-spacing="{_fmt(t.letter_spacing)}"' if t.letter_spacing else ""
        # letter-spacing also pads the last glyph; shift by half a space so the text stays optically centred.
        x = t.x + t.letter_spacing / 2
        out.append(
            f'<text x="{_fmt(x)}" y="{_fmt(t.baseline)}" text-anchor="middle" font-family="{SVG_FONT_FAMILY}" '
            f'font-size="{_fmt(t.size)}" font-weight="{"700" if t.bold else "400"}" fill="{t.fill}"{spacing}>'
            f"{escape(t.text)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------------- PNG


def _draw_text(draw: ImageDraw.ImageDraw, t: _Text, scale: float) -> None:
    font = _truetype(max(1, round(t.size * scale)), t.bold)
    spacing = t.letter_spacing * scale
    widths = [float(font.getlength(ch)) for ch in t.text] if spacing else [float(font.getlength(t.text))]
    total = sum(widths) + spacing * (len(t.text) - 1 if spacing else 0)
    x = t.x * scale - total / 2
    y = t.baseline * scale
    chunks = list(t.text) if spacing else [t.text]
    for chunk, w in zip(chunks, widths):
        try:
            draw.text((x, y), chunk, font=font, fill=t.fill, anchor="ls")
        except (ValueError, TypeError):  # bitmap fonts do not support anchors
            draw.text((x, y - t.size * scale * 0.8), chunk, font=font, fill=t.fill)
        x += w + spacing


def badge_png(achievement_name: str, school_name: str, colour_seed: int | str, size: int = SIZE) -> bytes:
    """Render the same badge as :func:`badge_svg` to PNG bytes with Pillow.

    Parameters
    ----------
    achievement_name, school_name, colour_seed
        As for :func:`badge_svg`.
    size
        Edge length of the square output image in pixels.

    Returns
    -------
    bytes
        An RGBA PNG with a transparent background outside the hexagon.
    """
    if size < 16:
        raise ValueError("size must be at least 16 pixels")
    # Draw 3x larger and downsample: ImageDraw polygons are not anti-aliased.
    ss = 3
    scale = size * ss / SIZE
    layout = _layout(achievement_name, school_name, colour_seed, _measure)
    img = Image.new("RGBA", (size * ss, size * ss), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for s in layout.shapes:
        pts = [(x * scale, y * scale) for x, y in s.points]
        draw.polygon(pts, fill=s.fill)
        if s.stroke and s.stroke_width:
            draw.line([*pts, pts[0]], fill=s.stroke, width=max(1, round(s.stroke_width * scale)), joint="curve")
    for t in layout.texts:
        _draw_text(draw, t, scale)
    img = img.resize((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
