"""Units without a broker: the JWS encoder against RFC 8037's vectors and PyJWT, and the cache."""

from __future__ import annotations

import threading
import time
from typing import List

import jwt
import pytest

from lanyard_client._cache import ExpiringCache
from lanyard_client.keys import jwk_thumbprint, load_key

from conftest import private_jwk

# RFC 8037 Appendix A.1 (the Ed25519 key) and A.3 (its RFC 7638 thumbprint).
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    assert jwk_thumbprint(RFC8037_JWK) == RFC8037_THUMBPRINT
    assert load_key(RFC8037_JWK).kid == RFC8037_THUMBPRINT


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_signatures_verify_with_pyjwt(alg: str) -> None:
    private, public = private_jwk(alg)
    key = load_key(private)
    token = key.sign_jwt({"sub": "a@agents.test.dev", "n": 1})
    assert jwt.get_unverified_header(token) == {"alg": alg, "kid": private["kid"], "typ": "JWT"}
    assert jwt.decode(token, jwt.PyJWK(public, algorithm=alg).key, algorithms=[alg]) == {"sub": "a@agents.test.dev", "n": 1}
    # ES256 is r || s (64 bytes, 86 base64url characters), not DER.
    assert len(token.rsplit(".", 1)[1]) == 86


def test_a_signature_from_another_key_does_not_verify() -> None:
    private, _ = private_jwk("ES256")
    _, other = private_jwk("ES256")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(load_key(private).sign_jwt({"a": 1}), jwt.PyJWK(other, algorithm="ES256").key, algorithms=["ES256"])


def test_the_cache_serves_until_the_skew_then_loads_again() -> None:
    now = [1000.0]
    cache: ExpiringCache[str] = ExpiringCache(lambda: now[0], skew_seconds=30)
    loads: List[int] = []

    def load() -> tuple:
        loads.append(1)
        return f"v{len(loads)}", now[0] + 100

    assert cache.get("k", load) == "v1"
    now[0] += 69
    assert cache.get("k", load) == "v1"
    now[0] += 1  # 30 s left: stale
    assert cache.get("k", load) == "v2"
    assert len(loads) == 2


def test_a_failed_load_is_not_cached() -> None:
    cache: ExpiringCache[str] = ExpiringCache(time.time, skew_seconds=0)

    def fail() -> tuple:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get("k", fail)
    assert cache.get("k", lambda: ("ok", time.time() + 60)) == "ok"


def test_concurrent_callers_share_one_load() -> None:
    cache: ExpiringCache[str] = ExpiringCache(time.time, skew_seconds=0)
    loads: List[int] = []
    started = threading.Event()

    def slow() -> tuple:
        loads.append(1)
        started.set()
        time.sleep(0.2)
        return "shared", time.time() + 60

    results: List[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["shared"] * 10 and len(loads) == 1
