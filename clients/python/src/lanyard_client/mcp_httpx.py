"""An ``httpx.Auth`` for MCP servers behind Lanyard (issue 20).

The Python MCP SDK is not packaged by Debian, but its HTTP transports (and any httpx client)
take an ``httpx.Auth``. ``McpAuth`` signs an agent in to MCP servers protected by Lanyard the way
the MCP authorization spec has clients do it, driven by the server's own 401:

1. A request to a server it knows nothing about goes without a token. The server answers 401
   with ``WWW-Authenticate: Bearer resource_metadata="..."``; the auth reads that Protected
   Resource Metadata (RFC 9728; the well-known address when the challenge names none), and
   checks that it comes from the server's own origin, names this very server as its
   ``resource`` and this agent's broker among its ``authorization_servers``. Anything else
   raises InvalidResponse before any exchange, so no other server can obtain a token meant for
   this one.
2. It exchanges the handle token for that resource (RFC 8693 with an RFC 8707 ``resource``) and
   sends the request once more. The AgentClient caches the token until shortly before it
   expires (``refresh_skew_seconds``), so later requests carry it at once.
3. A 401 despite a token (revoked, expired early): the cached token is dropped, exchanged
   afresh, and the request retried once; the second answer is returned as it is. A broker that
   refuses (the agent revoked or suspended) raises the client's typed error.

A token the broker bound to the client's DPoP key (``AgentClient(..., dpop=True)``: the
exchange carries a proof, the answer's ``token_type`` is ``DPoP``) goes as ``Authorization:
DPoP <token>`` with a fresh proof for each request's method and URL (RFC 9449 7).

This module imports httpx; ``lanyard_client`` imports it only when asked for one.
"""

from __future__ import annotations

import asyncio
import re
import threading
import urllib.parse
from typing import TYPE_CHECKING, AsyncGenerator, Dict, Generator, Optional

import httpx

from ._http import request_json
from .errors import InvalidResponse
from .mcp import protected_resource_metadata_url

if TYPE_CHECKING:
    from .client import AgentClient, Scope

__all__ = ["McpAuth"]

_RESOURCE_METADATA = re.compile(r'resource_metadata="([^"]+)"')


def _server_key(url: httpx.URL) -> str:
    """The server a request is for: its URL without query or fragment."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}{url.path}"


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class McpAuth(httpx.Auth):
    """``httpx.Client(auth=McpAuth(agent, "tickets:read"))``; the same object serves
    ``httpx.AsyncClient`` (the exchange, blocking I/O, runs off the event loop). ``scope`` is
    asked of every server; omitted, the binding's whole ceiling."""

    # A retried request is sent twice: its body is read before the first send.
    requires_request_body = True

    def __init__(self, client: "AgentClient", scope: "Scope" = None) -> None:
        self._client = client
        self._scope = scope
        self._lock = threading.Lock()
        self._resources: Dict[str, str] = {}

    def __repr__(self) -> str:
        return "McpAuth(...)"

    def _known(self, request: httpx.Request) -> Optional[str]:
        with self._lock:
            return self._resources.get(_server_key(request.url))

    def _sign(self, request: httpx.Request, resource: str) -> httpx.Request:
        exchanged = self._client.exchange(resource=resource, scope=self._scope)
        request.headers.pop("DPoP", None)
        if exchanged.token_type.lower() == "dpop":
            if self._client.dpop_jkt is None:
                raise InvalidResponse("the broker bound the MCP token to a DPoP key this client does not hold")
            request.headers["Authorization"] = f"DPoP {exchanged.access_token}"
            request.headers["DPoP"] = self._client.dpop_proof(request.method, str(request.url), exchanged.access_token)
        else:
            request.headers["Authorization"] = f"Bearer {exchanged.access_token}"
        return request

    def _first(self, request: httpx.Request) -> httpx.Request:
        resource = self._known(request)
        return request if resource is None else self._sign(request, resource)

    def _discover(self, request: httpx.Request, challenge: str) -> str:
        server = _server_key(request.url)
        named = _RESOURCE_METADATA.search(challenge)
        metadata_url = urllib.parse.urljoin(server, named.group(1)) if named else protected_resource_metadata_url(server)
        # The metadata must come from the server itself: a challenge pointing elsewhere is refused.
        if _origin(metadata_url) != _origin(server):
            raise InvalidResponse(f"the MCP server at {_origin(server)} named resource metadata on another origin")
        metadata = request_json(self._client._transport, "GET", metadata_url, timeout=self._client._timeout)
        resource = metadata.get("resource")
        if not isinstance(resource, str):
            raise InvalidResponse(f"the MCP server at {_origin(server)} publishes resource metadata without a resource")
        # RFC 9728 3.3: the metadata names the server it was fetched for (this URL or a parent path).
        path = urllib.parse.urlsplit(resource).path.rstrip("/")
        if _origin(resource) != _origin(server) or not f"{urllib.parse.urlsplit(server).path}/".startswith(f"{path}/"):
            raise InvalidResponse(f"the MCP server at {_origin(server)} names another resource in its metadata ({resource})")
        servers = metadata.get("authorization_servers")
        issuer = self._client.issuer().rstrip("/")
        if not isinstance(servers, list) or issuer not in [str(s).rstrip("/") for s in servers]:
            raise InvalidResponse(f"the MCP server at {_origin(server)} does not name this agent's broker ({issuer}) as an authorization server")
        with self._lock:
            self._resources[server] = resource
        return resource

    def _again(self, request: httpx.Request, response: httpx.Response) -> Optional[httpx.Request]:
        """The request to send after a 401, or None to return the 401 as it is."""
        if response.status_code != 401:
            return None
        resource = self._known(request)
        if resource is None:
            challenge = response.headers.get("WWW-Authenticate", "")
            if not re.match(r"^\s*(Bearer|DPoP)\b", challenge, re.IGNORECASE):
                return None
            resource = self._discover(request, challenge)
        else:
            self._client.forget(resource=resource, scope=self._scope)
        return self._sign(request, resource)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield self._first(request)
        retry = self._again(request, response)
        if retry is not None:
            response.read()
            yield retry

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        response = yield await asyncio.to_thread(self._first, request)
        retry = await asyncio.to_thread(self._again, request, response)
        if retry is not None:
            await response.aread()
            yield retry
