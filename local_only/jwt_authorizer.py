"""API Gateway's JWT authorizer on ``POST /clickstream/auth``, as ``clickstream serve`` stands in for it.

Deployed, the HTTP API checks the Cognito id token (signature against the user pool's keys, issuer, audience,
expiry) before the Lambda runs, answers ``401 {"message":"Unauthorized"}`` when it fails, and hands the Lambda the
token's claims as strings (infra/template.yaml, docs/deploy.md). Locally there is no user pool, so the signature
cannot be checked: the stand-in only requires a well-formed, unexpired bearer JWT and passes its claims on the way
the authorizer does, so the tracker's signed-in route works end to end on a laptop. It never ships.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson


class Unauthorized(ValueError):
    """The request carries no usable id token; the message says why (the authorizer's log line)."""


def claims_from_authorization(header: str | None, now_s: float) -> dict[str, str]:
    """The claims of the bearer JWT in an ``Authorization`` header, each as a string."""
    if not header:
        raise Unauthorized("no Authorization header")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header is not 'Bearer <id token>'")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise Unauthorized("the bearer token is not a JWT (header.payload.signature)")
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError) as error:
        raise Unauthorized(f"the JWT's payload is not base64url JSON: {error}") from None
    if not isinstance(claims, dict):
        raise Unauthorized("the JWT's payload is not a JSON object")
    expiry = claims.get("exp")
    if isinstance(expiry, str) and expiry.isdigit():
        expiry = int(expiry)
    if not isinstance(expiry, int | float) or isinstance(expiry, bool) or expiry <= now_s:
        raise Unauthorized("the JWT has expired or carries no numeric exp")
    return {str(name): _as_claim(value) for name, value in claims.items()}


def _as_claim(value: Any) -> str:
    # The HTTP API passes every claim on as a string: numbers and booleans as written, objects as JSON.
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
