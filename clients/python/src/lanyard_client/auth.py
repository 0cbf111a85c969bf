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
from typing import Any, AsyncGenerator, Callable, Generator, Optional

__all__ = ["BearerAuth", "httpx_auth"]


class BearerAuth:
    """Sets ``Authorization: Bearer <token>`` on a request object with a ``headers`` mapping.

    ``token`` is called for every request; with an AgentClient behind it, that is a cache read
    until the credential is about to expire. ``forget`` drops the cached token (after a 401).
    """

    def __init__(self, token: Callable[[], str], forget: Optional[Callable[[], None]] = None) -> None:
        self._token = token
        self._forget = forget

    def __repr__(self) -> str:
        return "BearerAuth(...)"

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        return request

    async def _acall(self, request: Any) -> Any:
        # The token may need an exchange (blocking I/O): off the event loop.
        request.headers["Authorization"] = f"Bearer {await asyncio.to_thread(self._token)}"
        return request

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
