"""OpenAPI 3.1 description of the portal's HTTP routes (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["openapi_document"]

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {"application/problem+json": {"schema": _PROBLEM}}}
    if headers:
        out["headers"] = headers
    return out


_STD_ERRORS = {
    "405": _problem("Method not allowed", {"Allow": {"schema": {"type": "string"}}}),
    "500": _problem("Internal error (logged; never a traceback)"),
}

_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "description": "urn:seneca-mosaics:problem:<slug>"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "max_bytes": {"type": "integer"},
        },
    },
    "Check": {
        "type": "object",
        "required": ["id", "status", "message", "problems"],
        "properties": {
            "id": {"type": "string", "examples": ["proof.signature"]},
            "status": {"enum": ["success", "failure", "indeterminate", "skipped"]},
            "message": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Verification": {
        "type": "object",
        "description": "The credential engine's result, as `verify --json` prints it, plus the portal's verdict.",
        "required": ["verdict", "reason", "issuer_trusted", "checks", "portal"],
        "properties": {
            "verdict": {"enum": ["valid", "invalid", "indeterminate"]},
            "reason": {"type": "string"},
            "issuer_trusted": {"type": "boolean"},
            "recipient_match": {"type": ["boolean", "null"]},
            "input_kind": {"type": ["string", "null"]},
            "credential_id": {"type": ["string", "null"]},
            "achievement": {"type": ["string", "null"]},
            "issuer": {"type": "object", "properties": {"id": {"type": ["string", "null"]},
                                                          "name": {"type": ["string", "null"]}}},
            "valid_from": {"type": ["string", "null"]},
            "valid_until": {"type": ["string", "null"]},
            "checks": {"type": "array", "items": {"$ref": "#/components/schemas/Check"}},
            "portal": {
                "type": "object",
                "required": ["verdict", "headline", "reason", "authenticity", "checks"],
                "properties": {
                    "verdict": {"enum": ["verified", "not_valid", "cannot_confirm"]},
                    "headline": {"type": "string"},
                    "reason": {"type": "string"},
                    "authenticity": {"enum": ["authentic", "forged", "unknown"]},
                    "checked_at": {"type": "string"},
                    "verifier": {"type": ["string", "null"]},
                    "email_checked": {"type": "boolean"},
                    "email_matches": {"type": ["boolean", "null"]},
                    "input_problem": {"type": ["string", "null"]},
                    "audit_id": {"type": ["integer", "null"]},
                    "checks": {"type": "array", "items": {
                        "type": "object", "required": ["id", "passed", "text"],
                        "properties": {"id": {"type": "string"}, "passed": {"type": ["boolean", "null"]},
                                       "text": {"type": "string"}}}},
                },
            },
        },
    },
    "VcApiVerifyRequest": {
        "type": "object",
        "description": "W3C VC-API `VerifyCredentialRequest`.",
        "required": ["verifiableCredential"],
        "properties": {
            "verifiableCredential": {"type": "object", "description": "The credential, with its embedded proof."},
            "options": {
                "type": "object",
                "description": "VC-API `VerifyCredentialOptions`. `returnCredential` echoes the credential; every "
                               "check is always run, and any other option is ignored with a warning.",
                "properties": {"returnCredential": {"type": "boolean"},
                               "returnProblemDetails": {"type": "boolean"},
                               "returnResults": {"type": "boolean"}},
            },
        },
    },
    "VcApiProblem": {
        "type": "object",
        "description": "A problem found while verifying, naming the check it comes from.",
        "required": ["type", "title", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "check": {"type": "string", "examples": ["proof.signature"]},
            "outcome": {"enum": ["failure", "indeterminate"]},
            "pointer": {"type": "string", "description": "JSON Pointer into the credential"},
        },
    },
    "VcApiVerificationResult": {
        "type": "object",
        "description": "W3C VC-API `VerificationResult`. `verified` is true when every check that decides validity "
                       "passed; whether the issuer is on this portal's trust list is a warning, not an error.",
        "required": ["verified", "checks", "warnings", "errors"],
        "properties": {
            "verified": {"type": "boolean"},
            "checks": {"type": "array", "items": {"type": "string"}, "description": "Ids of the checks that passed"},
            "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/VcApiProblem"}},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/VcApiProblem"}},
            "credential": {"type": "object", "description": "The credential as verified (with returnCredential)"},
        },
    },
    "DidDocument": {
        "type": "object",
        "required": ["id", "verificationMethod", "assertionMethod"],
        "properties": {
            "id": {"type": "string"},
            "verificationMethod": {"type": "array", "items": {
                "type": "object", "required": ["id", "type", "controller", "publicKeyMultibase"],
                "properties": {"id": {"type": "string"}, "type": {"const": "Multikey"},
                               "controller": {"type": "string"}, "publicKeyMultibase": {"type": "string"}}}},
            "assertionMethod": {"type": "array", "items": {"type": "string"}},
        },
    },
    "JwkSet": {
        "type": "object",
        "required": ["keys"],
        "properties": {"keys": {"type": "array", "items": {
            "type": "object", "required": ["kty", "kid"],
            "properties": {"kty": {"type": "string"}, "kid": {"type": "string"}, "crv": {"type": "string"},
                           "x": {"type": "string"}, "alg": {"type": "string"}, "use": {"const": "sig"}}}}},
    },
}

_CACHE_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "Changes with every re-signing of the list."},
    "Cache-Control": {"schema": {"type": "string"}},
}

_PATHS: dict[str, Any] = {
    "/.well-known/did.json": {"get": {
        "operationId": "getDidDocument",
        "summary": "The issuer's did:web document (every key held here, current and retired)",
        "responses": {
            "200": {"description": "DID document", "content": {
                "application/did+json": {"schema": {"$ref": "#/components/schemas/DidDocument"}}}},
            "404": _problem("The issuer uses did:key (no did:web document), or has no key yet"),
            **_STD_ERRORS,
        },
    }},
    "/.well-known/jwks.json": {"get": {
        "operationId": "getJwks",
        "summary": "The issuer's public keys as a JWK Set (kid = verification method id)",
        "responses": {
            "200": {"description": "JWK Set", "content": {
                "application/jwk-set+json": {"schema": {"$ref": "#/components/schemas/JwkSet"}}}},
            **_STD_ERRORS,
        },
    }},
    "/status/{list}": {"get": {
        "operationId": "getStatusList",
        "summary": "A signed Bitstring Status List credential",
        "parameters": [
            {"name": "list", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^(revocation|suspension)-[1-9][0-9]{0,8}$"},
             "description": "{purpose}-{number}, e.g. revocation-1"},
            {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}},
        ],
        "responses": {
            "200": {"description": "The status list credential", "headers": _CACHE_HEADERS,
                    "content": {"application/vc+ld+json": {"schema": {"type": "object"}}}},
            "304": {"description": "Not modified (ETag matches)", "headers": _CACHE_HEADERS},
            "404": _problem("No such list"),
            **_STD_ERRORS,
        },
    }},
    "/credentials/{id}": {"get": {
        "operationId": "getCredential",
        "summary": "A credential its earner made public",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "urn:uuid:… or the bare UUID"},
            {"name": "format", "in": "query", "required": False,
             "schema": {"enum": ["json", "jwt", "png", "svg"], "default": "json"}},
        ],
        "responses": {
            "200": {"description": "The credential", "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/vc+jwt": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
                "image/svg+xml": {"schema": {"type": "string"}},
            }},
            "400": _problem("Unknown format"),
            "404": _problem("No public credential with this id (or no JWT form)"),
            **_STD_ERRORS,
        },
    }},
    "/achievements/{image}": {"get": {
        "operationId": "getAchievementImage",
        "summary": "The badge image of an achievement (the `image` of issued credentials)",
        "parameters": [{"name": "image", "in": "path", "required": True, "schema": {"type": "string"},
                        "description": "<slug>.svg or <slug>.png"}],
        "responses": {
            "200": {"description": "The image", "content": {
                "image/svg+xml": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}}},
            "404": _problem("No such achievement or image type"),
            **_STD_ERRORS,
        },
    }},
    "/api/v1/verify": {"post": {
        "operationId": "verifyCredential",
        "summary": "Verify one credential",
        "description": "Send the credential as the body (JSON, compact JWT, baked PNG or SVG), or as multipart "
                       "form data with a `credential` field and an optional `email` to compare with the recipient. "
                       "Every verification is recorded in the audit log (actor `api:<client ip>`).",
        # Any body is accepted and answered with a verdict (the engine detects the kind from the bytes, not from
        # Content-Type, and an unreadable input is an "invalid" verdict naming the problem), so the body schemas
        # are deliberately unconstrained.
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {}},
            "application/jwt": {"schema": {}},
            "image/png": {"schema": {}},
            "image/svg+xml": {"schema": {}},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["credential"],
                "properties": {"credential": {"type": "string", "format": "binary"},
                               "email": {"type": "string"}}}},
        }},
        "responses": {
            "200": {"description": "The verification result (whatever the verdict)",
                    "headers": {"X-RateLimit-Remaining": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}},
            "400": _problem("No credential in the request, or malformed form data"),
            "413": _problem("Request body too large"),
            "429": _problem("Rate limited", {"Retry-After": {"schema": {"type": "string"}, "required": True}}),
            **_STD_ERRORS,
        },
    }},
    "/credentials/verify": {"post": {
        "operationId": "vcApiVerifyCredential",
        "summary": "Verify one credential (W3C VC-API verifier)",
        "description": "The VC-API verifier endpoint, backed by the same verification service, size bound and rate "
                       "limit as `/api/v1/verify` (and recorded in the audit log the same way). 200 when the "
                       "credential is verified; 400 with `verified: false` and the errors when it is not. A request "
                       "that is not a VC-API request (not JSON, no `verifiableCredential` object) is a 400 problem.",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/VcApiVerifyRequest"}}}},
        "responses": {
            "200": {"description": "Verified",
                    "headers": {"X-RateLimit-Remaining": {"schema": {"type": "string"}}},
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/VcApiVerificationResult"}}}},
            "400": {"description": "Not verified (a VerificationResult with the errors), or a malformed request "
                                   "(a problem document)",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/VcApiVerificationResult"}},
                        "application/problem+json": {"schema": _PROBLEM}}},
            "413": _problem("Request body too large"),
            "429": _problem("Rate limited", {"Retry-After": {"schema": {"type": "string"}, "required": True}}),
            **_STD_ERRORS,
        },
    }},
    "/api/v1/openapi.json": {"get": {
        "operationId": "getOpenApi",
        "summary": "This description",
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {
            "schema": {"type": "object"}}}}, **_STD_ERRORS},
    }},
}


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 description.

    Parameters
    ----------
    server_url : str, optional
        The portal's public origin, listed under ``servers``.
    """
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Seneca Mosaics portal API",
            "version": "1.0.0",
            "description": "Keys and status lists for verifiers of Seneca credentials, public credentials, and a "
                           "verification endpoint for hiring systems. Errors are RFC 9457 problem details.",
        },
        "servers": [{"url": server_url}] if server_url else [],
        "paths": copy.deepcopy(_PATHS),
        "components": {"schemas": copy.deepcopy(_SCHEMAS)},
    }
