"""The agent's client: authenticate, exchange, cache. Mirrors ``@lanyard/client`` (TypeScript).

Authentication is the RFC 7523 jwt-bearer grant at ``POST /oauth/token``, with either

- an assertion this client signs with the agent's private key (``iss`` = ``sub`` = handle,
  ``aud`` = the broker's issuer, 60 s lifetime, fresh ``jti``, ``kid`` = RFC 7638 thumbprint), or
- a federated workload token read from a file (GitHub Actions, a Kubernetes projected
  service-account token, a JWT-SVID), sent as the assertion as it is. The file is read again
  for every sign-in: platforms rotate it in place.

The answer is a handle token, kept until shortly before it expires. An exchange (RFC 8693)
trades it for one system's credential, kept per (resource, scope set) the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Tuple, Union

from ._cache import ExpiringCache
from ._http import Transport, request_json, urllib_transport
from .errors import ApprovalRequired, InvalidDpopProof, InvalidGrant, InvalidResponse, KeyFileInvalid, LanyardError
from .keys import AgentKey, b64url, generate_key, load_key, load_key_file
from .credential import Credential, Scope, expiry_of, parse_time, require_string, normalise_scope

if TYPE_CHECKING:
    from .auth import BearerAuth
    from .mcp_httpx import McpAuth

__all__ = ["AgentClient", "Credential", "GRANT_TYPE_JWT_BEARER", "GRANT_TYPE_TOKEN_EXCHANGE", "TOKEN_TYPE_JWT", "SYSTEM_RESOURCE_PREFIX"]

GRANT_TYPE_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_TYPE_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPE_JWT = "urn:ietf:params:oauth:token-type:jwt"
SYSTEM_RESOURCE_PREFIX = "urn:lanyard:system:"

# RFC 7523 3 wants a short assertion lifetime; the broker accepts at most 5 minutes.
ASSERTION_TTL_SECONDS = 60
# The broker takes an agent's `reason` for an approval request up to this length (issue 15).
REASON_MAX_CHARS = 500
_HANDLE_TOKEN = ("handle-token",)

class AgentClient:
    """An agent's client of one broker. Thread-safe; share one per process.

    Give exactly one way to sign in: ``key_file`` (the private JWK that
    ``lanyard keys add <handle> --generate --out <file>`` wrote) or ``key`` (the JWK as a dict),
    both with ``handle``; or ``federated_token_file`` / ``federated_token`` (a callable returning
    the platform's token). Nothing is fetched until the first call; the broker's discovery
    document is fetched once (a failure is retried on the next call). ``clock`` (seconds since
    the epoch) decides when cached tokens are stale; tests pass a fake one.
    """

    def __init__(
        self,
        broker_url: str,
        handle: Optional[str] = None,
        *,
        key_file: Union[str, Path, None] = None,
        key: Optional[Mapping[str, Any]] = None,
        federated_token_file: Union[str, Path, None] = None,
        federated_token: Optional[Callable[[], str]] = None,
        refresh_skew_seconds: float = 30,
        timeout_seconds: float = 10,
        transport: Optional[Transport] = None,
        clock: Callable[[], float] = time.time,
        dpop: bool = False,
    ) -> None:
        given = [name for name, value in (("key_file", key_file), ("key", key), ("federated_token_file", federated_token_file), ("federated_token", federated_token)) if value is not None]
        if len(given) != 1:
            raise TypeError("give exactly one of key_file, key, federated_token_file or federated_token" + (f" (got {', '.join(given)})" if given else ""))
        self._key: Optional[AgentKey] = None
        self._federated: Optional[Callable[[], str]] = None
        if key_file is not None or key is not None:
            if not handle:
                raise TypeError("handle is required with a key: the assertion names the handle it proves")
            self._key = load_key_file(key_file) if key_file is not None else load_key(key)  # type: ignore[arg-type]
        elif federated_token_file is not None:
            path = Path(federated_token_file)
            self._federated = lambda: _read_token_file(path)
        else:
            if not callable(federated_token):
                raise TypeError("federated_token must be a callable returning the platform's token")
            self._federated = federated_token
        self.broker_url = broker_url.rstrip("/")
        self.handle = handle
        self._timeout = timeout_seconds
        self._transport: Transport = transport or urllib_transport
        self._clock = clock
        self._cache: ExpiringCache[Any] = ExpiringCache(clock, refresh_skew_seconds)
        self._issuer: Optional[str] = None
        self._issuer_lock = threading.Lock()
        # RFC 9449: a fresh key per client, in memory only; the broker binds the handle token to it.
        self._dpop_key: Optional[AgentKey] = generate_key() if dpop else None
        self._dpop_nonce: Optional[str] = None

    def __repr__(self) -> str:
        how = f"key {self._key.kid}" if self._key else "federated token"
        return f"AgentClient({self.broker_url!r}, handle={self.handle!r}, {how})"

    # Endpoints are resolved against broker_url, not the discovered `token_endpoint`: a broker
    # may advertise a public name that the agent, inside the same network, cannot or should not use.
    def _url(self, path: str) -> str:
        return f"{self.broker_url}{path}"

    @property
    def dpop_jkt(self) -> Optional[str]:
        """RFC 7638 thumbprint of the DPoP key (the bound tokens' ``cnf.jkt``); None without DPoP."""
        return self._dpop_key.kid if self._dpop_key else None

    def dpop_proof(self, method: str, url: str, access_token: Optional[str] = None) -> str:
        """An RFC 9449 proof for one request: ``htm``, ``htu`` (without query or fragment), ``iat``,
        a fresh ``jti``, the broker's last nonce on the broker's URLs, and ``ath`` when presenting
        ``access_token``."""
        if self._dpop_key is None:
            raise TypeError("this client was created without dpop=True")
        parts = urllib.parse.urlsplit(url)
        claims: Dict[str, Any] = {"jti": str(uuid.uuid4()), "htm": method.upper(), "htu": urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), "iat": int(time.time())}
        # The nonce is the broker's (RFC 9449 8); a resource server keeps its own.
        if self._dpop_nonce is not None and url.startswith(f"{self.broker_url}/"):
            claims["nonce"] = self._dpop_nonce
        if access_token is not None:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        return self._dpop_key.sign_jwt(claims, {"typ": "dpop+jwt", "jwk": self._dpop_key.public_jwk()})

    def _post_token(self, make_form: Callable[[], Dict[str, str]]) -> Dict[str, Any]:
        url = self._url("/oauth/token")
        if self._dpop_key is None:
            return request_json(self._transport, "POST", url, form=make_form(), timeout=self._timeout)
        try:
            return request_json(self._transport, "POST", url, form=make_form(), timeout=self._timeout, headers={"DPoP": self.dpop_proof("POST", url)})
        except InvalidDpopProof as err:
            # RFC 9449 8: the server wants its nonce in the proof; once, with a fresh form (a new
            # assertion: the refused one's `jti` may be spent).
            if err.error != "use_dpop_nonce" or not err.dpop_nonce:
                raise
            self._dpop_nonce = err.dpop_nonce
            return request_json(self._transport, "POST", url, form=make_form(), timeout=self._timeout, headers={"DPoP": self.dpop_proof("POST", url)})

    def issuer(self) -> str:
        """The broker's issuer (``/.well-known/openid-configuration``), the assertion's ``aud``."""
        with self._issuer_lock:
            if self._issuer is None:
                body = request_json(self._transport, "GET", self._url("/.well-known/openid-configuration"), timeout=self._timeout)
                issuer = body.get("issuer")
                if not isinstance(issuer, str) or issuer == "":
                    raise InvalidResponse("the discovery document has no issuer")
                self._issuer = issuer
            return self._issuer

    def assertion(self) -> str:
        """A fresh RFC 7523 assertion: signed with the key, or the federated token as read now."""
        if self._federated is not None:
            token = self._federated()
            if not isinstance(token, str) or token.strip() == "":
                raise KeyFileInvalid("the federated token source gave no token")
            return token.strip()
        assert self._key is not None and self.handle is not None
        # Wall time, not the injectable clock: the broker checks `exp` against its own.
        issued_at = int(time.time())
        return self._key.sign_jwt({
            "iss": self.handle,
            "sub": self.handle,
            "aud": self.issuer(),
            "iat": issued_at,
            "exp": issued_at + ASSERTION_TTL_SECONDS,
            "jti": str(uuid.uuid4()),
        })

    def _mint_handle_token(self) -> Tuple[str, float]:
        body = self._post_token(lambda: {"grant_type": GRANT_TYPE_JWT_BEARER, "assertion": self.assertion()})
        return require_string(body, "access_token"), expiry_of(body, self._clock())

    def token(self) -> str:
        """A handle token, signed by the broker; cached until ``refresh_skew_seconds`` before it expires."""
        return self._cache.get(_HANDLE_TOKEN, self._mint_handle_token)

    def _exchange_once(self, resource: str, scopes: Tuple[str, ...], subject_token: str, extra: Dict[str, str]) -> Tuple[Credential, float]:
        form = {
            "grant_type": GRANT_TYPE_TOKEN_EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": TOKEN_TYPE_JWT,
            "resource": resource,
        }
        if scopes:
            form["scope"] = " ".join(scopes)
        form.update(extra)
        body = self._post_token(lambda: form)
        access_token = require_string(body, "access_token")
        until = expiry_of(body, self._clock())
        # AWS session credentials carry their own expiry; the earlier of the two wins.
        aws = body.get("aws_credentials")
        if isinstance(aws, dict):
            aws_until = parse_time(aws.get("expiration"))
            if aws_until is not None and aws_until < until:
                until = aws_until
        granted = body.get("scope")
        credential = Credential(
            access_token=access_token,
            token_type=str(body.get("token_type", "")),
            issued_token_type=str(body.get("issued_token_type", "")),
            expires_at=datetime.fromtimestamp(until, timezone.utc),
            scope=normalise_scope(granted) if isinstance(granted, str) else scopes,
            grant_id=body.get("grant_id") if isinstance(body.get("grant_id"), str) else None,
            response=body,
        )
        return credential, until

    def exchange(self, system: Optional[str] = None, scope: Scope = None, *, resource: Optional[str] = None, reason: Optional[str] = None, approval_id: Optional[str] = None) -> Credential:
        """A credential of one system (``system="aws-prod"``), or for a resource given by URL or
        URN (``resource="https://tickets.acme.dev/mcp"``). ``scope`` narrows within the
        binding's ceiling; omitted, the ceiling. Cached per (resource, scope set) until shortly
        before it expires.

        ``reason`` (at most 500 characters) is shown to the person asked when the binding needs
        an approval; ``approval_id`` presents an approval already given. Raises ApprovalRequired,
        InvalidScope, InvalidTarget, InvalidGrant, RateLimited, Unavailable, ... (see errors).
        """
        if (system is None) == (resource is None):
            raise TypeError("give exactly one of system or resource")
        if system is not None and (not isinstance(system, str) or system == ""):
            raise TypeError("system must be a non-empty string")
        target = f"{SYSTEM_RESOURCE_PREFIX}{system}" if system is not None else str(resource)
        scopes = normalise_scope(scope)
        extra: Dict[str, str] = {}
        if reason is not None:
            if len(reason) > REASON_MAX_CHARS:
                raise ValueError(f"reason is longer than {REASON_MAX_CHARS} characters")
            extra["reason"] = reason
        if approval_id is not None:
            extra["approval_id"] = approval_id

        def load() -> Tuple[Credential, float]:
            cached = self._cache.has(_HANDLE_TOKEN)
            try:
                return self._exchange_once(target, scopes, self.token(), extra)
            except LanyardError as err:
                # A cached handle token can be dead before its `exp` (revoked, key rotated,
                # broker signing key rolled): mint one fresh and try once more. A suspended or
                # revoked agent then fails at sign-in, with the broker's own reason. Not with an
                # approval id: there `invalid_grant` is the approval's (spent, denied, expired).
                stale_token = isinstance(err, InvalidGrant) or err.code == "ERR_TOKEN_INVALID"
                if not cached or not stale_token or approval_id is not None:
                    raise
                self._cache.delete(_HANDLE_TOKEN)
                return self._exchange_once(target, scopes, self.token(), extra)

        return self._cache.get(("exchange", target, scopes), load)

    def forget(self, system: Optional[str] = None, scope: Scope = None, *, resource: Optional[str] = None) -> None:
        """Drops a cached credential (e.g. after the upstream refused it), or everything when
        called without arguments; the next call exchanges again."""
        if system is None and resource is None:
            self._cache.clear()
            return
        target = f"{SYSTEM_RESOURCE_PREFIX}{system}" if system is not None else str(resource)
        self._cache.delete(("exchange", target, normalise_scope(scope)))

    def wait_for_approval(
        self,
        approval: ApprovalRequired,
        system: Optional[str] = None,
        scope: Scope = None,
        *,
        resource: Optional[str] = None,
        timeout_seconds: Optional[float] = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Credential:
        """Waits for the person, not the server: exchanges again with ``approval.approval_id``
        every ``approval.interval`` seconds while the broker still answers
        ``approval_required``, until the approval lapses (``expires_at``) or ``timeout_seconds``
        pass; then raises the last ApprovalRequired. A denial, a spent or expired approval is the
        broker's error (InvalidGrant, AccessDenied), raised at once. Pass the same system and
        scope as the refused exchange: the approval covers exactly that scope set.
        """
        current = approval
        started = self._clock()
        while True:
            deadline = [started + timeout_seconds] if timeout_seconds is not None else []
            if current.expires_at is not None:
                deadline.append(current.expires_at.timestamp())
            if deadline and self._clock() + current.interval > min(deadline):
                raise current
            sleep(current.interval)
            try:
                return self.exchange(system, scope, resource=resource, approval_id=approval.approval_id)
            except ApprovalRequired as again:
                current = again

    # asyncio: the same calls off the event loop (LangChain, the OpenAI and Anthropic agent SDKs
    # run agents as coroutines). The cache and its one-load-per-key rule are shared.
    async def atoken(self) -> str:
        """:meth:`token` for coroutines."""
        return await asyncio.to_thread(self.token)

    async def aexchange(self, system: Optional[str] = None, scope: Scope = None, **options: Any) -> Credential:
        """:meth:`exchange` for coroutines."""
        return await asyncio.to_thread(self.exchange, system, scope, **options)

    # AWS and HTTP helpers; see aws.py and auth.py.
    def aws_credentials(self, system: str, scope: Scope = None) -> Dict[str, str]:
        """The exchange's AWS session as botocore's refreshable-credentials metadata."""
        from .aws import aws_metadata

        return aws_metadata(self.exchange(system, scope), system)

    def aws_refresher(self, system: str, scope: Scope = None) -> Callable[[], Dict[str, str]]:
        """``refresh_using`` for ``botocore.credentials.RefreshableCredentials``."""
        return lambda: self.aws_credentials(system, scope)

    def boto3_session(self, system: str, scope: Scope = None, **session_options: Any) -> Any:
        """A ``boto3.Session`` whose credentials renew themselves through this client."""
        from .aws import boto3_session

        return boto3_session(self, system, scope, **session_options)

    def mcp_auth(self, server_url: str, scope: Scope = None) -> "BearerAuth":
        """An auth for an MCP server protected by Lanyard (RFC 9728 discovery, then an exchange
        for ``resource=server_url``); see mcp.py."""
        from .mcp import mcp_auth

        return mcp_auth(self, server_url, scope)

    def mcp_httpx_auth(self, scope: Scope = None) -> "McpAuth":
        """An ``httpx.Auth`` for every MCP server protected by this broker, driven by each
        server's 401 (RFC 9728 discovery, an exchange for its URL, one retry); see mcp_httpx.py.
        Needs httpx."""
        from .mcp_httpx import McpAuth

        return McpAuth(self, scope)

    def auth(self, system: Optional[str] = None, scope: Scope = None, *, resource: Optional[str] = None) -> "BearerAuth":
        """An auth object for requests or httpx that sends the exchanged token as ``Bearer`` (or,
        for a DPoP-bound token of a ``dpop=True`` client, as ``DPoP`` with a proof per request)."""
        from .auth import BearerAuth

        def credential() -> Tuple[str, str]:
            exchanged = self.exchange(system, scope, resource=resource)
            return exchanged.token_type, exchanged.access_token

        return BearerAuth(credential, forget=lambda: self.forget(system, scope, resource=resource), dpop_proof=self.dpop_proof if self._dpop_key else None)


def _read_token_file(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise KeyFileInvalid(f"cannot read the federated token file {path}: {err.strerror or type(err).__name__}") from None
    if token == "":
        raise KeyFileInvalid(f"the federated token file {path} is empty")
    return token
