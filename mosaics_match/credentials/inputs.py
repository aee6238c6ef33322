"""Bounded handling of untrusted input before any real parsing.

The verifier accepts bytes from anyone (uploads, e-mails, QR codes). Everything here is cheap and bounded: a
size limit, a JSON nesting limit checked by scanning brackets *before* ``json.loads`` (which would otherwise
recurse), content-based detection of the input kind (never the file extension), and
:func:`check_json_limits`, one linear walk over the parsed JSON that bounds the work JSON-LD processing will
do with it before any of that processing starts.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any

__all__ = [
    "InputError",
    "Limits",
    "MAX_CREDENTIAL_BYTES",
    "check_json_limits",
    "detect_kind",
    "json_depth_exceeds",
    "parse_json_bounded",
    "is_compact_jws",
    "PNG_SIGNATURE",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The closing quote is optional so that an unterminated string runs to the end of the text in one match: a
# pattern that must end in a quote fails and is retried from every later quote, which is quadratic.
_STRING_RE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
# Brackets become signed steps (+1 / -1 as a signed byte); every other byte is dropped.
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_JWS_RE = re.compile(r"^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")


class InputError(Exception):
    """Input rejected before parsing.

    Attributes
    ----------
    code : str
        Stable machine code (``too-large``, ``too-deep``, ``invalid-json``, ``not-an-object``,
        ``too-many-values``, ...).
    detail : str
        Plain-language explanation.
    pointer : str | None
        JSON Pointer (RFC 6901) to where the problem is, when there is one place.
    """

    def __init__(self, code: str, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.pointer = pointer


#: Largest credential accepted in any form (JSON, JWS, baked PNG or SVG). Real ones are well under 1 MB; a badge
#: image embedded as a data: URL is the big part. Every default in the engine that bounds one credential is this.
MAX_CREDENTIAL_BYTES = 4_000_000


@dataclass(frozen=True)
class Limits:
    """Resource limits applied while verifying one credential.

    Attributes
    ----------
    max_bytes : int
        Largest accepted input (credential JSON, JWS, PNG or SVG).
    max_json_depth : int
        Deepest accepted JSON nesting. Nested objects without ids are a chain of blank nodes whose
        canonicalization cost grows faster than their number (64 levels: 0.7 s), and real credentials nest
        about ten levels, so 32 (also the JWS parser's limit).
    max_document_bytes : int
        Largest fetched document (DID document, JWKS, status list credential).
    max_status_list_bits : int
        Largest decompressed status list, in bits (decompression bomb bound).
    min_status_list_bits : int
        Smallest acceptable status list (herd privacy, Bitstring Status List v1.0).
    max_proofs : int
        Most proofs examined in a proof set.
    max_status_entries : int
        Most ``credentialStatus`` entries examined.
    max_svg_nodes : int
        Most XML elements walked in an SVG.
    max_json_nodes : int
        Most JSON values in one document, counting every object, array, string, number, boolean and null
        (inline ``@context`` content included). Bounds the linear part of JSON-LD processing.
    max_values_per_property : int
        Most values one property of one node may have. JSON-LD processing compares each new value of a property
        with every value before it, so the cost grows with the square of this number. Counted the way JSON-LD
        reads the document: nested arrays, ``@set`` / ``@list`` and ``@nest`` objects add to the property
        around them, and every object with the same ``id`` is one node.
    max_value_comparisons : int
        Most such comparisons over the whole document: a property with ``n`` values costs ``n * (n - 1) / 2``.
        Bounds the total when many properties are long, which ``max_values_per_property`` alone does not.
    max_string_chars : int
        Longest string (value or key), in characters: room for a badge image embedded as a ``data:`` URL. All
        strings together are bounded by ``max_bytes``.
    max_contexts : int
        Most ``@context`` entries (URLs or inline objects) in one document, counted everywhere: each one is
        processed into the active context every time the node holding it is expanded.
    """

    max_bytes: int = MAX_CREDENTIAL_BYTES
    max_json_depth: int = 32
    max_document_bytes: int = 2_000_000
    max_status_list_bits: int = 16 * 8 * 1024 * 1024
    min_status_list_bits: int = 131_072
    max_proofs: int = 8
    max_status_entries: int = 16
    max_svg_nodes: int = 20_000
    max_json_nodes: int = 5_000
    max_values_per_property: int = 256
    max_value_comparisons: int = 100_000
    max_string_chars: int = 1_000_000
    max_contexts: int = 32


def json_depth_exceeds(data: bytes, max_depth: int) -> bool:
    """True when the JSON text nests deeper than ``max_depth`` (strings are ignored).

    Parameters
    ----------
    data : bytes
        UTF-8 JSON text (need not be valid).
    max_depth : int
        Largest allowed depth of ``[`` / ``{``.
    """
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    stripped = _STRING_RE.sub(b"", data) if b'"' in data else data
    # the running sum of the steps is the nesting depth after each bracket
    steps = memoryview(stripped.translate(_BRACKET_STEPS, _NOT_BRACKETS)).cast("b")
    return max(itertools.accumulate(steps), default=0) > max_depth


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_json_bounded(data: bytes | str, *, max_bytes: int, max_depth: int) -> object:
    """Parse JSON after checking its size and nesting.

    Parameters
    ----------
    data : bytes | str
        The JSON text.
    max_bytes : int
        Size limit in bytes.
    max_depth : int
        Nesting limit.

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    InputError
        ``too-large``, ``too-deep`` or ``invalid-json``.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise InputError("too-large", f"The input is larger than {max_bytes:,} bytes.")
    if json_depth_exceeds(raw, max_depth):
        raise InputError("too-deep", f"The JSON is nested deeper than {max_depth} levels.")
    try:
        text = raw.decode("utf-8-sig")
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InputError("invalid-json", "The input is not UTF-8 text.") from None
    except (ValueError, RecursionError) as exc:
        raise InputError("invalid-json", f"The input is not valid JSON ({exc}).") from None


# Keys every pinned context aliases to keywords; inline contexts may add more (collected while walking).
_PINNED_ALIASES = {"id": "@id", "type": "@type"}
# Containers whose JSON object is a map of values rather than a node.
_MAP_CONTAINERS = frozenset({"@id", "@type", "@index", "@language"})


class _MapKey(str):
    """A key of an ``@id`` / ``@index`` / ... map: part of a pointer, but not a property name."""


def _local_name(key: str) -> str:
    # "tag", "obi:tag" and "https://…/vocab.html#tag" can all name one property; counting them as one only
    # ever overcounts, which is the safe direction for a bound.
    cut = max(key.rfind("#"), key.rfind("/"), key.rfind(":"))
    return key[cut + 1:] or key


def _pointer(path: tuple | None) -> str:
    steps: list[str] = []
    while path is not None:
        path, step = path
        steps.append(str(step).replace("~", "~0").replace("/", "~1"))
    return "".join("/" + s for s in reversed(steps))


def _label(path: tuple | None) -> str:
    while path is not None:
        path, step = path
        if isinstance(step, str) and step != "@context" and not isinstance(step, _MapKey):
            return step if len(step) <= 80 else step[:77] + "…"
    return "the top level"


class _WorkBound:
    """State of one :func:`check_json_limits` walk."""

    def __init__(self, limits: Limits, what: str) -> None:
        self.limits = limits
        self.what = what
        self.nodes = 0
        self.contexts = 0
        self.comparisons = 0
        self.groups: dict[tuple, int] = {}
        self.first: dict[tuple, tuple | None] = {}
        self.aliases = dict(_PINNED_ALIASES)
        self.maps: set[str] = set()
        self.blank = itertools.count()

    def norm(self, key: str) -> str:
        alias = self.aliases.get(key)
        if alias is not None:
            return alias
        return key if key.startswith("@") else _local_name(key)

    def node(self, path: tuple | None) -> None:
        self.nodes += 1
        if self.nodes > self.limits.max_json_nodes:
            self.too_many_nodes(path)

    def too_many_nodes(self, path: tuple | None) -> None:
        limit = self.limits.max_json_nodes
        raise InputError("too-many-nodes", f"The {self.what} has more than {limit:,} JSON values (objects, arrays, "
                         f"strings, numbers and so on); the limit is {limit:,}.", _pointer(path))

    def array(self, items: list, group: tuple | None, path: tuple | None) -> None:
        """Refuse an array that is over a limit by its length alone, before stacking its items."""
        if group is not None and len(items) > self.limits.max_values_per_property:
            raise InputError("too-many-values", f"The {self.what} has {len(items):,} values under {_label(path)}; "
                             f"the limit is {self.limits.max_values_per_property:,}.", _pointer(path))
        if self.nodes + len(items) > self.limits.max_json_nodes:
            self.too_many_nodes(path)

    def count(self, group: tuple, path: tuple | None) -> None:
        n = self.groups.get(group, 0)
        if not n:
            while path is not None and isinstance(path[1], (int, _MapKey)):
                path = path[0]
            self.first[group] = path
        self.groups[group] = n + 1
        self.comparisons += n

    def scalar(self, value: Any, path: tuple | None) -> None:
        if isinstance(value, str):
            self.string(value, path, "A string")
        elif isinstance(value, float):
            if not math.isfinite(value):
                self.number(path)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > sys.float_info.max:
            self.number(path)

    def string(self, text: str, path: tuple | None, what: str) -> None:
        if len(text) > self.limits.max_string_chars:
            raise InputError("string-too-long",
                             f"{what} under {_label(path)} in the {self.what} is {len(text):,} characters long; "
                             f"the limit is {self.limits.max_string_chars:,}.", _pointer(path))

    def number(self, path: tuple | None) -> None:
        raise InputError("number-too-large",
                         f"A number under {_label(path)} in the {self.what} is too large to process (it does not "
                         "fit a 64-bit floating-point number).", _pointer(path))

    def context(self, value: Any, path: tuple | None) -> None:
        """Count an ``@context`` value and learn its keyword aliases and map containers."""
        # kinds: "context" (a context value: entries), "term" (a term definition), "plain" (anything inside)
        stack: list[tuple[Any, tuple | None, str]] = [(value, path, "context")]
        while stack:
            node, at, kind = stack.pop()
            self.node(at)
            if isinstance(node, list):
                self.array(node, None, at)
                stack.extend((v, (at, i), kind) for i, v in reversed(list(enumerate(node))))
                continue
            if kind == "context":
                self.contexts += 1
            if not isinstance(node, dict):
                self.scalar(node, at)
                continue
            for key, member in node.items():
                self.string(key, at, "A key")
                child = "plain"
                if kind == "context" and not key.startswith("@"):
                    child = "term"
                    self.learn(key, member)
                elif kind == "term" and key == "@context":
                    child = "context"
                stack.append((member, (at, key), child))

    def learn(self, term: str, definition: Any) -> None:
        if isinstance(definition, str) and definition.startswith("@"):
            self.aliases[term] = definition
        elif isinstance(definition, dict):
            target = definition.get("@id")
            if isinstance(target, str) and target.startswith("@"):
                self.aliases[term] = target
            container = definition.get("@container")
            if any(c in _MAP_CONTAINERS for c in (container if isinstance(container, list) else [container])
                   if isinstance(c, str)):
                self.maps.add(term)

    def run(self, root: Any) -> None:
        # Frame: value, group it is a value of (None: not a property value), path, owner given by the parent
        # (an @nest object's node, or the map key of an @id map), and whether the value is an @nest object.
        stack: list[tuple[Any, tuple | None, tuple | None, Any, bool]] = [(root, None, None, None, False)]
        while stack:
            node, group, path, owner, nested = stack.pop()
            self.node(path)
            if isinstance(node, list):
                self.array(node, group, path)
                stack.extend((v, group, (path, i), owner, nested) for i, v in reversed(list(enumerate(node))))
                continue
            if group is not None:
                self.count(group, path)
            if not isinstance(node, dict):
                self.scalar(node, path)
                continue
            if self.nodes + len(node) > self.limits.max_json_nodes:
                self.too_many_nodes(path)
            if "@context" in node:
                self.context(node["@context"], (path, "@context"))
            ident = None
            if nested:
                own = owner
            else:
                for key, value in node.items():
                    if isinstance(value, str) and self.norm(key) == "@id":
                        ident = value
                        break
                # every object with the same id is one node to JSON-LD, whose values add up
                own = ("id", ident) if ident is not None else owner if owner is not None else next(self.blank)
                if ident is not None and group is not None:
                    # a reverse property adds its holder to the referenced node's values
                    self.count((own, group[1]), path)
            pending: list[tuple[Any, tuple | None, tuple | None, Any, bool]] = []
            for key, value in node.items():
                if key == "@context":
                    continue
                self.string(key, path, "A key")
                at = (path, key)
                nk = self.norm(key)
                if nk in ("@set", "@list"):
                    pending.append((value, group, at, None, False))
                elif nk == "@nest":
                    pending.append((value, None, at, own, True))
                elif nk == "@reverse":
                    pending.append((value, None, at, next(self.blank), True))
                elif key in self.maps and isinstance(value, dict) and "@value" not in value:
                    self.node(at)
                    for map_key, member in value.items():
                        self.string(map_key, at, "A key")
                        pending.append((member, (own, nk), (at, _MapKey(map_key)), ("id", map_key), False))
                elif nk == "@id":
                    pending.append((value, None, at, None, False))
                else:
                    pending.append((value, (own, nk), at, None, False))
            stack.extend(reversed(pending))

    def finish(self) -> None:
        limits = self.limits
        if self.contexts > limits.max_contexts:
            raise InputError("too-many-contexts", f"The {self.what} has {self.contexts:,} @context entries; the "
                             f"limit is {limits.max_contexts:,}.")
        if not self.groups:
            return
        ranked = sorted(self.groups.items(), key=lambda kv: -kv[1])
        group, n = ranked[0]
        if n > limits.max_values_per_property:
            raise InputError("too-many-values", f"The {self.what} has {n:,} values under "
                             f"{_label(self.first[group])}; the limit is {limits.max_values_per_property:,}.",
                             _pointer(self.first[group]))
        if self.comparisons > limits.max_value_comparisons:
            lists: dict[str, list[int]] = {}
            for g, c in ranked:
                if c > 1:
                    lists.setdefault(_label(self.first[g]), []).append(c)
            parts = [f"{sizes[0]:,} values under {label}" if len(sizes) == 1 else
                     f"{len(sizes):,} lists of up to {sizes[0]:,} values under {label}"
                     for label, sizes in itertools.islice(lists.items(), 3)]
            more = f" and {len(lists) - 3:,} more" if len(lists) > 3 else ""
            raise InputError("too-many-comparisons",
                             f"The {self.what} has too many long lists of values ({'; '.join(parts)}{more}). "
                             f"Reading them takes {self.comparisons:,} value comparisons; the limit is "
                             f"{limits.max_value_comparisons:,}.", _pointer(self.first[group]))


def check_json_limits(value: Any, limits: Limits, *, what: str = "credential") -> None:
    """Bound the work JSON-LD processing would do with a parsed JSON document, before doing any of it.

    One iterative walk (no recursion, linear in the size of the document) counts JSON values, string lengths,
    number ranges, ``@context`` entries and the values of each property of each node, the way JSON-LD will
    group them: nested arrays, ``@set`` / ``@list`` and ``@nest`` objects add to the property around them,
    objects sharing an ``id`` are one node, the members of an ``@id`` / ``@index`` / ``@type`` / ``@language``
    map are values of the map's property, and keyword aliases from inline contexts are followed. Where JSON-LD
    could merge more than the walk can see, the walk merges too (it may overcount, never undercount).

    Parameters
    ----------
    value : Any
        Parsed JSON (``dict``, ``list``, ``str``, numbers, booleans, ``None``).
    limits : Limits
        ``max_json_nodes``, ``max_values_per_property``, ``max_value_comparisons``, ``max_string_chars`` and
        ``max_contexts`` are applied.
    what : str
        What the document is, for the message (``"credential"``, ``"status list"``, ``"DID document"``).

    Raises
    ------
    InputError
        ``too-many-nodes``, ``too-many-values``, ``too-many-comparisons``, ``string-too-long``,
        ``number-too-large`` or ``too-many-contexts``, with a plain-language ``detail`` such as "The credential
        has 5,000 values under tag; the limit is 256." and a JSON ``pointer`` where there is one place to point
        at.
    """
    walk = _WorkBound(limits, what)
    walk.run(value)
    walk.finish()


def is_compact_jws(text: str) -> bool:
    """True when ``text`` looks like a compact JWS whose header decodes to a JSON object with ``alg``."""
    text = text.strip()
    if len(text) > 8_000_000 or not _JWS_RE.match(text):
        return False
    head = text.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, TypeError):
        return False
    return isinstance(header, dict) and isinstance(header.get("alg"), str)


def detect_kind(data: bytes) -> str:
    """Detect what ``data`` is by content.

    Returns
    -------
    str
        ``"png"``, ``"svg"``, ``"json"``, ``"jws"`` or ``"unknown"``.
    """
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"<"):
        return "svg" if re.search(rb"<(?:[A-Za-z_][\w.-]*:)?svg[\s>/]", data[:65536]) else "unknown"
    if head.startswith(b'"'):
        # a JSON string holding a JWS, as some wallets export it
        try:
            inner = json.loads(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            return "unknown"
        return "jws" if isinstance(inner, str) and is_compact_jws(inner) else "unknown"
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return "unknown"
    return "jws" if is_compact_jws(text) else "unknown"


def jws_text(data: bytes) -> str:
    """Return the compact JWS held by ``data`` (raw or as a JSON string)."""
    text = data.decode("utf-8-sig").strip()
    if text.startswith('"'):
        text = json.loads(text)
    return text.strip()
