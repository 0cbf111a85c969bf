"""``Authorization: Bearer`` for HTTP clients, from a token the client exchanges and caches.

One object serves both common clients without importing either:

- requests: ``requests.get(url, auth=client.auth("github-acme"))``. requests calls
  ``auth(request)`` (the ``requests.auth.AuthBase`` protocol), which sets the header.
- httpx: ``httpx.Client(auth=client.auth("github-acme"))``. httpx wraps any callable auth in
  its ``FunctionAuth``; ``httpx_auth(...)`` instead gives a real ``httpx.Auth`` whose
  ``auth_flow`` retries once with a fresh token when the server answers 401.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncGenerator, Callable, Generator, Optional, Tuple, Union

__all__ = ["BearerAuth", "httpx_auth"]


class BearerAuth:
    """Sets ``Authorization: Bearer <token>`` on a request object with a ``headers`` mapping.

    ``token`` is called for every request; with an AgentClient behind it, that is a cache read
    until the credential is about to expire. It returns the token, or ``(token_type, token)``:
    a ``DPoP`` token type with ``dpop_proof`` given sends ``Authorization: DPoP <token>`` and a
    ``DPoP`` proof for the request's method and URL (RFC 9449 7.1). ``forget`` drops the cached
    token (after a 401).
    """

    def __init__(self, token: Callable[[], Union[str, Tuple[str, str]]], forget: Optional[Callable[[], None]] = None, dpop_proof: Optional[Callable[[str, str, str], str]] = None) -> None:
        self._token = token
        self._forget = forget
        self._dpop_proof = dpop_proof

    def __repr__(self) -> str:
        return "BearerAuth(...)"

    def _apply(self, request: Any, answer: Union[str, Tuple[str, str]]) -> Any:
        token_type, token = answer if isinstance(answer, tuple) else ("Bearer", answer)
        if token_type.lower() == "dpop" and self._dpop_proof is not None:
            method = getattr(request, "method", None) or request.get_method()
            url = str(getattr(request, "url", None) or request.full_url)
            request.headers["Authorization"] = f"DPoP {token}"
            request.headers["DPoP"] = self._dpop_proof(method, url, token)
        else:
            request.headers["Authorization"] = f"Bearer {token}"
        return request

    def __call__(self, request: Any) -> Any:
        return self._apply(request, self._token())

    async def _acall(self, request: Any) -> Any:
        # The token may need an exchange (blocking I/O): off the event loop.
        return self._apply(request, await asyncio.to_thread(self._token))

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        """httpx's ``Auth.auth_flow`` protocol: send, and on a 401 send once more with a token
        exchanged afresh (the cached one may have been revoked upstream)."""
        response = yield self(request)
        if getattr(response, "status_code", None) == 401 and self._forget is not None:
            self._forget()
            yield self(request)

    async def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
        """httpx's ``Auth.async_auth_flow``: the same, with the token fetched off the event loop."""
        response = yield await self._acall(request)
        if getattr(response, "status_code", None) == 401 and self._forget is not None:
            self._forget()
            yield await self._acall(request)


def httpx_auth(auth: BearerAuth) -> Any:
    """``auth`` as a subclass of ``httpx.Auth`` (httpx must be installed), for ``httpx.Client``
    and ``httpx.AsyncClient``."""
    import httpx

    class _LanyardHttpxAuth(httpx.Auth):
        def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
            yield from auth.auth_flow(request)

        async def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
            flow = auth.async_auth_flow(request)
            response = yield await flow.__anext__()
            while True:
                try:
                    request = await flow.asend(response)
                except StopAsyncIteration:
                    return
                response = yield request

    return _LanyardHttpxAuth()
