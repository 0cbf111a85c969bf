"""The boto3 refresher's metadata and the requests/httpx auth helper."""

from __future__ import annotations

import hashlib
import threading
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List

import pytest

from lanyard_client import AgentClient, BearerAuth, InvalidResponse, aws_metadata

from conftest import Broker, FakeBroker, private_jwk


def aws_answer(expiration: datetime, expires_in: int = 3600, key_id: str = "ASIAEXAMPLE") -> Dict[str, Any]:
    return {
        "access_token": key_id,
        "token_type": "N_A",
        "issued_token_type": "urn:ietf:params:aws:token-type:session-credentials",
        "expires_in": expires_in,
        "scope": "s3:GetObject",
        "grant_id": "g-aws",
        "aws_credentials": {"access_key_id": key_id, "secret_access_key": "secret-example", "session_token": "session-example", "expiration": expiration.isoformat().replace("+00:00", "Z")},
    }


def test_the_refresher_returns_botocore_metadata_from_the_cache(fake_broker: FakeBroker) -> None:
    expiration = (datetime.now(timezone.utc) + timedelta(minutes=20)).replace(microsecond=0)
    fake_broker.handle_token()
    fake_broker.answer(200, aws_answer(expiration))
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "deploy@agents.test.dev", key=jwk)
    refresh = client.aws_refresher("aws-prod", "s3:GetObject")

    metadata = refresh()
    # What botocore's RefreshableCredentials.create_from_metadata reads, and nothing else.
    assert set(metadata) == {"access_key", "secret_key", "token", "expiry_time"}
    assert (metadata["access_key"], metadata["secret_key"], metadata["token"]) == ("ASIAEXAMPLE", "secret-example", "session-example")
    # The session's own expiration is earlier than expires_in (1 h): it wins. ISO 8601 with a zone.
    assert datetime.fromisoformat(metadata["expiry_time"]) == expiration
    assert refresh() == metadata
    assert [form["resource"] for form in fake_broker.forms[1:]] == ["urn:lanyard:system:aws-prod"]


def test_the_refresher_exchanges_again_once_the_session_is_about_to_end(fake_broker: FakeBroker) -> None:
    now = [datetime.now(timezone.utc).timestamp()]
    first = datetime.fromtimestamp(now[0] + 900, timezone.utc).replace(microsecond=0)
    second = datetime.fromtimestamp(now[0] + 1800, timezone.utc).replace(microsecond=0)
    fake_broker.handle_token(expires_in=3600)
    fake_broker.answer(200, aws_answer(first, key_id="ASIAFIRST"))
    fake_broker.answer(200, aws_answer(second, key_id="ASIASECOND"))
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "deploy@agents.test.dev", key=jwk, clock=lambda: now[0])
    refresh = client.aws_refresher("aws-prod")
    assert refresh()["access_key"] == "ASIAFIRST"
    now[0] += 900 - 29
    renewed = refresh()
    assert renewed["access_key"] == "ASIASECOND" and datetime.fromisoformat(renewed["expiry_time"]) == second


def test_the_refresher_gives_session_credentials_aws_honours_narrowed_to_the_request(broker: Broker, enrol) -> None:
    agent = enrol()
    ceiling = ["s3:GetObject", "s3:PutObject", "resource:arn:aws:s3:::reports/*"]
    broker.admin_ok("POST", f"/agents/{urllib.parse.quote(agent.handle)}/bindings", {"system": "aws-prod", "target": {"roleArn": broker.aws.role_arn, "maxDurationSeconds": 3600}, "ceiling": ceiling})
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    refresh = client.aws_refresher("aws-prod", "s3:GetObject resource:arn:aws:s3:::reports/*")

    metadata = refresh()
    assert set(metadata) == {"access_key", "secret_key", "token", "expiry_time"}
    assert metadata["access_key"].startswith("ASIA")
    expiry = datetime.fromisoformat(metadata["expiry_time"])
    assert expiry.tzinfo is not None and datetime.now(timezone.utc) + timedelta(minutes=5) < expiry <= datetime.now(timezone.utc) + timedelta(hours=1, minutes=1)
    assert broker.aws.check(metadata, "s3:GetObject", "arn:aws:s3:::reports/q1.csv") == "allowed"
    assert broker.aws.check(metadata, "s3:PutObject", "arn:aws:s3:::reports/q1.csv") == "implicitDeny"
    assert broker.aws.check(metadata, "s3:GetObject", "arn:aws:s3:::secrets/key") == "implicitDeny"
    assert broker.aws.check({**metadata, "secret_key": "wrong"}, "s3:GetObject", "arn:aws:s3:::reports/q1.csv") != "allowed"
    assert refresh() == metadata  # from the cache
    assert [g["system"] for g in broker.grants(agent.handle)] == ["aws-prod"]


def test_a_system_without_aws_credentials_is_refused(broker: Broker, enrol) -> None:
    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    with pytest.raises(InvalidResponse, match="no aws_credentials"):
        client.aws_credentials("scratch", "read")


def test_aws_metadata_refuses_a_partial_member(fake_broker: FakeBroker) -> None:
    answer = aws_answer(datetime.now(timezone.utc) + timedelta(minutes=20))
    del answer["aws_credentials"]["session_token"]
    fake_broker.handle_token()
    fake_broker.answer(200, answer)
    jwk, _ = private_jwk()
    credential = AgentClient(fake_broker.url, "d@agents.test.dev", key=jwk).exchange("aws-prod")
    with pytest.raises(InvalidResponse):
        aws_metadata(credential, "aws-prod")


class RequestsLikeRequest:
    """The part of requests.PreparedRequest / httpx.Request an auth touches."""

    def __init__(self) -> None:
        self.headers: Dict[str, str] = {}


def test_the_auth_helper_sends_the_exchanged_credential_as_bearer(broker: Broker, enrol) -> None:
    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    auth = client.auth("scratch", "read")

    request = auth(RequestsLikeRequest())
    token = request.headers["Authorization"].removeprefix("Bearer ")
    # The header holds the very credential the broker recorded for this agent.
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
    matches = broker.admin_ok("GET", f"/whois?memory_token_sha256={digest}")["matches"]
    assert [(m["handle"], m["scopes"]) for m in matches] == [(agent.handle, ["read"])]
    assert auth(RequestsLikeRequest()).headers["Authorization"] == f"Bearer {token}"  # cached
    assert token not in repr(auth)


class Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def test_the_httpx_flow_retries_once_with_a_fresh_credential_after_401(broker: Broker, enrol) -> None:
    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    flow = client.auth("scratch", "read").auth_flow(RequestsLikeRequest())

    first = next(flow).headers["Authorization"]
    retried = flow.send(Response(401)).headers["Authorization"]
    assert retried.startswith("Bearer ") and retried != first
    with pytest.raises(StopIteration):
        flow.send(Response(200))
    assert len(broker.grants(agent.handle)) == 2

    flow = client.auth("scratch", "read").auth_flow(RequestsLikeRequest())
    assert next(flow).headers["Authorization"] == retried
    with pytest.raises(StopIteration):
        flow.send(Response(200))


@pytest.fixture
def echo_server() -> Iterator[List[str]]:
    seen: List[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen.append(f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_header_reaches_the_server_on_a_urllib_request(echo_server: List[str]) -> None:
    url = echo_server.pop()
    auth = BearerAuth(lambda: "tok-123")
    with urllib.request.urlopen(auth(urllib.request.Request(url)), timeout=10) as response:
        assert response.status == 204
    assert echo_server == ["Bearer tok-123"]
