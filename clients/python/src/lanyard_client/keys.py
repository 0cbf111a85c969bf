"""The agent's private key: loading the JWK file, its RFC 7638 thumbprint, and compact JWS.

Only what an RFC 7523 assertion needs is here: EdDSA (Ed25519) and ES256 (P-256) signatures
over ``base64url(header) "." base64url(payload)``. The signatures come from ``cryptography``;
this module only encodes. Nothing here ever puts the private scalar ``d`` into a message.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .errors import KeyFileInvalid

__all__ = ["AgentKey", "b64url", "generate_key", "load_key", "load_key_file", "jwk_thumbprint"]

_P256_BYTES = 32


def b64url(data: bytes) -> str:
    """RFC 7515 base64url, without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(value: Any, member: str) -> bytes:
    if not isinstance(value, str) or value == "":
        raise KeyFileInvalid(f'the JWK has no "{member}" member')
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError) as err:
        raise KeyFileInvalid(f'the JWK member "{member}" is not base64url') from err


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint: the required public members only, sorted, no whitespace.

    The broker registers a key under this value, so it is the assertion's ``kid``.
    """
    kty = jwk.get("kty")
    if kty == "OKP":
        members = {"crv": jwk.get("crv"), "kty": kty, "x": jwk.get("x")}
    elif kty == "EC":
        members = {"crv": jwk.get("crv"), "kty": kty, "x": jwk.get("x"), "y": jwk.get("y")}
    else:
        raise KeyFileInvalid(f"unsupported key type {kty!r}: use Ed25519 (OKP) or P-256 (EC)")
    for name, value in members.items():
        if not isinstance(value, str):
            raise KeyFileInvalid(f'the JWK has no "{name}" member')
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return b64url(hashlib.sha256(canonical).digest())


@dataclass(frozen=True)
class AgentKey:
    """A private Ed25519 or P-256 key, ready to sign assertions. ``repr`` never shows the key."""

    alg: str
    """``EdDSA`` or ``ES256``."""
    kid: str
    """RFC 7638 thumbprint of the public key."""
    _private: Union[Ed25519PrivateKey, ec.EllipticCurvePrivateKey] = field(repr=False)

    def public_jwk(self) -> Dict[str, str]:
        """The public half as a JWK (``kty``, ``crv``, ``x``[, ``y``])."""
        public = self._private.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            numbers = public.public_numbers()
            return {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(_P256_BYTES, "big")), "y": b64url(numbers.y.to_bytes(_P256_BYTES, "big"))}
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}

    def sign_jwt(self, claims: Mapping[str, Any], header: Optional[Mapping[str, Any]] = None) -> str:
        """A compact JWS of ``claims``; the header is ``{alg, kid, typ: JWT}``, or ``{alg}`` plus
        the members given."""
        header = {"alg": self.alg, **header} if header is not None else {"alg": self.alg, "kid": self.kid, "typ": "JWT"}
        signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode("utf-8")) for part in (header, dict(claims)))
        data = signing_input.encode("ascii")
        if isinstance(self._private, Ed25519PrivateKey):
            signature = self._private.sign(data)
        else:
            # JWS (RFC 7518 3.4) wants r || s, each 32 bytes; cryptography returns DER.
            r, s = decode_dss_signature(self._private.sign(data, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
        return f"{signing_input}.{b64url(signature)}"


def load_key(jwk: Mapping[str, Any]) -> AgentKey:
    """Imports a private JWK (Ed25519 ``OKP`` or P-256 ``EC``) and checks that its public members
    belong to its private scalar. Raises KeyFileInvalid naming what is wrong, never the key."""
    if not isinstance(jwk, Mapping):
        raise KeyFileInvalid("the key file does not hold a JWK object")
    if "d" not in jwk:
        raise KeyFileInvalid('the JWK is a public key (it has no "d" member): the agent signs with the private key')
    kty, crv = jwk.get("kty"), jwk.get("crv")
    kid = jwk_thumbprint(jwk)
    d = _b64url_decode(jwk.get("d"), "d")
    if kty == "OKP" and crv == "Ed25519":
        if len(d) != 32:
            raise KeyFileInvalid('the Ed25519 JWK member "d" is not 32 bytes')
        private = Ed25519PrivateKey.from_private_bytes(d)
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if public != _b64url_decode(jwk.get("x"), "x"):
            raise KeyFileInvalid('the JWK member "x" is not the public half of "d"')
        return AgentKey("EdDSA", kid, private)
    if kty == "EC" and crv == "P-256":
        if len(d) != _P256_BYTES:
            raise KeyFileInvalid('the P-256 JWK member "d" is not 32 bytes')
        try:
            private_ec = ec.derive_private_key(int.from_bytes(d, "big"), ec.SECP256R1())
        except ValueError as err:
            raise KeyFileInvalid('the P-256 JWK member "d" is out of range') from err
        numbers = private_ec.public_key().public_numbers()
        x = _b64url_decode(jwk.get("x"), "x")
        y = _b64url_decode(jwk.get("y"), "y")
        if numbers.x != int.from_bytes(x, "big") or numbers.y != int.from_bytes(y, "big"):
            raise KeyFileInvalid('the JWK members "x"/"y" are not the public half of "d"')
        return AgentKey("ES256", kid, private_ec)
    raise KeyFileInvalid(f"unsupported key {kty}/{crv}: use Ed25519 (OKP) or P-256 (EC)")


def generate_key() -> AgentKey:
    """A fresh in-memory P-256 key (e.g. for DPoP proofs); it never leaves the process."""
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    public = {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(_P256_BYTES, "big")), "y": b64url(numbers.y.to_bytes(_P256_BYTES, "big"))}
    return AgentKey("ES256", jwk_thumbprint(public), private)


def load_key_file(path: Union[str, Path]) -> AgentKey:
    """Reads the private JWK that ``lanyard keys add <handle> --generate --out <path>`` wrote."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise KeyFileInvalid(f"cannot read a JWK from {path}: {err.strerror or type(err).__name__}") from err
    try:
        jwk = json.loads(text)
    except ValueError as err:
        raise KeyFileInvalid(f"{path} is not JSON") from err
    try:
        return load_key(jwk)
    except KeyFileInvalid as err:
        raise KeyFileInvalid(f"{path}: {err.description}") from err
