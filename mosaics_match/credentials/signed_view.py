"""The credential as its RDF signature sees it: a plain-JSON view built from the signed canonical N-Quads.

An ``eddsa-rdfc-2022`` (or ``Ed25519Signature2020``) signature covers the RDF graph of a credential, not its
JSON text. Many JSON documents have the same graph: a term may be written under its full IRI, as a value
object, inside a one-element array, with ``@index``, or next to a decoy that JSON-LD drops. A verifier that
reads plain JSON keys would then decide on facts the issuer never signed (a revoked credential whose
``credentialStatus`` moved under its full IRI reads as "no status"). So for graph-signed credentials every
check after the signature, and the card, read this view instead: it is rebuilt from the very N-Quads whose
hash was signed, with each predicate named by the term the pinned contexts define for it. A fact that is not
in the signed graph cannot appear in the view, and a signed fact under any JSON spelling appears under its
term.

The view keeps the shape the rest of the verifier reads (``credentialSubject.achievement.name``,
``credentialStatus[].statusListIndex`` ...): a property with one value holds it directly, several values become
a list, a node with properties becomes an object (with ``id`` when it has an IRI), typed literals become
Python values (``xsd:boolean`` → bool, ``xsd:integer`` → int, ``rdf:JSON`` → parsed JSON). RDF has no order:
lists follow the canonical order.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from typing import Any

from pyld import jsonld as _pyld

from . import jsonld
from .errors import ContextError

__all__ = ["SignedViewError", "signed_view", "parse_nquads", "term_maps"]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_HTTPS = "https://www.w3.org/2001/XMLSchema#"  # the OB 3.0 context writes some datatypes with https
VC_TYPE = "https://www.w3.org/2018/credentials#VerifiableCredential"
SEC_PROOF = "https://w3id.org/security#proof"
_INTEGER_TYPES = frozenset(ns + t for ns in (XSD, XSD_HTTPS) for t in (
    "integer", "nonNegativeInteger", "positiveInteger", "long", "int", "short", "unsignedInt", "unsignedLong"))

# One canonical N-Quads line (RDFC-1.0 output): subject, predicate, object, optional graph name.
_TERM = r'(<[^<>"{}|^`\\\s]*>|_:[A-Za-z0-9_.-]+|"[^"\\]*(?:\\.[^"\\]*)*"(?:\^\^<[^<>\s]*>|@[A-Za-z0-9-]+)?)'
_LINE = re.compile(r"^" + _TERM + r" (<[^<>\s]*>) " + _TERM + r"(?: (<[^<>\s]*>|_:[A-Za-z0-9_.-]+))? \.$")
_LITERAL = re.compile(r'^"([^"\\]*(?:\\.[^"\\]*)*)"(?:\^\^<([^<>\s]*)>|@([A-Za-z0-9-]+))?$')
_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))')
_SIMPLE_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class SignedViewError(ValueError):
    """The signed graph cannot be read as one credential (for example it holds two root credentials)."""


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def one(m: re.Match) -> str:
        if m.group(1) or m.group(2):
            return chr(int(m.group(1) or m.group(2), 16))
        return _SIMPLE_ESCAPES.get(m.group(3), m.group(3))

    return _ESCAPE.sub(one, text)


def _term(token: str) -> tuple[str, Any]:
    """``("iri", value)``, ``("bnode", label)`` or ``("literal", (value, datatype, language))``."""
    if token.startswith("<"):
        return "iri", _unescape(token[1:-1])
    if token.startswith("_:"):
        return "bnode", token
    m = _LITERAL.match(token)
    if m is None:
        raise SignedViewError(f"unreadable N-Quads literal {token[:60]!r}")
    return "literal", (_unescape(m.group(1)), m.group(2), m.group(3))


def parse_nquads(text: str) -> list[tuple[tuple[str, Any], str, tuple[str, Any], str | None]]:
    """Parse canonical N-Quads into ``(subject, predicate, object, graph)`` tuples.

    Raises
    ------
    SignedViewError
        On a line that is not an N-Quad.
    """
    out = []
    for line in text.splitlines():
        if not line:
            continue
        m = _LINE.match(line)
        if m is None:
            raise SignedViewError(f"unreadable N-Quads line {line[:80]!r}")
        s, p, o, g = m.groups()
        out.append((_term(s), _unescape(p[1:-1]), _term(o), g))
    return out


_maps_lock = threading.Lock()
_maps: tuple[dict[str, str], dict[str, tuple[str, ...]]] | None = None


def term_maps() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """IRI → term names, from every pinned product context (with its property- and type-scoped contexts).

    Returns
    -------
    properties : dict
        Predicate IRI → the term to show it under (a term starting with a lower-case letter wins, then the
        alphabetically first: one name per predicate, so a reader never has to look in two places).
    types : dict
        Class IRI → every capitalised term that names it (type checks test membership, so aliases such as
        ``AchievementCredential`` / ``OpenBadgeCredential`` are all kept).
    """
    global _maps
    with _maps_lock:
        if _maps is None:
            _maps = _build_term_maps()
        return _maps


def _build_term_maps() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    proc = _pyld.JsonLdProcessor()
    options = jsonld.document_loader_with({}).options(processingMode="json-ld-1.1")  # type: ignore[attr-defined]
    found: dict[str, set[str]] = defaultdict(set)
    done: set[str] = set()

    def collect(active: dict, depth: int) -> None:
        for term, definition in active["mappings"].items():
            if not definition:
                continue
            iri = definition.get("@id")
            if isinstance(iri, str) and not iri.startswith("@") and _pyld._is_absolute_iri(iri):
                found[iri].add(term)
            scoped = definition.get("@context")
            if scoped is None or depth >= 8:
                continue
            key = term + json.dumps(scoped, sort_keys=True)
            if key in done:
                continue
            done.add(key)
            collect(proc._process_context(active, scoped, options, override_protected=True), depth + 1)

    initial = proc._get_initial_context(options)
    for entry in jsonld.pinned_contexts():
        if entry.get("scope", "product") == "product":
            collect(proc._process_context(initial, [entry["url"]], options), 0)
    properties = {iri: sorted(terms, key=lambda t: (not t[:1].islower(), t))[0] for iri, terms in found.items()}
    # A class is named by its capitalised terms (the OB 3.0 context also maps some properties to class IRIs).
    types = {iri: tuple(sorted(t for t in terms if t[:1].isupper()) or sorted(terms)) for iri, terms in found.items()}
    return properties, types


def _literal(value: str, datatype: str | None, language: str | None) -> Any:
    if language is not None or datatype is None:
        return value
    if datatype in (XSD + "boolean", XSD_HTTPS + "boolean"):
        return {"true": True, "1": True, "false": False, "0": False}.get(value, value)
    if datatype in _INTEGER_TYPES and re.fullmatch(r"[+-]?\d{1,30}", value):
        return int(value)
    if datatype == RDF_JSON:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def signed_view(nquads: str, *, context: Any = None) -> dict:
    """The credential described by canonical N-Quads, as plain JSON named by the pinned contexts' terms.

    Parameters
    ----------
    nquads : str
        The canonical N-Quads of the credential *without* its proof: exactly the text whose hash was signed.
    context : Any
        The document's ``@context``, copied into the view (it decided how the JSON became this graph).

    Returns
    -------
    dict
        The view; only the default graph is read (proofs live in their own graphs and are checked apart).

    Raises
    ------
    SignedViewError
        When the graph does not hold exactly one root node typed ``VerifiableCredential``.
    """
    try:
        quads = parse_nquads(nquads)
        properties, types = term_maps()
    except ContextError as exc:  # pragma: no cover - pinned contexts are checked at load
        raise SignedViewError(exc.detail) from exc
    edges: dict[tuple[str, Any], list[tuple[str, tuple[str, Any]]]] = defaultdict(list)
    objects: set[tuple[str, Any]] = set()
    for s, p, o, g in quads:
        if g is not None or p == SEC_PROOF:
            continue  # proofs (and any other named graph) are not facts about the credential
        edges[s].append((p, o))
        if o[0] != "literal":
            objects.add(o)
    roots = [s for s, props in edges.items()
             if s not in objects and any(p == RDF_TYPE and o == ("iri", VC_TYPE) for p, o in props)]
    if len(roots) != 1:
        raise SignedViewError(f"the signed data holds {len(roots)} top-level credentials, not one")

    def node(subject: tuple[str, Any], path: frozenset) -> Any:
        out: dict[str, Any] = {}
        if subject[0] == "iri":
            out["id"] = subject[1]
        type_names: list[str] = []
        values: dict[str, list[Any]] = defaultdict(list)
        for p, o in edges.get(subject, ()):
            if p == RDF_TYPE and o[0] == "iri":
                for name in types.get(o[1], (o[1],)):
                    if name not in type_names:
                        type_names.append(name)
                continue
            key = properties.get(p, p)
            if o[0] == "literal":
                values[key].append(_literal(*o[1]))
            elif o in edges and o not in path:
                values[key].append(node(o, path | {o}))
            elif o[0] == "iri":
                values[key].append(o[1])
            else:
                values[key].append({})
        if type_names:
            out["type"] = type_names[0] if len(type_names) == 1 else type_names
        for key, vals in values.items():
            out[key] = vals[0] if len(vals) == 1 else vals
        return out

    root = roots[0]
    view = node(root, frozenset({root}))
    if context is not None:
        view = {"@context": context, **view}
    return view
