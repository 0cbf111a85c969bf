"""Sign-in and exchange against the real broker: key files (Ed25519, P-256, the CLI's own),
federated token files, and the cache."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import jwt
import pytest

from lanyard_client import GRANT_TYPE_JWT_BEARER, GRANT_TYPE_TOKEN_EXCHANGE, AgentClient, Credential
from lanyard_client.keys import load_key_file

from conftest import REPO_ROOT, Broker, CountingTransport


def whois_memory_token(broker: Broker, token: str) -> dict:
    """The broker's attribution of a `memory` credential, by the hash the upstream would log."""
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
    matches = broker.admin_ok("GET", f"/whois?memory_token_sha256={digest}")["matches"]
    assert len(matches) == 1, matches
    return matches[0]


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_a_key_file_signs_in_and_exchanges_for_a_narrowed_credential(broker: Broker, enrol, alg: str) -> None:
    agent = enrol(alg)
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)

    handle_token = client.token()
    claims = jwt.decode(handle_token, options={"verify_signature": False})
    assert claims["sub"] == agent.handle

    credential = client.exchange("scratch", "read")
    assert isinstance(credential, Credential)
    assert credential.scope == ("read",)
    assert credential.token_type.lower() == "bearer"
    assert credential.grant_id
    assert credential.expires_at.timestamp() > time.time() + 60
    # The broker recorded exactly this credential as a live grant of this agent.
    assert whois_memory_token(broker, credential.access_token)["grant_id"] == credential.grant_id
    grants = broker.grants(agent.handle)
    assert [(g["id"], g["status"]) for g in grants] == [(credential.grant_id, "live")]
    # Nothing secret in repr.
    assert credential.access_token not in repr(credential)
    assert agent.jwk["d"] not in repr(client)


def test_the_assertion_is_rfc_7523_with_the_thumbprint_as_kid(broker: Broker, enrol) -> None:
    agent = enrol("ES256")
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    first, second = client.assertion(), client.assertion()
    header = jwt.get_unverified_header(first)
    assert header["alg"] == "ES256" and header["kid"] == agent.jwk["kid"]
    public = jwt.PyJWK({k: v for k, v in agent.jwk.items() if k != "d"}).key
    claims = jwt.decode(first, public, algorithms=["ES256"], audience=broker.url, issuer=agent.handle)
    assert claims["sub"] == agent.handle
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert claims["jti"] != jwt.decode(second, options={"verify_signature": False})["jti"]


def test_the_key_file_written_by_the_cli_works(broker: Broker, tmp_path: Path) -> None:
    handle = f"py-cli-{uuid.uuid4().hex[:8]}@agents.test.dev"
    broker.admin_ok("POST", "/agents", {"handle": handle, "owner": "alice@test.dev"})
    broker.admin_ok("POST", f"/agents/{urllib.parse.quote(handle)}/bindings", {"system": "scratch", "target": {"account": "default"}, "ceiling": ["read"]})
    key_file = tmp_path / "agent.jwk"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LANYARD_")}, "LANYARD_URL": broker.url, "LANYARD_ADMIN_TOKEN": broker.admin_token}
    cli = ["node", "--conditions=lanyard-source", "--import", "tsx", "apps/cli/src/main.ts", "keys", "add", handle, "--generate", "--out", str(key_file)]
    result = subprocess.run(cli, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert load_key_file(key_file).kid in result.stdout

    credential = AgentClient(broker.url, handle, key_file=key_file).exchange("scratch")
    assert credential.scope == ("read",)


def test_a_second_exchange_is_answered_from_the_cache(broker: Broker, enrol, counting: CountingTransport) -> None:
    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, transport=counting)

    first = client.exchange("scratch", ["write", "read"])
    second = client.exchange("scratch", "read write read")
    assert second is first
    assert len(counting.grants(GRANT_TYPE_TOKEN_EXCHANGE)) == 1
    assert len(broker.grants(agent.handle)) == 1

    # Another scope set is another credential, on the same cached handle token.
    client.exchange("scratch", "read")
    assert len(counting.grants(GRANT_TYPE_TOKEN_EXCHANGE)) == 2
    assert len(counting.grants(GRANT_TYPE_JWT_BEARER)) == 1
    assert len(broker.grants(agent.handle)) == 2


def test_a_credential_is_exchanged_again_shortly_before_it_expires(broker: Broker, enrol, counting: CountingTransport) -> None:
    agent = enrol()
    now = [time.time()]
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, transport=counting, clock=lambda: now[0], refresh_skew_seconds=30)
    first = client.exchange("scratch", "read")
    lifetime = first.expires_at.timestamp() - now[0]

    now[0] += lifetime - 31  # 31 s left: still served from the cache
    assert client.exchange("scratch", "read") is first
    now[0] += 2  # 29 s left: inside the skew, exchanged again
    second = client.exchange("scratch", "read")
    assert second.grant_id != first.grant_id
    assert len(counting.grants(GRANT_TYPE_TOKEN_EXCHANGE)) == 2


def test_concurrent_exchanges_share_one_request(broker: Broker, enrol, counting: CountingTransport) -> None:
    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, transport=counting)
    results: list = []
    barrier = threading.Barrier(8)

    def run() -> None:
        barrier.wait()
        results.append(client.exchange("scratch", "read"))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert len(counting.grants(GRANT_TYPE_JWT_BEARER)) == 1
    assert len(counting.grants(GRANT_TYPE_TOKEN_EXCHANGE)) == 1


def test_a_federated_token_file_is_sent_as_the_assertion_and_read_again_for_each_sign_in(broker: Broker, enrol, tmp_path: Path, counting: CountingTransport) -> None:
    # Until the broker trusts platform issuers (issue 16), the workload token in the file is an
    # assertion the agent's key signed: what matters here is that the file's content is the
    # assertion, verbatim, and that a rotated file is read again.
    agent = enrol()
    signer = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    token_file = tmp_path / "token"
    token_file.write_text(signer.assertion() + "\n", encoding="utf-8")
    client = AgentClient(broker.url, federated_token_file=token_file, transport=counting)

    assert client.exchange("scratch", "read").scope == ("read",)
    assert counting.grants(GRANT_TYPE_JWT_BEARER)[0]["assertion"] == token_file.read_text().strip()

    token_file.write_text(signer.assertion(), encoding="utf-8")  # the platform rotated it
    client.forget()
    client.exchange("scratch", "read")
    sent = [form["assertion"] for form in counting.grants(GRANT_TYPE_JWT_BEARER)]
    assert len(sent) == 2 and sent[1] == token_file.read_text() and sent[0] != sent[1]


def test_a_github_actions_job_signs_in_with_its_oidc_token(broker: Broker, enrol, counting: CountingTransport) -> None:
    # The Actions runtime's token endpoint, standing in: it hands out the "platform token" (here
    # an assertion of the agent's key, as above) to a caller with the request bearer.
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from lanyard_client import github_actions_token

    agent = enrol()
    signer = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    asked: list = []

    class Runtime(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            asked.append((self.path, self.headers.get("Authorization")))
            body = json.dumps({"value": signer.assertion()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    runtime = ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    try:
        env = {"ACTIONS_ID_TOKEN_REQUEST_URL": f"http://127.0.0.1:{runtime.server_address[1]}/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runtime-bearer"}
        client = AgentClient(broker.url, federated_token=github_actions_token("https://lanyard.acme.dev", environ=env), transport=counting)
        assert client.exchange("scratch", "read").scope == ("read",)
    finally:
        runtime.shutdown()
        runtime.server_close()
    assert asked == [("/token?api-version=2.0&audience=https%3A%2F%2Flanyard.acme.dev", "bearer runtime-bearer")]


def test_coroutines_exchange_off_the_event_loop_and_share_the_cache(broker: Broker, enrol, counting: CountingTransport) -> None:
    import asyncio

    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, transport=counting)

    async def main() -> list:
        return await asyncio.gather(*(client.aexchange("scratch", "read") for _ in range(5)), client.atoken())

    *credentials, handle_token = asyncio.run(main())
    assert all(c is credentials[0] for c in credentials) and credentials[0].scope == ("read",)
    assert handle_token == client.token()
    assert len(counting.grants(GRANT_TYPE_JWT_BEARER)) == 1 and len(counting.grants(GRANT_TYPE_TOKEN_EXCHANGE)) == 1
