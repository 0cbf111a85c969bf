"""McpAuth (an httpx.Auth) against the real broker and a real MCP server protected by @lanyard/mcp.

The server is the one of the TypeScript e2e test (the SDK's streamable HTTP transport, tools
tickets.list needing tickets:read and tickets.close needing tickets:write); conftest starts it
before the broker and protects it once the broker is up.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import Any, Callable, Dict, List

import httpx
import pytest

from lanyard_client import AgentClient, InvalidResponse
from lanyard_client.mcp_httpx import McpAuth

from conftest import Agent, Broker

ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def initialize(request_id: int = 1) -> Dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "py", "version": "1.0.0"}}}


def call_tool(name: str, request_id: int = 2) -> Dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": name, "arguments": {"id": "T-2"} if name == "tickets.close" else {}}}


def rpc_result(response: httpx.Response) -> Dict[str, Any]:
    """The JSON-RPC answer, sent as JSON or as one server-sent event."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[len("data: "):] for line in response.text.splitlines() if line.startswith("data: ")]
        return json.loads(data[-1])
    return response.json()


@pytest.fixture
def mcp_agent(broker: Broker, enrol: Callable[..., Agent]) -> Callable[..., Agent]:
    """An agent bound to tickets-mcp with the given ceiling."""

    def make(ceiling: List[str]) -> Agent:
        agent = enrol()
        broker.admin_ok("POST", f"/agents/{urllib.parse.quote(agent.handle)}/bindings", {"system": "tickets-mcp", "target": {}, "ceiling": ceiling})
        return agent

    return make


def mcp_grants(broker: Broker, handle: str) -> List[Dict[str, Any]]:
    return [grant for grant in broker.grants(handle) if grant["system"] == "tickets-mcp"]


def session(http: httpx.Client, url: str) -> Dict[str, str]:
    """initialize + initialized: the headers of the session the server opened."""
    opened = http.post(url, headers=ACCEPT, json=initialize())
    assert opened.status_code == 200, opened.text
    headers = {**ACCEPT, "mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
    assert http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202
    return headers


@pytest.mark.parametrize("dpop", [False, True], ids=["bearer", "dpop"])
def test_the_first_401_leads_to_discovery_and_one_exchange_then_the_tool_answers(broker: Broker, mcp_agent: Callable[..., Agent], dpop: bool) -> None:
    agent = mcp_agent(["tickets:read", "tickets:write"])
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, dpop=dpop)
    # Copies: a retried request is the same object, sent again.
    sent: List[httpx.Headers] = []
    with httpx.Client(auth=client.mcp_httpx_auth("tickets:read"), event_hooks={"request": [lambda request: sent.append(httpx.Headers(request.headers))]}) as http:
        headers = session(http, broker.tickets.resource)
        listed = http.post(broker.tickets.resource, headers=headers, json=call_tool("tickets.list"))
        assert listed.status_code == 200
        assert "printer on fire" in json.dumps(rpc_result(listed))
    # First without a token (refused, 401 naming the metadata), then with one: one exchange for
    # the server's URL, cached for every later request.
    assert "authorization" not in sent[0]
    assert len(sent) == 4 and all(headers["authorization"].startswith("DPoP " if dpop else "Bearer ") for headers in sent[1:])
    assert all(("dpop" in headers) is dpop for headers in sent[1:])
    # A fresh proof for each request.
    assert not dpop or len({headers["dpop"] for headers in sent[1:]}) == 3
    grants = mcp_grants(broker, agent.handle)
    assert len(grants) == 1 and grants[0]["scopes"] == ["tickets:read"]


def test_a_tool_beyond_the_scope_is_403_insufficient_scope_and_not_retried(broker: Broker, mcp_agent: Callable[..., Agent]) -> None:
    agent = mcp_agent(["tickets:read", "tickets:write"])
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    with httpx.Client(auth=McpAuth(client, "tickets:read")) as http:
        headers = session(http, broker.tickets.resource)
        refused = http.post(broker.tickets.resource, headers=headers, json=call_tool("tickets.close"))
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert len(mcp_grants(broker, agent.handle)) == 1


def test_a_revoked_token_is_exchanged_afresh_once_and_the_request_retried(broker: Broker, mcp_agent: Callable[..., Agent]) -> None:
    agent = mcp_agent(["tickets:read"])
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, dpop=True)
    with httpx.Client(auth=McpAuth(client)) as http:
        assert http.post(broker.tickets.resource, headers=ACCEPT, json=initialize()).status_code == 200
        [first] = mcp_grants(broker, agent.handle)
        broker.admin_ok("POST", f"/agents/{urllib.parse.quote(agent.handle)}/grants/{first['id']}/revoke", {"reason": "python: one grant"})
        # The server learns of the revocation from the broker's event stream; the auth sees a
        # 401, drops the cached token and retries once with a new one.
        for _ in range(50):
            retried = http.post(broker.tickets.resource, headers=ACCEPT, json=initialize(2))
            assert retried.status_code == 200
            if len(mcp_grants(broker, agent.handle)) == 2:
                break
            asyncio.run(asyncio.sleep(0.05))
        assert len(mcp_grants(broker, agent.handle)) == 2


def test_a_suspended_agent_gets_the_broker_refusal_not_a_loop(broker: Broker, mcp_agent: Callable[..., Agent]) -> None:
    agent = mcp_agent(["tickets:read"])
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    with httpx.Client(auth=McpAuth(client)) as http:
        assert http.post(broker.tickets.resource, headers=ACCEPT, json=initialize()).status_code == 200
        broker.admin_ok("POST", f"/agents/{urllib.parse.quote(agent.handle)}/suspend", {"reason": "python: suspend"})
        with pytest.raises(Exception) as refused:
            for _ in range(50):
                http.post(broker.tickets.resource, headers=ACCEPT, json=initialize(2))
                asyncio.run(asyncio.sleep(0.05))
        assert getattr(refused.value, "error", None) in ("invalid_grant", "access_denied"), repr(refused.value)


def test_the_async_client_too(broker: Broker, mcp_agent: Callable[..., Agent]) -> None:
    agent = mcp_agent(["tickets:read"])
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, dpop=True)

    async def run() -> int:
        async with httpx.AsyncClient(auth=McpAuth(client)) as http:
            return (await http.post(broker.tickets.resource, headers=ACCEPT, json=initialize())).status_code

    assert asyncio.run(run()) == 200


def refusing_server(challenge: str, metadata: Dict[str, Any]) -> httpx.MockTransport:
    """A server that refuses every request with `challenge` and serves `metadata` at the well-known path."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/.well-known/"):
            return httpx.Response(200, json=metadata)
        return httpx.Response(401, headers={"WWW-Authenticate": challenge}, json={"error": "invalid_token"})

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "challenge, metadata, reason",
    [
        ('Bearer resource_metadata="https://evil.test/.well-known/oauth-protected-resource"', {}, "another origin"),
        ('Bearer resource_metadata="https://tickets.test/.well-known/oauth-protected-resource/mcp"', {"resource": "https://billing.test/mcp", "authorization_servers": []}, "another resource"),
    ],
    ids=["metadata elsewhere", "another resource"],
)
def test_a_server_pointing_elsewhere_gets_no_token(broker: Broker, enrol: Callable[..., Agent], challenge: str, metadata: Dict[str, Any], reason: str) -> None:
    agent = enrol()
    metadata_answers: List[str] = []

    def transport(method: str, url: str, headers: Any, body: Any, timeout: float) -> Any:
        metadata_answers.append(url)
        return 200, {"content-type": "application/json"}, json.dumps(metadata).encode()

    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, transport=transport)
    with httpx.Client(auth=McpAuth(client), transport=refusing_server(challenge, metadata)) as http:
        with pytest.raises(InvalidResponse, match=reason):
            http.post("https://tickets.test/mcp", json=initialize())
    assert all(".well-known/oauth-protected-resource" in url for url in metadata_answers)


def test_a_server_that_trusts_another_broker_gets_no_token(broker: Broker, enrol: Callable[..., Agent]) -> None:
    agent = enrol()
    server = refusing_server('Bearer resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp"', {})
    metadata = {"resource": "http://127.0.0.1:9/mcp", "authorization_servers": ["https://idp.elsewhere.test"]}

    def transport(method: str, url: str, headers: Any, body: Any, timeout: float) -> Any:
        if url.startswith("http://127.0.0.1:9/"):
            return 200, {"content-type": "application/json"}, json.dumps(metadata).encode()
        from lanyard_client._http import urllib_transport

        return urllib_transport(method, url, headers, body, timeout)

    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, transport=transport)
    with httpx.Client(auth=McpAuth(client), transport=server) as http:
        with pytest.raises(InvalidResponse, match="does not name this agent's broker"):
            http.post("http://127.0.0.1:9/mcp", json=initialize())
    assert mcp_grants(broker, agent.handle) == []
