"""Input suite: ``input.limits`` and ``input.format``. Every upload is hostile: sizes, nesting and the work JSON-LD
processing would do are bounded before anything is parsed further; the input kind comes from the
content, never a file name.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..inputs import InputError, detect_kind, jws_text, parse_json_bounded
from .results import problem
from .state import Fatal, Run, Suite
from .values import JWT_REGISTERED_CLAIMS, VC1_CONTEXT, as_list, epoch_iso

_log = logging.getLogger(__name__)



def load(run: Run, data: bytes | str | dict) -> None:
    if isinstance(data, dict):
        run.kind = "object"
        raw = None
        try:
            raw = json.dumps(data).encode("utf-8")
        except (TypeError, ValueError, RecursionError):
            run.add("input.limits", "failure", "The input is not plain JSON data.",
                     [problem("not-json", "Not JSON", "The object cannot be represented as JSON.")])
            raise Fatal from None
        _check_limits(run, raw, parsed=data)
        run.cred = data  # checks never modify the credential
        run.add("input.format", "success", "Read a credential given as a JSON object.")
        return
    raw_bytes = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    _check_limits(run, raw_bytes, depth=False)
    kind = detect_kind(raw_bytes)
    run.kind = kind
    text: str | None = None
    if kind in ("png", "svg"):
        from ..bake import BakeError, unbake_png, unbake_svg

        try:
            text = unbake_png(raw_bytes, max_bytes=run.limits.max_bytes) if kind == "png" else \
                unbake_svg(raw_bytes, max_bytes=run.limits.max_bytes, max_nodes=run.limits.max_svg_nodes)
        except BakeError as exc:
            run.add("input.format", "failure", f"The {kind.upper()} image holds no readable credential.",
                     [problem(f"bake-{exc.code}", "No baked credential", exc.detail)])
            raise Fatal from None
        payload = text.encode("utf-8")
        inner = detect_kind(payload)
        if inner not in ("json", "jws"):
            run.add("input.format", "failure",
                     f"The credential baked into the {kind.upper()} image is neither JSON nor a signed token.",
                     [problem("bake-payload", "Unreadable baked credential",
                               "The baked text is not JSON or a compact JWS.")])
            raise Fatal
        raw_bytes, inner_kind = payload, inner
    else:
        inner_kind = kind

    def jws_payload(token: str) -> Any:
        # Read here, with the linear parser, before _load_jws hands the token to parse_jws: its nesting scan
        # is quadratic on a payload with an unterminated string (50 kB cost 9 s), and never sees one now.
        import base64
        import binascii

        segments = token.strip().split(".")
        if len(segments) != 3:
            return None  # _load_jws reports the malformed token
        try:
            payload = base64.urlsafe_b64decode(segments[1] + "=" * (-len(segments[1]) % 4))
        except (ValueError, binascii.Error):
            return None
        try:
            return parse_json_bounded(payload, max_bytes=run.limits.max_bytes,
                                      max_depth=run.limits.max_json_depth)
        except InputError as exc:
            if exc.code in ("too-deep", "too-large"):
                run.add("input.limits", "failure", "The signed token is too large or too deeply nested to "
                         "check.", [problem(exc.code, "Input limit exceeded", exc.detail)])
            else:
                run.add("input.limits", "success", "The input is within the size and nesting limits.")
                run.add("input.format", "failure", "The signed token is malformed.",
                         [problem("bad-jws", "Malformed token", f"The payload is not JSON: {exc.detail}")])
            raise Fatal from None

    if inner_kind == "json":
        try:
            value = parse_json_bounded(raw_bytes, max_bytes=run.limits.max_bytes,
                                       max_depth=run.limits.max_json_depth)
        except InputError as exc:
            if exc.code in ("too-deep", "too-large"):
                run.add("input.limits", "failure", "The input is too large or too deeply nested to check.",
                         [problem(exc.code, "Input limit exceeded", exc.detail)])
                raise Fatal from None
            run.add("input.limits", "success", "The input is within the size and nesting limits.")
            run.add("input.format", "failure", "The file is not valid JSON.",
                     [problem(exc.code, "Invalid JSON", exc.detail)])
            raise Fatal from None
        if isinstance(value, str) and detect_kind(value.encode("utf-8")) == "jws":
            _check_limits(run, None, parsed=jws_payload(value))
            load_jws(run, value, kind)
            return
        _check_limits(run, None, parsed=value)
        if not isinstance(value, dict):
            run.add("input.format", "failure", "The JSON is not a credential object.",
                     [problem("not-an-object", "Not a credential", "The top-level JSON value is not an object.")])
            raise Fatal
        run.cred = value
        run.add("input.format", "success", f"Read a credential in JSON{_from(kind)}.")
        return
    if inner_kind == "jws":
        token = jws_text(raw_bytes)
        _check_limits(run, None, parsed=jws_payload(token))
        load_jws(run, token, kind)
        return
    run.add("input.limits", "success", "The input is within the size limit.")
    run.add("input.format", "failure",
             "This file is not a credential: it is not JSON, a signed token, or a badge image.",
             [problem("unknown-format", "Unknown input format",
                       "Expected credential JSON, a compact JWS, or a baked PNG/SVG badge.")])
    raise Fatal


def _from(kind: str | None) -> str:
    return f" baked into a {kind.upper()} image" if kind in ("png", "svg") else ""


def _check_limits(run: Run, raw: bytes | None, depth: bool = True, parsed: Any = None) -> None:
    """Record an ``input.limits`` failure and stop the run when the input is over a limit.

    Parameters
    ----------
    raw : bytes | None
        The input bytes, whose size is checked (``None`` when that was done already).
    depth : bool
        This is the input's last limits check: also check the nesting of ``raw``, and record success when
        everything is within the limits.
    parsed : Any
        The parsed credential or JWS payload: the work JSON-LD processing would do with it is bounded
        (:func:`~mosaics_match.credentials.inputs.check_json_limits`) before any of it is done.
    """
    if raw is not None and len(raw) > run.limits.max_bytes:
        run.add("input.limits", "failure", "The input is too large to check.",
                 [problem("too-large", "Input too large",
                           f"{len(raw):,} bytes; the limit is {run.limits.max_bytes:,}.")])
        raise Fatal
    if depth and raw is not None:
        from ..inputs import json_depth_exceeds

        if json_depth_exceeds(raw, run.limits.max_json_depth):
            run.add("input.limits", "failure", "The input is nested too deeply to check.",
                     [problem("too-deep", "Input too deep",
                               f"More than {run.limits.max_json_depth} nesting levels.")])
            raise Fatal
    if parsed is not None:
        from ..inputs import check_json_limits

        try:
            check_json_limits(parsed, run.limits)
        except InputError as exc:
            run.add("input.limits", "failure", exc.detail,
                     [problem(exc.code, "Input limit exceeded", exc.detail, exc.pointer)])
            raise Fatal from None
    if depth:
        run.add("input.limits", "success", "The input is within the size and nesting limits.")


def load_jws(run: Run, token: str, kind: str | None) -> None:
    from ..errors import CredentialError
    from ..jwt import parse_jws

    try:
        header, payload, signing_input, signature = parse_jws(token)
    except Exception as exc:
        run.add("input.format", "failure", "The signed token is malformed.",
                 [problem("bad-jws", "Malformed token",
                           exc.detail[:300] if isinstance(exc, CredentialError)
                           else "The token's parts cannot be decoded as base64url JSON.")])
        raise Fatal from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        run.add("input.format", "failure", "The signed token does not hold a JSON credential.",
                 [problem("bad-jws", "Malformed token", "Header or payload is not a JSON object.")])
        raise Fatal
    claims = payload
    vc = payload.get("vc")
    if isinstance(vc, dict):
        cred = dict(vc)  # parse_jws returns fresh objects; only top-level members are added below
        # VC-JWT 1.1: registered claims stand in for credential properties the vc claim leaves out
        if "issuer" not in cred and isinstance(claims.get("iss"), str):
            cred["issuer"] = claims["iss"]
        if "id" not in cred and isinstance(claims.get("jti"), str):
            cred["id"] = claims["jti"]
        subj = cred.get("credentialSubject")
        if isinstance(subj, dict) and "id" not in subj and isinstance(claims.get("sub"), str):
            cred["credentialSubject"] = {**subj, "id": claims["sub"]}
        is_v1 = VC1_CONTEXT in as_list(cred.get("@context"))
        start, end = ("issuanceDate", "expirationDate") if is_v1 else ("validFrom", "validUntil")
        if start not in cred and isinstance(claims.get("nbf"), (int, float)):
            cred[start] = epoch_iso(claims["nbf"])
        if end not in cred and isinstance(claims.get("exp"), (int, float)):
            cred[end] = epoch_iso(claims["exp"])
    else:
        # OB 3.0 / VC-JOSE-COSE: the payload is the credential, with JWT registered claims beside it
        cred = {k: v for k, v in payload.items() if k not in JWT_REGISTERED_CLAIMS}
    run.cred = cred
    run.jws = token
    run.jws_parts = (header, signing_input, signature)
    run.jwt_header = header
    run.jwt_claims = claims
    run.add("input.format", "success", f"Read a signed token (JWS){_from(kind)}.")


SUITE = Suite("input", (load,))
