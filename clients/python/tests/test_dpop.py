"""DPoP (RFC 9449) proofs, opt-in with ``dpop=True``: the wire shape the broker's binding of
handle tokens (issue 16) and DPoP-bound MCP tokens (issue 20) expect. Checked with PyJWT."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any, Dict

import jwt
import pytest

from lanyard_client import AgentClient, InvalidDpopProof
from lanyard_client.keys import jwk_thumbprint

from conftest import FakeBroker, private_jwk


def verify_proof(proof: str, method: str, url: str) -> Dict[str, Any]:
    header = jwt.get_unverified_header(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256" and "d" not in header["jwk"]
    claims = jwt.decode(proof, jwt.PyJWK(header["jwk"], algorithm="ES256").key, algorithms=["ES256"])
    assert claims["htm"] == method and claims["htu"] == url and abs(claims["iat"] - time.time()) < 60
    return {**claims, "jkt": jwk_thumbprint(header["jwk"])}


def test_every_token_request_carries_a_fresh_proof_of_one_key(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    fake_broker.answer(200, {"access_token": "c1", "token_type": "DPoP", "issued_token_type": "x", "expires_in": 300})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk, dpop=True)
    client.exchange(resource="https://tickets.acme.dev/mcp", scope="tickets:read")

    proofs = [verify_proof(h["dpop"], "POST", f"{fake_broker.url}/oauth/token") for h in fake_broker.headers]
    assert len(proofs) == 2 and proofs[0]["jti"] != proofs[1]["jti"]
    assert proofs[0]["jkt"] == proofs[1]["jkt"] == client.dpop_jkt
    assert client.dpop_jkt != AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk, dpop=True).dpop_jkt
    assert fake_broker.forms[1]["resource"] == "https://tickets.acme.dev/mcp"


def test_a_nonce_request_is_answered_once_with_a_new_assertion(fake_broker: FakeBroker) -> None:
    fake_broker.answer(400, {"error": "use_dpop_nonce", "error_description": "a nonce is required"}, {"DPoP-Nonce": "n-1"})
    fake_broker.handle_token()
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk, dpop=True)
    client.token()
    first, second = (verify_proof(h["dpop"], "POST", f"{fake_broker.url}/oauth/token") for h in fake_broker.headers)
    assert "nonce" not in first and second["nonce"] == "n-1"
    assert fake_broker.forms[0]["assertion"] != fake_broker.forms[1]["assertion"]


def test_a_refused_proof_is_invalid_dpop_proof(fake_broker: FakeBroker) -> None:
    fake_broker.answer(400, {"error": "invalid_dpop_proof", "error_description": "the proof was replayed"})
    jwk, _ = private_jwk()
    with pytest.raises(InvalidDpopProof) as refused:
        AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk, dpop=True).token()
    assert refused.value.error == "invalid_dpop_proof" and len(fake_broker.forms) == 1


class Request:
    def __init__(self, method: str, url: str) -> None:
        self.method, self.url, self.headers = method, url, {}


def test_a_dpop_bound_credential_is_sent_with_a_proof_bound_to_it(fake_broker: FakeBroker) -> None:
    fake_broker.handle_token()
    fake_broker.answer(200, {"access_token": "mcp-token", "token_type": "DPoP", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token", "expires_in": 300})
    jwk, _ = private_jwk()
    client = AgentClient(fake_broker.url, "a@agents.test.dev", key=jwk, dpop=True)
    request = client.auth(resource="https://tickets.acme.dev/mcp")(Request("post", "https://tickets.acme.dev/mcp?session=1"))
    assert request.headers["Authorization"] == "DPoP mcp-token"
    claims = verify_proof(request.headers["DPoP"], "POST", "https://tickets.acme.dev/mcp")
    assert claims["ath"] == base64.urlsafe_b64encode(hashlib.sha256(b"mcp-token").digest()).rstrip(b"=").decode()
    assert claims["jkt"] == client.dpop_jkt


def test_a_dpop_client_signs_in_and_exchanges_with_the_real_broker(broker, enrol) -> None:
    # Today's broker ignores the proofs; once it binds handle tokens (issue 16) this is the
    # end-to-end check that the proofs are what it wants.
    agent = enrol()
    client = AgentClient(broker.url, agent.handle, key_file=agent.key_file, dpop=True)
    assert client.exchange("scratch", "read").scope == ("read",)
    claims = jwt.decode(client.token(), options={"verify_signature": False})
    assert claims.get("cnf", {}).get("jkt", client.dpop_jkt) == client.dpop_jkt
