"""API-key authentication and scope checks, as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from mediamatch.errors import AuthenticationFailed, PermissionDenied
from mediamatch.service.state import ServiceState
from mediamatch.store.accounts import ApiKey

KEY_HEADERS = ("x-api-key", "ocp-apim-subscription-key")
BEARER = HTTPBearer(auto_error=False, scheme_name="Bearer", description="`Authorization: Bearer mm_live_...`")
HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey", description="The key alone, in `X-API-Key`."
)
SUBSCRIPTION = APIKeyHeader(
    name="Ocp-Apim-Subscription-Key",
    auto_error=False,
    scheme_name="SubscriptionKey",
    description="As PhotoDNA's clients send it.",
)
"""The ways a key may be presented, declared so that the OpenAPI document names them (and its
documentation page offers to authorise with one); ``presented_key`` reads them."""


def presented_key(request: Request) -> str:
    """The key from ``Authorization: Bearer``, ``X-API-Key`` or ``Ocp-Apim-Subscription-Key``."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    for header in KEY_HEADERS:
        if request.headers.get(header):
            return request.headers[header].strip()
    raise AuthenticationFailed("an API key is required (Authorization: Bearer <key>)")


def require(scope: str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that authenticates the caller, spends one request of its rate limit and
    checks one scope (``admin`` grants all)."""

    async def dependency(
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
        _header: Annotated[str | None, Depends(HEADER)],
        _subscription: Annotated[str | None, Depends(SUBSCRIPTION)],
    ) -> ApiKey:
        state: ServiceState = request.app.state.mediamatch
        key = state.keys.verify(presented_key(request))
        request.state.api_key = key
        state.limiter.take_request(key)
        if scope not in key.scopes and "admin" not in key.scopes:
            raise PermissionDenied(f"this API key lacks the {scope!r} scope")
        return key

    return dependency
