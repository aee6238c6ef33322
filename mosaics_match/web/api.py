"""HTTP routes of the portal: what verifiers need to check Seneca credentials, and a verification API.

Plain Starlette endpoints calling the domain (no Streamlit here); ``asgi.py`` mounts them beside the Streamlit UI
with ``st.App(routes=...)``, and :func:`create_api_app` serves them alone (tests, a separate API process).

Routes
------
``GET /.well-known/did.json`` (and ``/{path}/did.json`` for a did:web with a path)
    The issuer's did:web document: every key held here, current and retired, as ``Multikey`` methods.
``GET /.well-known/jwks.json``
    The same keys as a JWK Set (``kid`` = verification method id).
``GET /status/{purpose}-{n}``
    A signed Bitstring Status List credential (ETag = list version); kept in memory for the current data version
    (:mod:`mosaics_match.web.published`), so a conditional request is answered ``304`` without loading it.
``GET /credentials/{id}[?format=json|jwt|png|svg]``
    A credential its earner made public, as JSON, its VC-JWT, or a baked badge image.
``POST /api/v1/verify``
    A credential in (JSON, JWT, PNG, SVG or multipart), the verification result out. Size-bounded, rate-limited.
``POST /credentials/verify``
    The W3C VC-API verifier: ``{"verifiableCredential": {...}, "options": {...}}`` in, a ``VerificationResult``
    out (200 verified, 400 not). Same verification service, size bound and rate limit as ``/api/v1/verify``.
``GET /achievements/{slug}.svg|png``
    The badge image an issued Achievement names as its ``image``.
``GET /api/v1/openapi.json``
    OpenAPI 3.1 description.

Every error is an RFC 9457 ``application/problem+json`` document; no traceback ever reaches a client.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mosaics_match.credentials.did_web import document_path as did_web_document_path
from mosaics_match.credentials.verifier.results import PROBLEM_BASE
from mosaics_match.limits import LIMITS
from mosaics_match.runtime import Runtime, open_runtime
from mosaics_match.services.did_documents import did_document, held_keys, jwk_set
from mosaics_match.web.proxies import TrustedProxies, request_origin, resolve_client
from mosaics_match.web.published import Published, PublishedCache, etag_of
from mosaics_match.web.ratelimit import TokenBucketLimiter

__all__ = [
    "ApiConfig", "LazyRuntime", "Problem", "build_routes", "create_api_app", "problem_response",
    "did_web_document_path", "verification_body", "vc_api_result", "PROBLEM_BASE",
]

LOG = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_LIST_NAME = re.compile(r"^(revocation|suspension)-([1-9][0-9]{0,8})$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CREDENTIAL_FORMATS = ("json", "jwt", "png", "svg")


@dataclass(frozen=True)
class ApiConfig:
    """Limits of the HTTP API.

    Attributes
    ----------
    max_body_bytes : int
        Largest request body accepted by ``POST /api/v1/verify`` and ``POST /credentials/verify`` (the engine's
        own input limit).
    verify_rate : float
        Verifications per second per client IP (token refill rate), per replica; both verify routes draw on the
        same bucket.
    verify_burst : int
        Verifications a client may make at once after a quiet period.
    status_max_age : int
        ``Cache-Control: max-age`` of status lists, seconds. Short: a revocation should reach verifiers soon.
    keys_max_age : int
        ``max-age`` of the DID document and JWK Set.
    """

    max_body_bytes: int = LIMITS.credential_bytes
    verify_rate: float = 1.0
    verify_burst: int = 30
    status_max_age: int = 60
    keys_max_age: int = 300


class LazyRuntime:
    """Opens the portal runtime (engine, migrations) once, on first use, from any thread.

    Parameters
    ----------
    factory : callable, optional
        Builds the runtime; default :func:`mosaics_match.runtime.open_runtime` with the process settings.
    """

    def __init__(self, factory: Callable[[], Runtime] | None = None) -> None:
        self._factory = factory or open_runtime
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Runtime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._factory()
        return self._runtime

    def opened(self) -> Runtime | None:
        """The runtime if it is open already (no waiting, no thread), else ``None``."""
        return self._runtime

    def close(self) -> None:
        """Dispose of the engine if it was opened."""
        if self._runtime is not None:
            self._runtime.engine.dispose()


class Problem(Exception):
    """An RFC 9457 problem to answer with (raised inside endpoints).

    Parameters
    ----------
    status : int
        HTTP status code.
    slug : str
        Last part of the problem type URN (``too-large``, ``not-found`` ...).
    title : str
        Short summary, the same for every occurrence of this type.
    detail : str
        What happened this time, in plain words.
    headers : dict, optional
        Extra response headers (``Retry-After``, ``Allow``).
    extra : dict, optional
        Extension members.
    """

    def __init__(self, status: int, slug: str, title: str, detail: str, *, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self, instance: str | None = None) -> Response:
        return problem_response(self.status, self.slug, self.title, self.detail, instance=instance,
                                headers=self.headers, **self.extra)


def problem_response(status: int, slug: str, title: str, detail: str, *, instance: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> Response:
    """An ``application/problem+json`` response (RFC 9457).

    Parameters
    ----------
    status : int
        HTTP status.
    slug : str
        Problem type suffix; the type is ``urn:seneca-mosaics:problem:<slug>``.
    title, detail : str
        Summary of the type and explanation of this occurrence.
    instance : str, optional
        The request path.
    headers : dict, optional
        Extra headers.
    """
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type=PROBLEM_JSON,
                    headers={"Cache-Control": "no-store", **(headers or {})})


Handler = Callable[[Request], Awaitable[Response]]


def _route(path: str, name: str, handlers: dict[str, Handler]) -> Route:
    """A route answering every method: unknown ones get a 405 problem (Starlette's default is plain text)."""
    allowed = sorted(set(handlers) | ({"HEAD"} if "GET" in handlers else set()))

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        handler = handlers.get(method)
        try:
            if handler is None:
                raise Problem(405, "method-not-allowed", "Method not allowed",
                              f"{request.method} is not supported here; use {', '.join(allowed)}.",
                              headers={"Allow": ", ".join(allowed)})
            return await handler(request)
        except Problem as exc:
            return exc.response(instance=request.url.path)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            LOG.exception("unhandled error in %s %s", request.method, request.url.path)
            return problem_response(500, "internal-error", "Internal error",
                                    "The server could not complete the request. It has been logged.",
                                    instance=request.url.path)

    return Route(path, endpoint, methods=ALL_METHODS, name=name)


def client_ip(request: Request, trusted: TrustedProxies | None = None) -> str:
    """The client's address: the peer, or what the proxies in ``MOSAICS_TRUSTED_PROXIES`` say it is.

    :func:`mosaics_match.web.proxies.resolve_client` decides once per request (the portal's middleware already did
    when it runs); ``X-Forwarded-For`` from anyone else is ignored, so a client cannot pick its own bucket.
    """
    return resolve_client(request.scope, trusted or TrustedProxies())[0]


def request_base_url(request: Request, rt: Runtime) -> str:
    """``MOSAICS_BASE_URL`` when configured, else the origin this request was addressed to."""
    if rt.settings.base_url_configured:
        return rt.settings.base_url
    return request_origin(request.scope, TrustedProxies.parse(rt.settings.trusted_proxies)) or rt.settings.base_url


# --- keys ---------------------------------------------------------------------------------------------------

# --- routes -------------------------------------------------------------------------------------------------

class _Api:
    def __init__(self, runtime: Callable[[], Runtime], config: ApiConfig) -> None:
        self.runtime = runtime
        self.config = config
        self.limiter = TokenBucketLimiter(config.verify_rate, config.verify_burst)
        self.published = PublishedCache()

    # did:web and JWKS

    async def _runtime(self) -> Runtime:
        """The process runtime: at once when it is open (every request after the first), else opened in a worker
        thread (opening connects and migrates)."""
        opened = getattr(self.runtime, "opened", None)
        rt = opened() if opened is not None else None
        return rt if rt is not None else await run_in_threadpool(self.runtime)

    def _in_memory(self, name: Any) -> Published | None:
        """A current published document straight from memory, without a worker thread (SQLite; see
        :meth:`PublishedCache.peek`); ``None`` means: load it in a worker thread."""
        opened = getattr(self.runtime, "opened", None)
        rt = opened() if opened is not None else None
        return self.published.peek(rt, name) if rt is not None else None

    async def did_document(self, request: Request) -> Response:
        rt = await self._runtime()
        did = rt.settings.issuer_did
        path = did_web_document_path(did) if did else None
        if path is None:
            raise Problem(404, "no-did-web", "No did:web document",
                          "This portal's issuer uses did:key (its DID is its public key), so there is no did:web "
                          "document to publish. Set MOSAICS_ISSUER_DID to a did:web identifier for this host to "
                          "publish one; /.well-known/jwks.json lists the keys either way.")
        if request.url.path != path:
            raise Problem(404, "not-found", "Not found", "No DID document is published at this path.")

        def load() -> Published | None:
            with rt.Session() as session:
                keys = held_keys(session, did)
                if not keys:
                    return None
                body = json.dumps(did_document(did, keys), ensure_ascii=False).encode("utf-8")
            return Published(body, etag_of(body, "did"), "application/did+json")

        found = await run_in_threadpool(self.published.get, rt, ("did", did), load)
        if found is None:
            raise Problem(404, "no-keys", "No keys yet",
                          f"{did} has no signing key yet: one is created with the first credential issued here.")
        return _conditional(request, found, f"public, max-age={self.config.keys_max_age}")

    async def jwks(self, request: Request) -> Response:
        rt = await self._runtime()
        did = rt.settings.issuer_did or None
        issuer = did if did and did.startswith("did:web:") else None

        def load() -> Published:
            with rt.Session() as session:
                body = json.dumps(jwk_set(held_keys(session, issuer))).encode("utf-8")
            return Published(body, etag_of(body, "jwks"), "application/jwk-set+json")

        found = await run_in_threadpool(self.published.get, rt, ("jwks", issuer), load)
        return _conditional(request, found, f"public, max-age={self.config.keys_max_age}")

    # status lists

    async def status_list(self, request: Request) -> Response:
        name = request.path_params["name"]
        m = _LIST_NAME.match(name)
        if not m:
            raise Problem(404, "not-found", "Status list not found",
                          "Status lists are named revocation-<n> or suspension-<n>.")
        purpose, number = m.group(1), int(m.group(2))

        def load(rt: Runtime) -> Published | None:
            from mosaics_match.store.models import StatusList

            with rt.Session() as session:
                row = session.execute(
                    select(StatusList.signed_document, StatusList.version)
                    .where(StatusList.purpose == purpose, StatusList.number == number,
                           StatusList.signed_document.is_not(None))
                    .order_by(StatusList.version.desc()).limit(1)).first()
            if row is None:
                return None
            return Published(row[0].encode("utf-8"), f'"{purpose}-{number}-v{row[1]}"', "application/vc+ld+json")

        def lookup() -> Published | None:
            rt = self.runtime()
            return self.published.get(rt, ("status", purpose, number), lambda: load(rt))

        found = self._in_memory(("status", purpose, number)) or await run_in_threadpool(lookup)
        if found is None:
            raise Problem(404, "not-found", "Status list not found", f"There is no status list {name}.")
        return _conditional(request, found, f"public, max-age={self.config.status_max_age}, must-revalidate")

    # public credentials

    async def credential(self, request: Request) -> Response:
        raw_id = request.path_params["credential_id"]
        fmt = request.query_params.get("format", "json").lower()
        if fmt not in CREDENTIAL_FORMATS:
            raise Problem(400, "bad-format", "Unknown format",
                          f"format must be one of {', '.join(CREDENTIAL_FORMATS)}.")
        credential_id = raw_id if raw_id.startswith("urn:uuid:") else f"urn:uuid:{raw_id}"
        if not _UUID.match(credential_id[len("urn:uuid:"):]):
            raise Problem(404, "not-found", "Credential not found", "No public credential has this id.")
        rt = await self._runtime()
        result = await run_in_threadpool(_credential_payload, rt, credential_id.lower(), fmt)
        body, media, stem = result
        return Response(body, media_type=media, headers={
            "Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*",
            "Content-Disposition": f'inline; filename="{stem}.{fmt}"',
        })

    # verification

    async def verify(self, request: Request) -> Response:
        ip, decision = await self._admit(request)
        data, email, file_name = await self._read_submission(request)
        rt, pv = await self._verify_submission(ip, data, email=email, file_name=file_name)
        return JSONResponse(verification_body(pv, base_url=request_base_url(request, rt)),
                            headers={"Cache-Control": "no-store",
                                     "X-RateLimit-Remaining": str(decision.remaining)})

    async def vc_api_verify(self, request: Request) -> Response:
        """``POST /credentials/verify`` (W3C VC-API): 200 when verified, 400 with the errors otherwise."""
        ip, decision = await self._admit(request)
        body = await self._read_body(request)
        credential, options = _vc_api_request(body, max_bytes=self.config.max_body_bytes)
        data = json.dumps(credential, ensure_ascii=False).encode("utf-8")
        _rt, pv = await self._verify_submission(ip, data, email=None, file_name=None)
        result = vc_api_result(pv, options=options, credential=credential)
        return JSONResponse(result, status_code=200 if result["verified"] else 400,
                            headers={"Cache-Control": "no-store",
                                     "X-RateLimit-Remaining": str(decision.remaining)})

    async def _admit(self, request: Request) -> tuple[str, Any]:
        """The client's address and its rate-limit decision; a 429 problem when it has none left."""
        rt = await self._runtime()
        ip = client_ip(request, TrustedProxies.parse(rt.settings.trusted_proxies))
        decision = self.limiter.take(ip)
        if not decision.allowed:
            raise Problem(429, "rate-limited", "Too many requests",
                          f"This address has made too many verification requests; try again in "
                          f"{decision.retry_after} s.", headers={"Retry-After": str(decision.retry_after)})
        return ip, decision

    async def _verify_submission(self, ip: str, data: bytes, *, email: str | None,
                                 file_name: str | None) -> tuple[Runtime, Any]:
        from mosaics_match.services.auth import Viewer
        from mosaics_match.services.verification import verify_submission

        rt = await self._runtime()
        viewer = Viewer(email=f"api:{ip}", role="public")
        pv = await run_in_threadpool(lambda: verify_submission(rt, data, email=email, viewer=viewer, source="api",
                                                               file_name=file_name))
        return rt, pv

    async def _read_body(self, request: Request) -> bytes:
        """The request body, refused with a 413 problem as soon as it passes ``max_body_bytes``."""
        limit = self.config.max_body_bytes
        too_large = Problem(413, "too-large", "Request too large",
                            f"The request body is larger than {limit:,} bytes, the most this API accepts.",
                            extra={"max_bytes": limit})
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                raise Problem(400, "bad-request", "Bad request", "Content-Length is not a number.")
            if int(declared) > limit:
                raise too_large  # before reading a single byte
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large  # a chunked or lying body is cut off as soon as it passes the limit
            chunks.append(chunk)
        return b"".join(chunks)

    async def _read_submission(self, request: Request) -> tuple[bytes, str | None, str | None]:
        limit = self.config.max_body_bytes
        body = await self._read_body(request)
        ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        email: str | None = None
        file_name: str | None = None
        if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            request._body = body  # the form parser reads the bounded copy, never the socket again
            try:
                form = await request.form(max_files=1, max_fields=4, max_part_size=limit)
            except HTTPException as exc:
                raise Problem(400, "bad-form", "Malformed form data", str(exc.detail)) from exc
            item = form.get("credential")
            raw_email = form.get("email")
            if isinstance(raw_email, str):
                email = raw_email.strip()[:320] or None
            if isinstance(item, UploadFile):
                data = await item.read()
                file_name = (item.filename or "")[:200] or None
            elif isinstance(item, str):
                data = item.encode("utf-8")
            else:
                raise Problem(400, "missing-credential", "No credential",
                              "Send the credential in a form field named 'credential' (a file or text).")
        else:
            data = body
        if not data.strip():
            raise Problem(400, "missing-credential", "No credential",
                          "The request has no credential: send its JSON, JWT, PNG or SVG as the body.")
        return data, email, file_name

    # achievement images (the ``image`` of every Achievement this portal issues)

    async def achievement_image(self, request: Request) -> Response:
        name = request.path_params["name"]
        m = re.fullmatch(r"([a-z0-9][a-z0-9-]{0,119})\.(svg|png)", name)
        if not m:
            raise Problem(404, "not-found", "Not found", "Achievement images are /achievements/<slug>.svg or .png.")
        slug, ext = m.group(1), m.group(2)
        rt = await self._runtime()

        def load() -> bytes | None:
            from mosaics_match.exports import badge_art
            from mosaics_match.store.models import Achievement

            with rt.Session() as session:
                ach = session.scalar(select(Achievement).where(Achievement.slug == slug))
                if ach is None:
                    return None
                if ext == "png":
                    return badge_art.badge_png(ach.name, ach.school, ach.slug)
                svg = ach.image_svg if ach.image_svg and "<svg" in ach.image_svg else \
                    badge_art.badge_svg(ach.name, ach.school, ach.slug)
                return svg.encode("utf-8")

        body = await run_in_threadpool(load)
        if body is None:
            raise Problem(404, "not-found", "Achievement not found", f"There is no achievement {slug}.")
        return Response(body, media_type="image/png" if ext == "png" else "image/svg+xml",
                        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*",
                                 # A stored SVG is served as an image, never as an active document.
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                                 "X-Content-Type-Options": "nosniff"})

    async def openapi(self, request: Request) -> Response:
        from mosaics_match.web.openapi import openapi_document

        rt = await self._runtime()
        return JSONResponse(openapi_document(server_url=request_base_url(request, rt)),
                            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})

    async def api_not_found(self, request: Request) -> Response:
        raise Problem(404, "not-found", "Not found", "There is no API endpoint at this path; see /api/v1/openapi.json.")


def _conditional(request: Request, doc: Published, cache_control: str) -> Response:
    """``doc`` as a ``200``, or a bodiless ``304`` when the request's ``If-None-Match`` names its ETag."""
    headers = {"ETag": doc.etag, "Cache-Control": cache_control, "Access-Control-Allow-Origin": "*", **doc.headers}
    if _etag_matches(request.headers.get("if-none-match"), doc.etag):
        return Response(status_code=304, headers=headers)
    return Response(doc.body, media_type=doc.media_type, headers=headers)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip() for t in header.split(",")]
    return etag in tags or f"W/{etag}" in tags


def _credential_payload(rt: Runtime, credential_id: str, fmt: str) -> tuple[bytes, str, str]:
    from mosaics_match.credentials.bake import bake_png, bake_svg
    from mosaics_match.exports import badge_art
    from mosaics_match.services import sharing

    with rt.Session() as session:
        from mosaics_match.store.models import IssuedCredential

        row = session.scalar(select(IssuedCredential).where(IssuedCredential.credential_id == credential_id))
        if row is None or not row.public:
            # The same answer whether it does not exist or its earner keeps it private.
            raise Problem(404, "not-found", "Credential not found", "No public credential has this id.")
        stem = sharing.file_stem(row)
        if fmt == "json":
            return sharing.json_download(row), "application/json", stem
        if fmt == "jwt":
            token = sharing.jwt_download(row)
            if token is None:
                raise Problem(404, "no-jwt", "No JWT form",
                              "This credential is secured with a Data Integrity proof, not as a VC-JWT; "
                              "use format=json.")
            return token, "application/vc+jwt", stem
        ach = row.achievement
        doc = sharing.document_of(row)
        seed = ach.slug if ach is not None else credential_id
        name = ach.name if ach is not None else "Mosaics credential"
        school = ach.school if ach is not None else "Seneca Polytechnic"
        if fmt == "png":
            return bake_png(badge_art.badge_png(name, school, seed), doc), "image/png", stem
        svg = badge_art.badge_svg(name, school, seed)
        return bake_svg(svg, doc).encode("utf-8"), "image/svg+xml", stem


def verification_body(pv: Any, *, base_url: str | None) -> dict[str, Any]:
    """The API answer: the verifier's wire form (the same as the CLI's ``--json`` line: verdict, checks with
    codes and problems) and the portal's plain-language verdict.

    Parameters
    ----------
    pv : PortalVerification
        From :func:`mosaics_match.services.verification.verify_submission`.
    base_url : str, optional
        This portal's origin (names the verifier).
    """
    from mosaics_match.credentials.verifier import to_wire

    body = to_wire(pv.result)
    report = pv.to_report(base_url=base_url)
    body["portal"] = {k: report[k] for k in ("verdict", "headline", "reason", "authenticity", "checked_at",
                                             "verifier", "email_checked", "email_matches", "input_problem",
                                             "checks")}
    body["portal"]["audit_id"] = pv.audit_id
    return body


# --- W3C VC-API verifier ----------------------------------------------------------------------------------

#: Options of the VC-API ``VerifyCredentialOptions`` understood here; anything else is ignored with a warning.
VC_API_OPTIONS = ("returnCredential", "returnProblemDetails", "returnResults")
IGNORED_OPTION = PROBLEM_BASE + "ignored-option"


def _vc_api_request(body: bytes, *, max_bytes: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The credential and options of a VC-API verify request, or a 400 problem saying what is wrong with it.

    Parameters
    ----------
    body : bytes
        The (already size-bounded) request body.
    max_bytes : int
        The body limit, passed on to the bounded JSON parser.
    """
    from mosaics_match.credentials.inputs import InputError, Limits, parse_json_bounded

    if not body.strip():
        raise Problem(400, "missing-credential", "No credential",
                      'The request has no body: send {"verifiableCredential": {...}, "options": {...}} as JSON.')
    try:
        # One level more than the engine allows a credential: the request wraps it.
        request = parse_json_bounded(body, max_bytes=max_bytes, max_depth=Limits().max_json_depth + 1)
    except InputError as exc:
        raise Problem(400, "bad-json", "Malformed JSON", f"The request body is not usable JSON: {exc.detail}") \
            from None
    if not isinstance(request, dict):
        raise Problem(400, "bad-request", "Bad request",
                      'The request body must be a JSON object: {"verifiableCredential": {...}, "options": {...}}.')
    if "verifiableCredential" not in request:
        raise Problem(400, "missing-credential", "No credential",
                      "The request has no verifiableCredential member.")
    credential = request["verifiableCredential"]
    if not isinstance(credential, dict):
        raise Problem(400, "bad-request", "Bad request",
                      f"verifiableCredential must be a JSON object (a credential with its proof), not "
                      f"{_json_type(credential)}.")
    options = request.get("options", {})
    if not isinstance(options, dict):
        raise Problem(400, "bad-request", "Bad request", f"options must be a JSON object, not {_json_type(options)}.")
    for name in VC_API_OPTIONS:
        if name in options and not isinstance(options[name], bool):
            raise Problem(400, "bad-request", "Bad request", f"options.{name} must be true or false.")
    return credential, options


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def vc_api_result(pv: Any, *, options: dict[str, Any], credential: dict[str, Any] | None = None) -> dict[str, Any]:
    """The VC-API ``VerificationResult`` of one verification.

    ``verified`` is the engine's ``valid`` verdict: every check that decides validity passed (signature, key
    binding and purpose, dates, status). Whether the issuer is on this portal's trust list is advisory, as in
    the engine, and appears under ``warnings``.

    Parameters
    ----------
    pv : PortalVerification
        From :func:`mosaics_match.services.verification.verify_submission`.
    options : dict
        The request's ``options`` (``returnCredential`` adds the credential as verified; unknown options are
        reported as warnings).
    credential : dict, optional
        The credential as submitted (returned with ``returnCredential``).

    Returns
    -------
    dict
        ``verified``, ``checks`` (ids of the checks that passed), ``warnings`` and ``errors`` (problem details,
        each naming its ``check``), and ``credential`` when asked for.
    """
    from mosaics_match.credentials.verifier import ADVISORY_CHECKS

    result = pv.result
    checks: list[str] = []
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for check in result.checks:
        if check.status == "success":
            checks.append(check.id)
        elif check.status in ("failure", "indeterminate"):
            target = warnings if check.id in ADVISORY_CHECKS else errors
            target.extend(_check_problems(check))
    verified = result.verdict == "valid"
    if not verified and not errors:
        errors.append({"type": PROBLEM_BASE + "not-verified", "title": "Not verified", "detail": result.reason})
    for name in options:
        if name not in VC_API_OPTIONS:
            warnings.append({"type": IGNORED_OPTION, "title": "Option ignored",
                             "detail": f"options.{name} is not supported here and was ignored; every check is "
                                       "always run."})
    body: dict[str, Any] = {"verified": verified, "checks": checks, "warnings": warnings, "errors": errors}
    if options.get("returnCredential") and credential is not None:
        body["credential"] = credential
    return body


def _check_problems(check: Any) -> list[dict[str, Any]]:
    out = []
    for problem in check.problems or [{"type": PROBLEM_BASE + "check-" + check.id.replace(".", "-"),
                                       "title": check.message, "detail": check.message}]:
        item = {"type": str(problem.get("type", "")), "title": str(problem.get("title", "")),
                "detail": str(problem.get("detail", "")), "check": check.id, "outcome": check.status}
        if problem.get("pointer"):
            item["pointer"] = str(problem["pointer"])
        out.append(item)
    return out


def build_routes(runtime: Callable[[], Runtime], config: ApiConfig | None = None) -> list[BaseRoute]:
    """The API routes, for ``st.App(routes=...)`` or a plain Starlette app.

    Parameters
    ----------
    runtime : callable
        Returns the process runtime (e.g. a :class:`LazyRuntime`).
    config : ApiConfig, optional
        Limits; defaults suit a public deployment.
    """
    api = _Api(runtime, config or ApiConfig())
    return [
        _route("/.well-known/did.json", "did_document", {"GET": api.did_document}),
        _route("/.well-known/jwks.json", "jwks", {"GET": api.jwks}),
        _route("/status/{name}", "status_list", {"GET": api.status_list}),
        # Before /credentials/{credential_id}, which would otherwise take "verify" for an id.
        _route("/credentials/verify", "vc_api_verify", {"POST": api.vc_api_verify}),
        _route("/credentials/{credential_id}", "credential", {"GET": api.credential}),
        _route("/achievements/{name}", "achievement_image", {"GET": api.achievement_image}),
        _route("/api/v1/verify", "verify", {"POST": api.verify}),
        _route("/api/v1/openapi.json", "openapi", {"GET": api.openapi}),
        _route("/api/{rest:path}", "api_not_found", {m: api.api_not_found for m in ALL_METHODS if m != "HEAD"}),
        # did:web identifiers with a path publish their document at /<path>/did.json.
        _route("/{did_path:path}/did.json", "did_document_path", {"GET": api.did_document}),
    ]


def create_api_app(runtime: Callable[[], Runtime], config: ApiConfig | None = None) -> Starlette:
    """The API alone as a Starlette app (tests; or a separate API process without the UI)."""

    async def not_found(request: Request, exc: Exception) -> Response:
        return problem_response(404, "not-found", "Not found", "Nothing is published at this path.",
                                instance=request.url.path)

    return Starlette(routes=build_routes(runtime, config), exception_handlers={404: not_found})
