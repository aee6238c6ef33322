"""JSON-LD processing with pinned contexts only: document loader, RDFC-1.0 canonicalization, undefined terms.

Every context URL resolves to a file under ``contexts/`` listed in ``contexts/MANIFEST.json``; its SHA-256 is
checked when it is first loaded. Nothing is ever fetched from the network. Tests may add documents (e.g. the
VC examples context) with :func:`document_loader_with` or the :func:`extra_contexts` context manager; extras
can never replace a pinned URL.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyld import jsonld as _pyld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer
from pyld.nquads import serialize_nquad

from .errors import ContextError

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
MANIFEST_PATH = CONTEXTS_DIR / "MANIFEST.json"

LoaderFn = Callable[..., dict]


@lru_cache(maxsize=1)
def _manifest() -> tuple[dict, ...]:
    with MANIFEST_PATH.open("rb") as fh:
        data = json.load(fh)
    return tuple(data["contexts"])


def pinned_contexts() -> list[dict]:
    """Manifest entries of every pinned context.

    Returns
    -------
    list of dict
        Each with ``url``, ``file``, ``package``, ``version``, ``licence``, ``source`` and ``sha256``.
    """
    return [dict(e) for e in _manifest()]


def _load_pinned_file(entry: Mapping[str, str]) -> dict:
    raw = (CONTEXTS_DIR / entry["file"]).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != entry["sha256"]:
        raise ContextError(
            f"pinned context {entry['url']} ({entry['file']}) does not match its SHA-256 in the manifest",
            code="jsonld.context.integrity",
        )
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        raise ContextError(f"pinned context {entry['url']} is not a JSON object", code="jsonld.context.integrity")
    return doc


@lru_cache(maxsize=1)
def _pinned_documents() -> dict[str, dict]:
    return {e["url"]: _load_pinned_file(e) for e in _manifest() if e.get("scope", "product") == "product"}


def conformance_documents() -> dict[str, dict]:
    """Pinned contexts that only conformance tests need (manifest ``scope: "test"``), as ``{url: document}``.

    Pass them to :func:`document_loader_with` / :func:`extra_contexts`; the product loader never serves them.
    """
    return {e["url"]: _load_pinned_file(e) for e in _manifest() if e.get("scope") == "test"}


class _SafeLRU(_pyld.LRUCache):
    """cachetools' LRU cache is not thread-safe (a read reorders it); the portal verifies from many threads."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self._lock = threading.RLock()

    def __getitem__(self, key: Any) -> Any:
        with self._lock:
            return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        with self._lock:
            super().__delitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            return super().get(key, default)

    def pop(self, key: Any, *args: Any) -> Any:
        with self._lock:
            return super().pop(key, *args)

    def clear(self) -> None:
        with self._lock:
            super().clear()


class _Loader:
    """A pyld document loader over a fixed URL -> document map, with its own resolved-context cache.

    pyld's module-level cache is keyed by URL only; a private cache per loader keeps a test's extra
    documents from leaking into product processing.
    """

    def __init__(self, extra: Mapping[str, dict] | None = None) -> None:
        docs = dict(_pinned_documents())
        for url, doc in (extra or {}).items():
            if url in docs and docs[url] != doc:
                raise ContextError(f"cannot replace pinned context {url}", code="jsonld.context.override")
            if not isinstance(doc, dict):
                raise ContextError(f"extra document for {url} must be a JSON object", code="jsonld.context")
            docs[url] = copy.deepcopy(doc)
        self.documents = docs
        self.cache = _SafeLRU(200)
        self.memo = _SafeLRU(4096)
        self.analysis = _SafeLRU(256)
        self.shape_retained = _SafeLRU(256)
        self.shape_templates = _SafeLRU(512)
        terms: set[str] = set()
        _colon_terms(list(docs.values()), terms)
        self.colon_terms = frozenset(terms)

    def __call__(self, url: str, options: Any = None) -> dict:
        doc = self.documents.get(url)
        if doc is None:
            raise ContextError(f"context {url!r} is not pinned (network access is disabled)",
                               code="jsonld.context.unknown")
        # pyld rewrites relative IRIs inside the documents it is given; hand out copies.
        # tag "static" lets pyld's context resolver keep the processed context in this loader's cache.
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(doc), "tag": "static"}

    def resolver(self) -> ContextResolver:
        return ContextResolver(self.cache, self)

    def options(self, **extra: Any) -> dict:
        opts = {"documentLoader": self, "contextResolver": self.resolver(), "base": ""}
        opts.update(extra)
        return opts


class _MemoProcessor(_pyld.JsonLdProcessor):
    """pyld processor that memoizes context processing per loader.

    pyld caches processed *remote* contexts, but re-processes type- and property-scoped contexts on every
    node because each clone of an active context gets a fresh id. Processing is a pure function of (active
    context, local context, flags), and pyld never mutates a context after returning it, so returning the
    same object for the same inputs is safe and makes every later lookup a cache hit. Equality with plain
    pyld is property-tested.
    """

    def _process_context(self, active_ctx, local_ctx, options, override_protected=False, propagate=True,
                         validate_scoped=True, cycles=None):
        loader = options.get("documentLoader")
        memo = getattr(loader, "memo", None)
        uid = active_ctx.get("_uuid") if isinstance(active_ctx, Mapping) else None
        if memo is None or uid is None:
            return super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                            validate_scoped, cycles)
        try:
            key = (uid, json.dumps(local_ctx, sort_keys=True), override_protected, propagate, validate_scoped)
        except (TypeError, ValueError):
            return super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                            validate_scoped, cycles)
        hit = memo.get(key)
        if hit is None:
            hit = super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                           validate_scoped, cycles)
            memo[key] = hit
        return hit


_default_loader: _Loader | None = None
_override = threading.local()


def _current() -> _Loader:
    ov = getattr(_override, "stack", None)
    if ov:
        return ov[-1]
    global _default_loader
    if _default_loader is None:
        _default_loader = _Loader()
    return _default_loader


def _resolve_loader(loader: LoaderFn | None) -> _Loader:
    if loader is None:
        return _current()
    if isinstance(loader, _Loader):
        return loader
    raise TypeError("loader must come from document_loader_with()")


def clear_document_cache() -> None:
    """Forget remembered per-document results (canonical forms, lost terms); contexts stay processed.

    For benchmarks that must not re-time a document already seen.
    """
    _current().analysis.clear()


def clear_shape_cache() -> None:
    """Forget the shape templates (see ``_analyse_by_shape``) of the current loader."""
    ld = _current()
    ld.shape_templates.clear()
    ld.shape_retained.clear()


_issuing_loader: _Loader | None = None
_issuing_lock = threading.Lock()


def issuing_loader() -> LoaderFn:
    """The loader issuance canonicalizes with.

    Its caches are filled only by documents this portal builds and signs itself, never by a document someone
    submitted for verification, so what an issued credential's signature covers cannot depend on what was
    verified before it in the same process.
    """
    global _issuing_loader
    stack = getattr(_override, "stack", None)
    if stack:  # a test's extra_contexts() block in this thread (never set by the portal)
        return stack[-1]
    with _issuing_lock:
        if _issuing_loader is None:
            _issuing_loader = _Loader()
        return _issuing_loader


def available_contexts() -> frozenset[str]:
    """URLs of the contexts the current loader serves (the product's pinned ones, plus a test's extras)."""
    return frozenset(_current().documents)


def document_loader(url: str, options: Any = None) -> dict:
    """pyld document loader serving only pinned contexts (plus any active :func:`extra_contexts`).

    Raises
    ------
    ContextError
        For any URL that is not pinned (``code="jsonld.context.unknown"``) or a pinned file that fails its hash.
    """
    return _current()(url, options)


def document_loader_with(extra: Mapping[str, dict]) -> LoaderFn:
    """A loader serving the pinned contexts plus ``extra`` (``{url: document}``), for tests.

    ``extra`` may not change a pinned URL's document. The result can be passed as ``loader=`` to
    :func:`canonicalize`, :func:`expand` and :func:`undefined_terms`, or used directly with pyld.
    """
    return _Loader(extra)


@contextmanager
def extra_contexts(extra: Mapping[str, dict]) -> Iterator[LoaderFn]:
    """Temporarily (in this thread) make ``extra`` documents resolvable by the default loader.

    Examples
    --------
    >>> with extra_contexts({"https://www.w3.org/ns/credentials/examples/v2": {"@context": {"@vocab": "..."}}}):
    ...     canonicalize(doc)  # doctest: +SKIP
    """
    loader = _Loader(extra)
    stack = getattr(_override, "stack", None)
    if stack is None:
        stack = _override.stack = []
    stack.append(loader)
    try:
        yield loader
    finally:
        stack.remove(loader)


def _context_error(exc: BaseException) -> ContextError:
    cur: BaseException | None = exc
    while cur is not None:
        if isinstance(cur, ContextError):
            return cur
        cur = cur.__cause__ or cur.__context__
    msg = getattr(exc, "message", None) or str(exc)
    code = getattr(exc, "code", None)
    return ContextError(f"JSON-LD processing failed: {msg}" + (f" ({code})" if code else ""),
                        code="jsonld.invalid")


def expand(doc: dict, *, loader: LoaderFn | None = None,
           on_dropped: Callable[[str | None], Any] | None = None) -> list:
    """Expand ``doc`` with pinned contexts (pyld), optionally reporting dropped keys.

    Raises
    ------
    ContextError
        On an unknown context or invalid JSON-LD.
    """
    ld = _resolve_loader(loader)
    proc = _MemoProcessor(on_property_dropped=on_dropped) if on_dropped else _MemoProcessor()
    try:
        return proc.expand(doc, ld.options())
    except ContextError:
        raise
    except Exception as exc:  # pyld raises JsonLdError and, on odd input, plain Python errors
        raise _context_error(exc) from exc


def to_rdf_dataset(doc: dict, *, loader: LoaderFn | None = None) -> dict:
    """The RDF dataset (pyld's internal form) of ``doc``."""
    ld = _resolve_loader(loader)
    try:
        return _pyld.JsonLdProcessor().to_rdf(doc, ld.options(produceGeneralizedRdf=False))
    except Exception as exc:
        raise _context_error(exc) from exc


def canonicalize_pyld(doc: dict, *, loader: LoaderFn | None = None) -> str:
    """RDFC-1.0 canonical N-Quads computed entirely by pyld (the reference the fast path is tested against)."""
    ld = _resolve_loader(loader)
    try:
        return _pyld.JsonLdProcessor().normalize(
            doc, ld.options(algorithm="URDNA2015", format="application/n-quads"))
    except Exception as exc:
        raise _context_error(exc) from exc


def _dataset(doc: dict, ld: _Loader, dropped: set[str] | None) -> tuple[dict, list]:
    """Expand ``doc`` and build its RDF dataset (same steps as pyld's ``to_rdf``), keeping the expansion."""
    if dropped is None:
        proc = _MemoProcessor()
    else:
        proc = _MemoProcessor(on_property_dropped=lambda t: dropped.add(t if t is not None else ""))
    opts = ld.options(produceGeneralizedRdf=False, extractAllScripts=True, processingMode="json-ld-1.1")
    try:
        expanded = proc.expand(doc, opts)
        issuer = IdentifierIssuer("_:b")
        node_map: dict = {"@default": {}}
        proc._create_node_map(expanded, node_map, "@default", issuer)
        dataset = {}
        for graph_name, graph in sorted(node_map.items()):
            if graph_name == "@default" or _pyld._is_absolute_iri(graph_name):
                dataset[graph_name] = proc._graph_to_rdf(graph, issuer, opts)
    except ContextError:
        raise
    except Exception as exc:  # pyld raises JsonLdError and, on odd input, plain Python errors
        raise _context_error(exc) from exc
    return dataset, expanded


# Above this many blank nodes the general algorithm's worst case is a denial-of-service risk (RDFC-1.0 §4.4
# "poison graphs"); credentials have a handful.
MAX_BLANK_NODES = 1000


#: Most N-degree hash computations one canonicalization may make. Blank nodes that look alike (same first-degree
#: hash) make RDFC-1.0 try permutations of their neighbours: factorial work that a 3 kB document can make take
#: minutes. Credentials with unique first-degree hashes never get here; a few look-alikes cost tens of steps.
MAX_N_DEGREE_STEPS = 2_000


class _BoundedURDNA2015(URDNA2015):
    """pyld's RDFC-1.0 with a work budget (RDFC-1.0 §4.4 asks implementations to guard against poison graphs)."""

    def __init__(self) -> None:
        super().__init__()
        self._steps = 0

    def hash_n_degree_quads(self, *args: Any, **kwargs: Any) -> Any:
        self._steps += 1
        if self._steps > MAX_N_DEGREE_STEPS:
            raise ContextError(f"the document's blank nodes are too alike to canonicalize within "
                               f"{MAX_N_DEGREE_STEPS:,} steps", code="jsonld.too_complex")
        return super().hash_n_degree_quads(*args, **kwargs)


def _component(c: dict, label: Callable[[str], str] | None) -> dict:
    if label is not None and c["type"] == "blank node":
        return {"type": "blank node", "value": label(c["value"])}
    return c


def _serialize(quad: tuple[dict, dict, dict, dict | None], label: Callable[[str], str] | None) -> str:
    s, p, o, g = quad
    t = {"subject": _component(s, label), "predicate": p, "object": _component(o, label)}
    if g is None:
        return serialize_nquad(t, None)
    return serialize_nquad(t, _component(g, label)["value"])


def rdfc_from_dataset(dataset: dict) -> str:
    """RDFC-1.0 canonical N-Quads of a pyld RDF dataset.

    Fast path: when every blank node has a unique first-degree hash (the normal case for credentials), the
    canonical labels follow directly from sorting those hashes (RDFC-1.0 §4.4.3 step 5). Otherwise the full
    algorithm in pyld runs. The result is identical either way (property-tested against pyld).
    """
    quads: list[tuple[dict, dict, dict, dict | None]] = []
    by_bnode: dict[str, list[tuple[dict, dict, dict, dict | None]]] = {}
    for graph_name, triples in dataset.items():
        g = None
        if graph_name != "@default":
            g = {"type": "blank node" if graph_name.startswith("_:") else "IRI", "value": graph_name}
        for t in triples:
            q = (t["subject"], t["predicate"], t["object"], g)
            quads.append(q)
            # One entry per blank-node position, as RDFC-1.0's blank node to quads map (and pyld) does.
            for comp in (q[0], q[2], q[3]):
                if comp is not None and comp["type"] == "blank node":
                    by_bnode.setdefault(comp["value"], []).append(q)
    if len(by_bnode) > MAX_BLANK_NODES:
        raise ContextError(f"document has {len(by_bnode)} blank nodes (limit {MAX_BLANK_NODES})",
                           code="jsonld.too_complex")
    hashes: dict[str, str] = {}
    for ref, qs in by_bnode.items():
        def label(b: str, ref: str = ref) -> str:
            return "_:a" if b == ref else "_:z"

        lines = sorted(_serialize(q, label) for q in qs)
        hashes[ref] = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
    if len(set(hashes.values())) != len(hashes):
        return _BoundedURDNA2015().main(copy.deepcopy(dataset), {"format": "application/n-quads"})
    labels = {ref: f"_:c14n{i}" for i, ref in enumerate(sorted(hashes, key=hashes.__getitem__))}
    return "".join(sorted(_serialize(q, labels.__getitem__) for q in quads))


def canonicalize(doc: dict, *, loader: LoaderFn | None = None, strict: bool = False) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, using pinned contexts only.

    Parameters
    ----------
    doc
        A compacted JSON-LD document (e.g. a credential without its ``proof``).
    loader
        Optional loader from :func:`document_loader_with`; default: the pinned-context loader.
    strict
        If true, raise instead of silently dropping undefined terms or relative IRIs (see
        :func:`undefined_terms`).

    Returns
    -------
    str
        Canonical N-Quads, one per line, each ending in ``\\n``.

    Raises
    ------
    ContextError
        On an unknown context URL or invalid JSON-LD (``code="jsonld.context.unknown"`` /
        ``"jsonld.invalid"``); with ``strict``, ``code="jsonld.undefined_term"`` and ``pointer`` set.
    """
    canon, lost = _analyse(doc, _resolve_loader(loader))
    if strict and lost:
        raise ContextError(f"term(s) not defined by the @context would be dropped: {', '.join(lost)}",
                           code="jsonld.undefined_term", pointer=lost[0])
    return canon


def _doc_key(doc: dict) -> str | None:
    # The exact JSON text in document order: a result is only ever reused for the very same document.
    try:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None


def _analyse(doc: dict, ld: _Loader) -> tuple[str, tuple[str, ...]]:
    """Canonical N-Quads and lost terms of ``doc`` from one expansion, remembered by content.

    A verifier asks for both (the lossless check, then the proof); the key is the document's full JSON text,
    so a changed document is always processed afresh.
    """
    if not isinstance(doc, (dict, list)):
        # A string would be dereferenced as a URL by pyld; only in-memory documents are processed here.
        raise ContextError("JSON-LD input must be a JSON object or array", code="jsonld.invalid")
    key = _doc_key(doc)
    if key is not None:
        hit = ld.analysis.get(key)
        if hit is not None:
            return hit
    try:
        result = _analyse_by_shape(doc, ld) if key is not None and _PH_OPEN not in key else None
        if result is None:
            dropped: set[str] = set()
            dataset, expanded = _dataset(doc, ld, dropped)
            result = (rdfc_from_dataset(dataset), tuple(_lost(doc, expanded, dropped)))
    except RecursionError:
        raise ContextError("document is nested too deeply", code="jsonld.too_complex") from None
    if key is not None:
        ld.analysis[key] = result
    return result


# --- shape templates -----------------------------------------------------------------------------------------
# Credentials issued by one portal share a shape: the same keys, types, ids and contexts, different literal
# text. JSON-LD expansion of a string under a term whose definition makes it a plain literal does not depend on
# the string (only the term definition decides); so we expand a *template* of the document once, with each such
# string replaced by a unique placeholder, and keep its RDF dataset. A later document of the same shape gets its
# dataset by putting its strings in place of the placeholders, then canonicalizes as usual. A string position
# counts as literal only if its placeholder comes out of expansion exactly once, as a plain "@value" (not
# @json), and nowhere else (not in an IRI, @index, @language, ...); every other position keeps its real value in
# the cache key. Equality with plain pyld is property-tested.

_PH_OPEN, _PH_CLOSE = "\ue000", "\ue001"
_PH_RE = re.compile(_PH_OPEN + r"(\d+)" + _PH_CLOSE)
_PH_FULL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?" + _PH_OPEN + r"(\d+)" + _PH_CLOSE)
_SKELETON_STRING = {"\ue000": 0}  # stands for "a string was here" in the shape key (cannot occur in input)


def _walk_strings(node: Any, path: tuple, paths: list[tuple], values: list[str],
                  contexts: list | None = None) -> Any:
    """Skeleton of ``node`` with string leaves replaced; collects their paths and values (not in @context).

    With ``contexts``, also collects every embedded ``@context`` value.
    """
    if type(node) is str:
        paths.append(path)
        values.append(node)
        return _SKELETON_STRING
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "@context":
                out[k] = v
                if contexts is not None:
                    contexts.append(v)
            else:
                out[k] = _walk_strings(v, path + (k,), paths, values, contexts)
        return out
    if isinstance(node, list):
        return [_walk_strings(v, path + (i,), paths, values, contexts) for i, v in enumerate(node)]
    if isinstance(node, str):  # a str subclass: walk it like a string
        paths.append(path)
        values.append(node)
        return _SKELETON_STRING
    return node


def _fill(node: Any, path: tuple, repl: dict[tuple, str]) -> Any:
    if isinstance(node, str):
        return repl.get(path, node)
    if isinstance(node, dict):
        return {k: (v if k == "@context" else _fill(v, path + (k,), repl)) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, path + (i,), repl) for i, v in enumerate(node)]
    return node


def _placeholder_uses(expanded: Any, out: dict[int, int]) -> None:
    """Count placeholders appearing as a whole plain ``@value`` or as a whole ``@id``."""
    if isinstance(expanded, list):
        for item in expanded:
            _placeholder_uses(item, out)
    elif isinstance(expanded, dict):
        value = expanded.get("@value")
        if isinstance(value, str) and expanded.get("@type") != "@json":
            m = _PH_FULL.fullmatch(value)
            if m:
                i = int(m.group(1))
                out[i] = out.get(i, 0) + 1
        ident = expanded.get("@id")
        if isinstance(ident, str):
            m = _PH_FULL.fullmatch(ident)
            if m and not ident.startswith(_PH_OPEN):  # only IRI placeholders ("scheme:...") may become @id
                i = int(m.group(1))
                out[i] = out.get(i, 0) + 1
        for k, v in expanded.items():
            if k not in ("@value", "@id"):
                _placeholder_uses(v, out)


# An absolute IRI "scheme:rest" expands to itself unless "scheme" (or the whole value) is a term; its
# placeholder keeps the scheme, so the template shows whether that scheme is a term at that position.
_IRI_LIKE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):\S*")


def _colon_terms(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if ":" in k:
                out.add(k)
            _colon_terms(v, out)
    elif isinstance(node, list):
        for v in node:
            _colon_terms(v, out)


def _key_of(path: tuple) -> str | None:
    """The member name a string leaf sits under (array positions skipped)."""
    for step in reversed(path):
        if isinstance(step, str):
            return step
    return None


def _under_dropped(path: tuple, dropped: set[str]) -> bool:
    """Whether a member on ``path`` is one pyld dropped (the key decides that, before its value is looked at).

    A string leaf whose placeholder is absent from the expansion and that sits under a dropped key does not
    reach the RDF at all, whatever its value; it need not be kept real (e.g. ``jti`` in a VC 1.1 JWT payload).
    """
    return any(isinstance(step, str) and step in dropped for step in path)


def _analyse_by_shape(doc: Any, ld: _Loader) -> tuple[str, tuple[str, ...]] | None:
    paths: list[tuple] = []
    values: list[str] = []
    ctxs: list = []
    # The skeleton keeps the document's key order: placeholder i is the i-th string in document order, so two
    # documents may share a template only when their i-th strings sit at the same path (ordered shape).
    skeleton = json.dumps(_walk_strings(doc, (), paths, values, ctxs), ensure_ascii=False)
    if not paths:
        return None
    # Values that equal a term containing ":" would be replaced by that term's IRI: keep them real.
    terms = set(ld.colon_terms)
    _colon_terms([c for c in ctxs if not isinstance(c, str)], terms)
    # IRIs under pyld's placeholder base count as relative (see _collect_relative): never template them as IRIs.
    schemes = [m.group(1) if (m := _IRI_LIKE.fullmatch(v)) and v not in terms and not v.startswith(_PYLD_BASE)
               else None for v in values]
    index = {p: i for i, p in enumerate(paths)}
    # Types choose type-scoped contexts, so a templated type would change how its siblings expand: start with
    # every type (also inside a type array) and language/direction kept real.
    retained: frozenset[tuple] = ld.shape_retained.get(skeleton) or frozenset(
        p for p in paths if _key_of(p) in ("type", "@type", "@language", "@direction"))
    retained = retained | {p for p in paths if values[index[p]] in terms}
    for _ in range(4):
        kept = sorted(index[p] for p in retained)
        # The shape key: skeleton, real values where kept, and the scheme of every IRI-like templated value.
        key = (skeleton, tuple(kept), tuple(values[i] for i in kept),
               tuple(schemes[i] for i in range(len(paths)) if paths[i] not in retained))
        entry = ld.shape_templates.get(key)
        if entry is None:
            repl = {}
            for i, p in enumerate(paths):
                if p not in retained:
                    ph = f"{_PH_OPEN}{i}{_PH_CLOSE}"
                    repl[p] = f"{schemes[i]}:{ph}" if schemes[i] else ph
            template = _fill(doc, (), repl)
            dropped: set[str] = set()
            try:
                dataset, expanded = _dataset(template, ld, dropped)
            except ContextError:
                return None  # let the real document decide (it may be valid where the template is not)
            good: dict[int, int] = {}
            _placeholder_uses(expanded, good)
            seen: dict[int, int] = {}
            for m in _PH_RE.finditer(json.dumps(expanded, ensure_ascii=False)):
                i = int(m.group(1))
                seen[i] = seen.get(i, 0) + 1
            for graph in dataset:
                if _PH_RE.search(graph):
                    return None
            bad = {paths[i] for i in range(len(paths)) if paths[i] not in retained
                   and not (good.get(i) == 1 and seen.get(i) == 1)
                   and not (i not in seen and _under_dropped(paths[i], dropped))}
            if bad:
                retained = retained | bad
                ld.shape_retained[skeleton] = retained
                continue
            entry = (dataset, tuple(_lost(template, expanded, dropped)))
            ld.shape_retained[skeleton] = retained
            ld.shape_templates[key] = entry
        dataset, lost = entry
        return rdfc_from_dataset(_substitute(dataset, values)), lost
    return None


def _real(component: dict, values: list[str]) -> dict:
    m = _PH_FULL.fullmatch(component["value"])
    if m is None:
        return component
    i = int(m.group(1))
    # a literal placeholder is the whole value; an IRI placeholder is "scheme:" + placeholder
    return dict(component, value=values[i])


def _substitute(dataset: dict, values: list[str]) -> dict:
    out: dict[str, list] = {}
    for graph, triples in dataset.items():
        new: list = []
        seen: set = set()
        for t in triples:
            s_, o = t["subject"], t["object"]
            if _PH_OPEN in s_["value"] or _PH_OPEN in o["value"]:
                s_, o = _real(s_, values), _real(o, values)
                t = {"subject": s_, "predicate": t["predicate"], "object": o}
            # pyld's node map keeps one copy of equal values and merges nodes with equal ids; placeholders
            # were distinct, real values may not be, and RDF is a set: drop exact repeats.
            k = (s_["type"], s_["value"], t["predicate"]["value"], o["type"], o["value"], o.get("datatype"),
                 o.get("language"))
            if k in seen:
                continue
            seen.add(k)
            new.append(t)
        out[graph] = new
    return out


def undefined_terms(doc: dict, *, loader: LoaderFn | None = None) -> list[str]:
    """Places where ``doc`` uses something its contexts do not define, so JSON-LD processing would drop it.

    Reports keys that do not expand to an absolute IRI (``"/credentialSubject/foo"`` style JSON pointers, or
    the bare term when it cannot be located) and ``type`` / ``id`` values that stay relative IRIs (those
    triples vanish from the canonical form, so a signature would not cover them). Terms caught by an
    ``@vocab`` are defined and are not reported.

    Returns
    -------
    list of str
        Sorted, de-duplicated JSON pointers; empty when nothing would be lost.

    Raises
    ------
    ContextError
        On an unknown context URL or invalid JSON-LD.
    """
    return list(_analyse(doc, _resolve_loader(loader))[1])


def _lost(doc: dict, expanded: list, dropped: set[str]) -> list[str]:
    relative: set[str] = set()
    _collect_relative(expanded, relative)
    if not dropped and not relative:
        return []
    found: set[str] = set()
    seen: set[str] = set()
    _locate(doc, "", dropped, relative, found, seen)
    # Anything we could not locate is still reported by name so the check cannot pass silently.
    found.update(t for t in dropped | relative if t not in seen)
    return sorted(found)


# pyld resolves relative IRIs against this placeholder when the document has no base (jsonld.js would drop
# them instead); either way the value is not what the issuer wrote, so both count as undefined.
_PYLD_BASE = _pyld.DEFAULT_BASE_IRI


def _collect_relative(node: Any, out: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect_relative(item, out)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@type" and "@value" not in node:
                for t in value if isinstance(value, list) else [value]:
                    if isinstance(t, str) and not _is_absolute_or_blank(t):
                        out.add(t.removeprefix(_PYLD_BASE))
            elif key == "@id":
                if isinstance(value, str) and not _is_absolute_or_blank(value):
                    out.add(value.removeprefix(_PYLD_BASE))
            elif key == "@value":
                continue
            else:
                _collect_relative(value, out)


def _is_absolute_or_blank(iri: str) -> bool:
    return iri.startswith("_:") or (_pyld._is_absolute_iri(iri) and not iri.startswith(_PYLD_BASE))


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _locate(node: Any, path: str, dropped: set[str], relative: set[str], found: set[str], seen: set[str]) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _locate(item, f"{path}/{i}", dropped, relative, found, seen)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                continue
            p = f"{path}/{_escape(key)}"
            if key in dropped:
                found.add(p)
                seen.add(key)
                continue
            if relative and (key in ("type", "@type", "id", "@id") or isinstance(value, (str, list))):
                vals = value if isinstance(value, list) else [value]
                for i, v in enumerate(vals):
                    if isinstance(v, str) and (v in relative or v.removeprefix(_PYLD_BASE) in relative):
                        found.add(p if not isinstance(value, list) else f"{p}/{i}")
                        seen.add(v)
                        seen.add(v.removeprefix(_PYLD_BASE))
            _locate(value, p, dropped, relative, found, seen)


__all__ = [
    "ContextError", "pinned_contexts", "conformance_documents", "document_loader", "document_loader_with",
    "extra_contexts", "issuing_loader", "available_contexts",
    "canonicalize", "canonicalize_pyld", "clear_document_cache", "clear_shape_cache", "rdfc_from_dataset", "expand",
    "to_rdf_dataset",
    "undefined_terms",
]
