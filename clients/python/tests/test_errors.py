"""Typed errors: refusals of the real broker, and the wire shapes the scripted one stands in
for (approval_required, 429, 503)."""

from __future__ import annotations

import json
import socket
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lanyard_client import (
    ApprovalRequired,
    BrokerUnreachable,
    InvalidGrant,
    InvalidRequest,
    InvalidResponse,
    InvalidScope,
    InvalidTarget,
    KeyFileInvalid,
    LanyardError,
    RateLimited,
    ServerError,
    Unavailable,
    AgentClient,
)
from lanyard_client.errors import error_from_response

from conftest import Broker, FakeBroker, private_jwk


def test_a_scope_beyond_the_ceiling_is_invalid_scope(broker: Broker, enrol) -> None:
    agent = enrol(ceiling=("read",))
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    with pytest.raises(InvalidScope) as refused:
        client.exchange("scratch", "write")
    assert refused.value.error == "invalid_scope" and refused.value.status == 400
    assert isinstance(refused.value, LanyardError) and refused.value.code
    assert "write" in str(refused.value)
    assert broker.grants(agent.handle) == []


def test_a_scope_the_system_does_not_know_is_invalid_scope(broker: Broker, enrol) -> None:
    agent = enrol()
    with pytest.raises(InvalidScope):
        AgentClient(broker.url, agent.handle, key_file=agent.key_file).exchange("scratch", "fly")


@pytest.mark.parametrize("system", ["no-such-system", "unbound"])
def test_an_unknown_or_unbound_system_is_invalid_target(broker: Broker, enrol, system: str) -> None:
    agent = enrol()
    with pytest.raises(InvalidTarget) as refused:
        AgentClient(broker.url, agent.handle, key_file=agent.key_file).exchange(system, "read")
    assert refused.value.error == "invalid_target"
    assert broker.grants(agent.handle) == []


def test_an_unregistered_key_is_invalid_grant(broker: Broker, enrol) -> None:
    agent = enrol(register_key=False)
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    with pytest.raises(InvalidGrant) as refused:
        client.token()
    # The message carries the broker's public reason, never the assertion.
    assert client.assertion()[:20] not in str(refused.value)


def test_a_revoked_agent_is_refused_even_with_a_cached_handle_token(broker: Broker, enrol) -> None:
    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    client.token()
    broker.admin_ok("POST", f"/agents/{urllib.parse.quote(agent.handle)}/revoke", {"reason": "pytest"})
    with pytest.raises((InvalidGrant, InvalidRequest)):
        client.exchange("scratch", "read")
    assert broker.grants(agent.handle) == []


def test_no_broker_is_broker_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    jwk, _ = private_jwk()
    client = AgentClient(f"http://127.0.0.1:{port}", "a@agents.test.dev", key=jwk, timeout_seconds=2)
    with pytest.raises(BrokerUnreachable) as refused:
        client.exchange("scratch")
    assert refused.value.error == "network" and refused.value.status is None


def test_approval_required_carries_what_the_agent_needs_to_wait(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    fake_broker.answer(400, {"error": "approval_required", "error_description": "scope write needs an approval", "approval_id": "apr_123", "expires_in": 600, "interval": 7, "approval_uri": "https://lanyard.acme.dev/approvals/apr_123"})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk)
    before = datetime.now(timezone.utc)
    with pytest.raises(ApprovalRequired) as refused:
        client.exchange("scratch", "write", reason="ship the hotfix")
    approval = refused.value
    assert (approval.error, approval.code, approval.status) == ("approval_required", "approval_required", 400)
    assert approval.approval_id == "apr_123" and approval.interval == 7
    assert approval.approval_uri == "https://lanyard.acme.dev/approvals/apr_123"
    assert before + timedelta(seconds=599) <= approval.expires_at <= datetime.now(timezone.utc) + timedelta(seconds=600)
    assert fake_broker.forms[-1]["reason"] == "ship the hotfix"


def test_wait_for_approval_polls_at_the_interval_with_the_approval_id(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    pending = {"error": "approval_required", "approval_id": "apr_9", "expires_in": 600, "interval": 3, "approval_uri": "https://b/approvals/apr_9"}
    fake_broker.answer(400, pending)
    fake_broker.answer(400, pending)
    fake_broker.answer(200, {"access_token": "granted", "token_type": "Bearer", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token", "expires_in": 300, "scope": "write", "grant_id": "g1"})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk)
    slept = []
    with pytest.raises(ApprovalRequired) as refused:
        client.exchange("scratch", "write")
    credential = client.wait_for_approval(refused.value, "scratch", "write", sleep=slept.append)
    assert credential.access_token == "granted" and credential.scope == ("write",)
    assert slept == [3, 3]
    assert [form.get("approval_id") for form in fake_broker.forms[1:]] == [None, "apr_9", "apr_9"]
    assert all(form.get("scope") == "write" for form in fake_broker.forms[1:])


def test_wait_for_approval_gives_up_when_the_approval_lapses(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    fake_broker.answer(400, {"error": "approval_required", "approval_id": "apr_1", "expires_in": 5, "interval": 4})
    fake_broker.answer(400, {"error": "approval_required", "approval_id": "apr_1", "expires_in": 1, "interval": 4})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk)
    with pytest.raises(ApprovalRequired) as refused:
        client.exchange("scratch", "write")
    with pytest.raises(ApprovalRequired):
        client.wait_for_approval(refused.value, "scratch", "write", sleep=lambda seconds: None)
    assert len(fake_broker.forms) == 3  # one poll; the next would be after the approval lapsed


def test_a_denied_or_spent_approval_is_raised_at_once(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    fake_broker.answer(400, {"error": "approval_required", "approval_id": "apr_2", "expires_in": 600, "interval": 1})
    fake_broker.answer(400, {"error": "invalid_grant", "error_description": "the approval was denied", "code": "ERR_APPROVAL_DENIED"})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk)
    with pytest.raises(ApprovalRequired) as refused:
        client.exchange("scratch", "write")
    with pytest.raises(InvalidGrant) as denied:
        client.wait_for_approval(refused.value, "scratch", "write", sleep=lambda seconds: None)
    assert denied.value.code == "ERR_APPROVAL_DENIED" and denied.value.error == "invalid_grant"


def test_429_is_rate_limited_with_retry_after_and_503_is_unavailable(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    fake_broker.answer(429, {"error": "temporarily_unavailable", "error_description": "too many requests"}, {"Retry-After": "12"})
    fake_broker.answer(503, {"error": "temporarily_unavailable", "error_description": "the store is unavailable"}, {"Retry-After": "1"})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk)
    with pytest.raises(RateLimited) as limited:
        client.exchange("scratch")
    assert limited.value.retry_after == 12 and limited.value.status == 429
    with pytest.raises(Unavailable) as unavailable:
        client.exchange("scratch")
    assert not isinstance(unavailable.value, RateLimited) and unavailable.value.retry_after == 1


@pytest.mark.parametrize(
    ("status", "body", "expected", "error"),
    [
        (400, {"error": "invalid_scope"}, InvalidScope, "invalid_scope"),
        (400, {"error": "invalid_target"}, InvalidTarget, "invalid_target"),
        (400, {"error": "invalid_grant"}, InvalidGrant, "invalid_grant"),
        (400, {"error": "unsupported_token_type"}, InvalidRequest, "unsupported_token_type"),
        (503, None, Unavailable, "temporarily_unavailable"),
        (500, {"error": "server_error"}, ServerError, "server_error"),
        (502, "<html>", ServerError, "server_error"),
        (400, {"error": "made_up"}, InvalidResponse, "invalid_response"),
        (400, {"error": "approval_required"}, InvalidResponse, "invalid_response"),
    ],
)
def test_error_bodies_map_to_classes(status: int, body: object, expected: type, error: str) -> None:
    mapped = error_from_response(status, body)
    assert type(mapped) is expected and mapped.error == error and mapped.status == status


def test_the_catalogue_code_is_kept_when_the_broker_sends_one() -> None:
    mapped = error_from_response(400, {"error": "invalid_scope", "error_description": "scope \"admin\" exceeds the binding ceiling", "code": "ERR_SCOPE_WIDENING"})
    assert (mapped.error, mapped.code) == ("invalid_scope", "ERR_SCOPE_WIDENING")
    assert str(mapped) == 'invalid_scope [ERR_SCOPE_WIDENING]: scope "admin" exceeds the binding ceiling (HTTP 400)'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        (json.dumps({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}), "public key"),
        (json.dumps({"kty": "RSA", "n": "x", "e": "AQAB", "d": "x"}), "unsupported key type"),
        # RFC 8037 A.1's d with another key's x.
        (json.dumps({"kty": "OKP", "crv": "Ed25519", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}), "not the public half"),
    ],
)
def test_an_unusable_key_file_is_refused_without_echoing_it(tmp_path: Path, content: str, message: str) -> None:
    key_file = tmp_path / "bad.jwk"
    key_file.write_text(content, encoding="utf-8")
    with pytest.raises(KeyFileInvalid, match=message) as refused:
        AgentClient("http://127.0.0.1:1", "a@agents.test.dev", key_file=key_file)
    assert "nWGxne" not in str(refused.value)


def test_a_cached_handle_token_refused_as_invalid_grant_is_replaced_once(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    fake_broker.answer(200, {"access_token": "c1", "token_type": "Bearer", "issued_token_type": "x", "expires_in": 1})
    fake_broker.answer(400, {"error": "invalid_grant", "error_description": "the handle token is stale"})
    fake_broker.handle_token()
    fake_broker.answer(200, {"access_token": "c2", "token_type": "Bearer", "issued_token_type": "x", "expires_in": 300})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk, refresh_skew_seconds=30)
    assert client.exchange("scratch").access_token == "c1"  # expires within the skew: not cached
    assert client.exchange("scratch").access_token == "c2"
    grants = [form["grant_type"].rsplit(":", 1)[1] for form in fake_broker.forms]
    assert grants == ["jwt-bearer", "token-exchange", "token-exchange", "jwt-bearer", "token-exchange"]
    assert fake_broker.forms[2]["subject_token"] != fake_broker.forms[4]["subject_token"]


def test_a_fresh_handle_token_refused_is_not_retried(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    fake_broker.answer(400, {"error": "invalid_grant", "error_description": "agent suspended"})
    jwk, _ = private_jwk()
    with pytest.raises(InvalidGrant, match="agent suspended"):
        AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk).exchange("scratch")
    assert len(fake_broker.forms) == 2


def test_a_token_answer_without_access_token_is_invalid_response(fake_broker: FakeBroker) -> None:
    fake_broker.answer(200, {"token_type": "Bearer", "expires_in": 300})
    jwk, _ = private_jwk()
    with pytest.raises(InvalidResponse, match="no access_token"):
        AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk).token()
