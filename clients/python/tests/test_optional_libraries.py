"""boto3 and httpx, when they are installed (Debian: python3-boto3, python3-httpx). The client
never needs them; these prove the shapes it hands over are the ones those libraries take. CI
installs neither, so there these are reported as skipped (pytest -ra)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, List

import pytest

from lanyard_client import AgentClient, httpx_auth

from conftest import Broker, FakeBroker, private_jwk
from test_aws_and_auth import aws_answer


def test_botocore_takes_the_metadata_and_refreshes_through_the_client(fake_broker: FakeBroker) -> None:
    pytest.importorskip("boto3")
    first = (datetime.now(timezone.utc) + timedelta(minutes=20)).replace(microsecond=0)
    fake_broker.handle_token(expires_in=3600)
    fake_broker.answer(200, aws_answer(first, key_id="ASIAFIRST"))
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "d@agents.test.dev", key=jwk)
    session = client.boto3_session("aws-prod", region_name="eu-west-1")
    frozen = session.get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == ("ASIAFIRST", "secret-example", "session-example")
    assert session.region_name == "eu-west-1"
    # botocore refreshes only within 15 minutes of expiry_time: with 20 left, one sign-in and one
    # exchange were all it took.
    assert len(fake_broker.forms) == 2


def test_httpx_sends_the_bearer_and_retries_a_401_with_a_fresh_credential(broker: Broker, enrol) -> None:
    httpx = pytest.importorskip("httpx")
    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    seen: List[str] = []

    def upstream(request: Any) -> Any:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401 if len(seen) == 1 else 200)

    with httpx.Client(transport=httpx.MockTransport(upstream), auth=httpx_auth(client.auth("scratch", "read"))) as http:
        assert http.get("https://upstream.test/x").status_code == 200
    assert len(seen) == 2 and seen[0] != seen[1] and all(value.startswith("Bearer ") for value in seen)

    # The plain callable works too (httpx wraps it in its FunctionAuth).
    with httpx.Client(transport=httpx.MockTransport(upstream), auth=client.auth("scratch", "read")) as http:
        http.get("https://upstream.test/y")
    assert seen[2] == seen[1]


def test_httpx_async_client_gets_the_bearer_and_retries_a_401(broker: Broker, enrol) -> None:
    httpx = pytest.importorskip("httpx")
    import asyncio

    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file)
    seen: List[str] = []

    def upstream(request: Any) -> Any:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401 if len(seen) == 1 else 200)

    async def main() -> int:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstream), auth=httpx_auth(client.auth("scratch", "read"))) as http:
            return (await http.get("https://upstream.test/x")).status_code

    assert asyncio.run(main()) == 200
    assert len(seen) == 2 and seen[0] != seen[1] and all(value.startswith("Bearer ") for value in seen)
