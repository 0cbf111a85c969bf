"""An MCP server protected by Lanyard: RFC 9728 discovery, then an exchange for its URL."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List

import pytest

from lanyard_client import AgentClient, InvalidResponse
from lanyard_client.mcp import protected_resource_metadata_url

from conftest import FakeBroker, private_jwk


class McpServer:
    """Serves only its Protected Resource Metadata; `metadata` is what it answers."""

    def __init__(self) -> None:
        self.metadata: Dict[str, Any] = {}
        self.paths: List[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.paths.append(self.path)
                body = json.dumps(server.metadata).encode()
                self.send_response(200 if self.path == "/.well-known/oauth-protected-resource/mcp" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/mcp"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def mcp_server() -> Iterator[McpServer]:
    server = McpServer()
    try:
        yield server
    finally:
        server.http.shutdown()
        server.http.server_close()


class Request:
    def __init__(self) -> None:
        self.headers: Dict[str, str] = {}


def test_the_metadata_url_is_inserted_before_the_path() -> None:
    assert protected_resource_metadata_url("https://tickets.acme.dev/mcp") == "https://tickets.acme.dev/.well-known/oauth-protected-resource/mcp"
    assert protected_resource_metadata_url("https://tickets.acme.dev") == "https://tickets.acme.dev/.well-known/oauth-protected-resource"


def test_the_agent_discovers_the_server_and_exchanges_for_its_url(fake_broker: FakeBroker, mcp_server: McpServer) -> None:
    mcp_server.metadata = {"resource": mcp_server.url, "authorization_servers": [fake_broker.url], "scopes_supported": ["tickets:read", "tickets:write"]}
    fake_broker.handle_token()
    fake_broker.answer(200, {"access_token": "mcp-token", "token_type": "Bearer", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token", "expires_in": 300, "scope": "tickets:read"})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk)
    auth = client.mcp_auth(mcp_server.url, "tickets:read")
    assert auth(Request()).headers["Authorization"] == "Bearer mcp-token"
    assert auth(Request()).headers["Authorization"] == "Bearer mcp-token"
    assert mcp_server.paths == ["/.well-known/oauth-protected-resource/mcp"]
    assert fake_broker.forms[1]["resource"] == mcp_server.url and fake_broker.forms[1]["scope"] == "tickets:read"


def test_a_server_that_trusts_another_authorization_server_gets_no_token(fake_broker: FakeBroker, mcp_server: McpServer) -> None:
    mcp_server.metadata = {"resource": mcp_server.url, "authorization_servers": ["https://idp.evil.example"]}
    jwk, _ = private_jwk()
    auth = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk).mcp_auth(mcp_server.url)
    with pytest.raises(InvalidResponse, match="authorization server"):
        auth(Request())
    assert fake_broker.forms == []


def test_metadata_for_another_resource_is_refused(fake_broker: FakeBroker, mcp_server: McpServer) -> None:
    mcp_server.metadata = {"resource": "https://other.example/mcp", "authorization_servers": [fake_broker.url]}
    jwk, _ = private_jwk()
    with pytest.raises(InvalidResponse, match="another resource"):
        AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk).mcp_auth(mcp_server.url)(Request())
    assert fake_broker.forms == []
