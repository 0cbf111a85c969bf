"""MCP servers behind Lanyard, from the agent's side (issue 20).

An MCP server protected by Lanyard is an OAuth resource server: it publishes Protected Resource
Metadata (RFC 9728) naming the broker as its authorization server, and takes access tokens
whose audience is its own URL (RFC 8707 resource indicators). The Python MCP SDK is not packaged
by Debian, so the hook here is an httpx (or requests) auth: its streamable-HTTP and SSE
transports take an ``httpx.Auth``.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import TYPE_CHECKING, Any, Dict

from ._http import request_json
from .errors import InvalidResponse

if TYPE_CHECKING:
    from .auth import BearerAuth
    from .client import AgentClient, Scope

__all__ = ["protected_resource_metadata_url", "discover_resource", "mcp_auth"]


def protected_resource_metadata_url(server_url: str) -> str:
    """RFC 9728 3.1: ``/.well-known/oauth-protected-resource`` inserted between the host and the
    path of the resource (``https://h/mcp`` -> ``https://h/.well-known/oauth-protected-resource/mcp``)."""
    parts = urllib.parse.urlsplit(server_url)
    path = parts.path.rstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/.well-known/oauth-protected-resource{path}", "", ""))


def discover_resource(client: "AgentClient", server_url: str) -> Dict[str, Any]:
    """The server's Protected Resource Metadata, checked: its ``resource`` is the server's URL
    (RFC 9728 3.3) and the broker's issuer is one of its ``authorization_servers`` (else the
    broker cannot mint a token the server accepts, and none is asked for)."""
    metadata = request_json(client._transport, "GET", protected_resource_metadata_url(server_url), timeout=client._timeout)
    resource = metadata.get("resource")
    if not isinstance(resource, str) or resource.rstrip("/") != server_url.rstrip("/"):
        raise InvalidResponse(f"the protected resource metadata of {server_url} names another resource")
    servers = metadata.get("authorization_servers")
    issuer = client.issuer()
    if not isinstance(servers, list) or issuer.rstrip("/") not in [str(server).rstrip("/") for server in servers]:
        raise InvalidResponse(f"{server_url} does not name this broker ({issuer}) as an authorization server")
    return metadata


def mcp_auth(client: "AgentClient", server_url: str, scope: "Scope" = None) -> "BearerAuth":
    """An auth for an MCP server's URL: discovers its metadata once (at the first request), then
    sends a token exchanged for ``resource=<its URL>`` with ``scope`` (default: the binding's
    ceiling), renewed before expiry, retried once after a 401. Wrap it with ``httpx_auth`` for
    the MCP SDK's httpx transports."""
    from .auth import BearerAuth

    lock = threading.Lock()
    found: Dict[str, str] = {}

    def resource() -> str:
        with lock:
            if "resource" not in found:
                found["resource"] = str(discover_resource(client, server_url)["resource"])
            return found["resource"]

    def credential() -> Any:
        exchanged = client.exchange(resource=resource(), scope=scope)
        return exchanged.token_type, exchanged.access_token

    def forget() -> None:
        if "resource" in found:
            client.forget(resource=found["resource"], scope=scope)

    return BearerAuth(credential, forget=forget, dpop_proof=client.dpop_proof if client.dpop_jkt else None)
