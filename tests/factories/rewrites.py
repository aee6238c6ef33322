"""RDF-equivalent rewrites of a JSON-LD credential, and the facts a verification shows and decides on.

An RDF signature (``eddsa-rdfc-2022``, ``Ed25519Signature2020``) covers the graph, not the JSON text. Each
rewrite here changes how one key path is *written* while leaving its triples alone:

``full-iri``      the key is replaced by the term's full IRI (read from the pinned contexts with
                  ``jsonld.expand``), its value written out so the term's type coercion still applies;
``value``         a string / boolean leaf becomes an explicit value object (``{"@value": ..., "@type": ...}``)
                  or, under an ``@id``-typed term, ``{"@id": ...}``;
``array``         a single value becomes a one-element array;
``nested-array``  the value is wrapped in one more array level (JSON-LD flattens arrays outside ``@list``);
``index``         the value (or each node / value object in it) carries an ``@index``, which makes no triple;
``decoy``         the short key holds ``{"@value": null, "@language": <text>}`` (dropped by JSON-LD) and the
                  full-IRI key holds the real value.

Whether a rewrite really is RDF-equivalent is decided by :func:`rdf_equivalent`, which canonicalizes with pyld
alone (``jsonld.canonicalize_pyld``), independent of the verifier's fast paths.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mosaics_match.credentials import jsonld

DECOY_TEXT = "Doctor of Medicine"
_PROBE = "urn:x-attack-probe:7f3c"


@dataclass(frozen=True)
class Term:
    """How the member at a key path expands: the term's full IRI, and the expanded form of each scalar in its
    value (``None`` for objects, which are written as they are)."""

    iri: str
    forms: tuple
    container: str | None  # "@list" / "@graph" when the term's values sit in such a container


def key_paths(doc: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every member path in ``doc`` (depth first, document order), skipping ``@context`` and ``proofValue``."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in ("@context", "proofValue"):
                continue
            yield path + (k,)
            yield from key_paths(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from key_paths(v, path + (i,))


def get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _parent(doc: Any, path: tuple) -> Any:
    return get(doc, path[:-1])


def _is_probe(item: Any) -> bool:
    return isinstance(item, dict) and (item.get("@value") == _PROBE or (item.get("@id") == _PROBE and len(item) == 1))


def _find_probe(node: Any, key: str | None = None, container: str | None = None) -> tuple | None:
    """Where the probe landed in an expanded document: ``(key, the value array holding it, container)``."""
    if isinstance(node, list):
        if any(_is_probe(item) for item in node):
            return key, node, container
        for item in node:
            hit = _find_probe(item, key, container)
            if hit:
                return hit
        return None
    if not isinstance(node, dict):
        return None
    for k, value in node.items():
        if k == "@type" and _PROBE in (value if isinstance(value, list) else [value]):
            return "@type", [], None
        if k in ("@list", "@graph"):
            hit = _find_probe(value if isinstance(value, list) else [value], key, k)
        elif k.startswith("@"):
            hit = _find_probe(value, key, container)
        else:
            hit = _find_probe(value if isinstance(value, list) else [value], k, None)
        if hit:
            return hit
    return None


def term_of(doc: dict, path: tuple) -> Term | None:
    """The term behind the member at ``path``, read from the pinned contexts by expanding a probe document.

    The member's value is replaced by ``[probe, *value]``: the probe shows which IRI the key expands to, and the
    items after it are the value's own expanded forms (with the term's type coercion, ``@vocab`` resolution and
    language applied). ``None`` for keywords and their aliases (``id``, ``type``), which have no IRI of their own.
    """
    if path[-1] in ("id", "type") or str(path[-1]).startswith("@"):
        return None
    value = get(doc, path)
    values = value if isinstance(value, list) else [value]
    probe = copy.deepcopy(doc)
    get(probe, path[:-1])[path[-1]] = [_PROBE, *copy.deepcopy(values)]
    hit = _find_probe(jsonld.expand(probe))
    if hit is None or hit[0] is None or hit[0].startswith("@"):
        return None
    iri, found, container = hit
    at = next(i for i, item in enumerate(found) if _is_probe(item))
    expanded = found[at + 1:at + 1 + len(values)]
    if len(expanded) != len(values):
        return None
    forms = tuple(None if isinstance(v, (dict, list)) else e for v, e in zip(values, expanded))
    return Term(iri, forms, container)


def explicit(value: Any, term: Term) -> Any:
    """``value`` written out so that it expands the same without the term's coercion (under its full IRI)."""
    if isinstance(value, list):
        return [v if f is None else f for v, f in zip(value, term.forms)]
    return value if term.forms[0] is None else term.forms[0]


def _replace_key(parent: dict, key: str, items: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in parent.items():
        if k == key:
            out.update(items)
        else:
            out[k] = v
    return out


def _with_parent(doc: dict, path: tuple, new_parent: Any) -> dict:
    out = copy.deepcopy(doc)
    if len(path) == 1:
        return new_parent
    holder = get(out, path[:-2])
    holder[path[-2]] = new_parent
    return out


def _indexed(value: Any, term: Term, text: str) -> Any:
    items = value if isinstance(value, list) else [value]
    out = []
    for v, form in zip(items, term.forms):
        target = v if form is None else form
        if not isinstance(target, dict) or "@list" in target or "@graph" in target:
            return None
        out.append({**target, "@index": text})
    return out if isinstance(value, list) else out[0]


KINDS = ("full-iri", "decoy", "value", "array", "nested-array", "index")


def rewrites(doc: dict, path: tuple, term: Term | None, *, text: str = DECOY_TEXT) -> Iterator[tuple[str, dict]]:
    """``(kind, rewritten document)`` for each rewrite that applies to the member at ``path``.

    ``text`` is what a decoy's ``@language`` and an ``@index`` carry (JSON-LD makes no triple of either).
    """
    key = path[-1]
    parent = copy.deepcopy(_parent(doc, path))
    value = parent[key]
    usable = term is not None and term.container is None
    if usable:
        assert term is not None
        yield "full-iri", _with_parent(doc, path, _replace_key(parent, key, [(term.iri, explicit(value, term))]))
        yield "decoy", _with_parent(doc, path, _replace_key(
            parent, key, [(key, {"@value": None, "@language": text}), (term.iri, explicit(value, term))]))
        if explicit(value, term) != value:
            yield "value", _with_parent(doc, path, _replace_key(parent, key, [(key, explicit(value, term))]))
    if key != "id" and not isinstance(value, list):
        yield "array", _with_parent(doc, path, _replace_key(parent, key, [(key, [value])]))
    if usable:
        nested = [value] if isinstance(value, list) else [[value]]
        yield "nested-array", _with_parent(doc, path, _replace_key(parent, key, [(key, nested)]))
    if usable:
        assert term is not None
        indexed = _indexed(value, term, text)
        if indexed is not None:
            yield "index", _with_parent(doc, path, _replace_key(parent, key, [(key, indexed)]))


def rewrite(doc: dict, path: tuple, kind: str, *, text: str = DECOY_TEXT) -> dict:
    """The ``kind`` rewrite of the member at ``path`` (the term's IRI read from the pinned contexts)."""
    for k, out in rewrites(doc, path, term_of(doc, path), text=text):
        if k == kind:
            return out
    raise AssertionError(f"no {kind} rewrite applies to {path}")


def all_rewrites(doc: dict, *, skip: tuple = ()) -> Iterator[tuple[tuple, str, dict]]:
    """``(path, kind, document)`` for every rewrite of every member path (paths starting with ``skip`` left out)."""
    for path in key_paths(doc):
        if path[0] in skip:
            continue
        for kind, out in rewrites(doc, path, term_of(doc, path)):
            yield path, kind, out


def _unsecured(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "proof"}


def _proof_configs(doc: dict) -> list:
    proofs = doc.get("proof")
    items = proofs if isinstance(proofs, list) else [proofs]
    return [{**{k: v for k, v in p.items() if k != "proofValue"}, "@context": doc.get("@context")}
            if isinstance(p, dict) else p for p in items]


def rdf_equivalent(a: dict, b: dict) -> bool:
    """Same canonical N-Quads (pyld alone) for the document and for every proof configuration."""
    try:
        if jsonld.canonicalize_pyld(_unsecured(a)) != jsonld.canonicalize_pyld(_unsecured(b)):
            return False
        ca, cb = _proof_configs(a), _proof_configs(b)
        return len(ca) == len(cb) and all(
            isinstance(x, dict) and isinstance(y, dict)
            and jsonld.canonicalize_pyld(x) == jsonld.canonicalize_pyld(y) for x, y in zip(ca, cb))
    except Exception:
        return False


# --- what the portal shows and decides on ----------------------------------------------------------------------

DECIDING_CHECKS = ("time.valid_from", "time.expiry", "status.revocation", "status.suspension")


def facts(result: Any) -> dict:
    """The card (summary) and every decision a person reads off a result, for comparison with the genuine one."""
    return {
        "summary": result.summary,
        "issuer_trusted": result.issuer_trusted,
        "recipient_match": result.recipient_match,
        **{cid: (result.check(cid).status, result.check(cid).message) for cid in DECIDING_CHECKS
           if result.check(cid) is not None},
    }


def _flatten(value: Any, prefix: str, out: dict) -> dict:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}", out)
    else:
        out[prefix] = value
    return out


def differences(expected: dict, got: dict) -> dict:
    """The facts that differ, field by field (``summary.issuer.name`` ...): ``{field: (genuine, observed)}``."""
    e, g = _flatten(expected, "", {}), _flatten(got, "", {})
    return {k[1:]: (e.get(k), g.get(k)) for k in sorted(e.keys() | g.keys()) if e.get(k) != g.get(k)}


# --- key-order swaps (the shape-template cache) -----------------------------------------------------------------

def sibling_string_pairs(doc: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, str]]:
    """``(object path, key a, key b)`` for every two members of one object that both hold strings."""
    if isinstance(doc, dict):
        keys = [k for k in doc if k != "@context"]
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if isinstance(doc[a], str) and isinstance(doc[b], str):
                    yield path, a, b
        for k, v in doc.items():
            if k != "@context":
                yield from sibling_string_pairs(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from sibling_string_pairs(v, path + (i,))


def swap(doc: dict, where: tuple, a: str, b: str) -> dict:
    """``doc`` with members ``a`` and ``b`` of the object at ``where`` trading places *and* values.

    The strings stay in the same document order and the key-sorted skeleton is unchanged; only which key holds
    which string differs (``a`` now holds ``b``'s value and the other way round).
    """
    out = copy.deepcopy(doc)
    node = get(out, where)
    items = [(b, node[a]) if k == a else (a, node[b]) if k == b else (k, v) for k, v in node.items()]
    node.clear()
    node.update(items)
    return out
