"""What a broker refusal looks like to a Python agent.

Every error is a :class:`LanyardError`. ``error`` is the RFC 6749 5.2 / RFC 8693 2.2.2 code the
broker answered (``invalid_scope``), or one of the client's own (``network``,
``invalid_response``, ``invalid_key``). ``code`` is the most specific stable code known: the
broker's catalogue code (``ERR_SCOPE_WIDENING``, docs/errors.md) when the answer carries a
``code`` member, else ``error``. The conditions an agent handles differently have a class each,
so ``except InvalidScope:`` reads as what it means.

Messages hold the code, the broker's public ``error_description`` and the HTTP status: never a
token, an assertion or key material (the broker promises the same of its descriptions).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Mapping, Optional, Type

__all__ = [
    "LanyardError",
    "InvalidRequest",
    "InvalidClient",
    "InvalidGrant",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "InvalidScope",
    "InvalidTarget",
    "AccessDenied",
    "ApprovalRequired",
    "InvalidDpopProof",
    "Unavailable",
    "TemporarilyUnavailable",
    "RateLimited",
    "ServerError",
    "BrokerUnreachable",
    "InvalidResponse",
    "KeyFileInvalid",
    "error_from_response",
]


class LanyardError(Exception):
    """Base of every error this package raises."""

    error: str = "server_error"

    def __init__(self, description: Optional[str] = None, *, status: Optional[int] = None, code: Optional[str] = None, error: Optional[str] = None) -> None:
        if error is not None:
            self.error = error
        self.description = description
        """The broker's ``error_description`` (public text), or the client's own explanation."""
        self.status = status
        """HTTP status of the broker's answer; None when there was none."""
        self.code = code or self.error
        """The broker's catalogue code when it sent one, else the OAuth ``error``."""
        text = self.error if self.code == self.error else f"{self.error} [{self.code}]"
        if description:
            text += f": {description}"
        if status is not None:
            text += f" (HTTP {status})"
        super().__init__(text)


class InvalidRequest(LanyardError):
    """The request was malformed, or the handle token was refused (``ERR_TOKEN_INVALID``)."""

    error = "invalid_request"


class InvalidClient(LanyardError):
    error = "invalid_client"


class InvalidGrant(LanyardError):
    """The assertion or the handle token was refused: unknown key, agent suspended or revoked,
    assertion replayed; or an approval id that is spent, expired, denied or not this agent's."""

    error = "invalid_grant"


class UnauthorizedClient(LanyardError):
    error = "unauthorized_client"


class UnsupportedGrantType(LanyardError):
    error = "unsupported_grant_type"


class InvalidScope(LanyardError):
    """A requested scope is unknown to the system or wider than the binding's ceiling."""

    error = "invalid_scope"


class InvalidTarget(LanyardError):
    """The system is unknown, or the agent has no binding to it."""

    error = "invalid_target"


class AccessDenied(LanyardError):
    """A person or a policy said no (e.g. an approval was denied)."""

    error = "access_denied"


class ApprovalRequired(LanyardError):
    """The exchange needs a person's approval first; nothing was minted and nothing waits.

    Exchange again with ``approval_id`` once the approver has said yes (see
    :meth:`lanyard_client.AgentClient.wait_for_approval`), before ``expires_at``, polling no
    faster than every ``interval`` seconds. ``approval_uri`` is where a person decides.
    """

    error = "approval_required"

    def __init__(self, description: Optional[str] = None, *, status: Optional[int] = None, code: Optional[str] = None, approval_id: str = "", expires_in: Optional[float] = None, interval: float = 5, approval_uri: Optional[str] = None, received_at: Optional[datetime] = None) -> None:
        super().__init__(description, status=status, code=code)
        self.approval_id = approval_id
        self.interval = interval
        """Seconds to wait between two polls."""
        self.approval_uri = approval_uri
        now = received_at or datetime.now(timezone.utc)
        self.expires_at: Optional[datetime] = None if expires_in is None else now + timedelta(seconds=expires_in)
        """When the approval request lapses; None when the broker did not say."""


class InvalidDpopProof(LanyardError):
    """The broker refused a DPoP proof (RFC 9449), or asked for one with a nonce
    (``use_dpop_nonce``; ``dpop_nonce`` is the nonce from its ``DPoP-Nonce`` header)."""

    error = "invalid_dpop_proof"

    def __init__(self, description: Optional[str] = None, *, status: Optional[int] = None, code: Optional[str] = None, error: Optional[str] = None, dpop_nonce: Optional[str] = None) -> None:
        super().__init__(description, status=status, code=code, error=error)
        self.dpop_nonce = dpop_nonce


class Unavailable(LanyardError):
    """The broker, its store or the upstream is unavailable; retrying later may succeed.
    ``retry_after`` is the broker's ``Retry-After`` in seconds, when it sent one."""

    error = "temporarily_unavailable"

    def __init__(self, description: Optional[str] = None, *, status: Optional[int] = None, code: Optional[str] = None, retry_after: Optional[float] = None) -> None:
        super().__init__(description, status=status, code=code)
        self.retry_after = retry_after


TemporarilyUnavailable = Unavailable


class RateLimited(Unavailable):
    """Too many requests for this agent (HTTP 429): wait ``retry_after`` seconds."""


class ServerError(LanyardError):
    error = "server_error"


class BrokerUnreachable(LanyardError):
    """No answer from the broker at all (refused, reset, DNS, timeout)."""

    error = "network"


class InvalidResponse(LanyardError):
    """The broker answered something that is not the documented shape."""

    error = "invalid_response"


class KeyFileInvalid(LanyardError, ValueError):
    """The key file cannot be used: unreadable, not a private Ed25519/P-256 JWK, or inconsistent."""

    error = "invalid_key"


_BY_ERROR: Dict[str, Type[LanyardError]] = {
    cls.error: cls
    for cls in (InvalidRequest, InvalidClient, InvalidGrant, UnauthorizedClient, UnsupportedGrantType, InvalidScope, InvalidTarget, AccessDenied, Unavailable, ServerError)
}
_BY_ERROR["unsupported_token_type"] = InvalidRequest


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def error_from_response(status: int, body: Any, headers: Optional[Mapping[str, str]] = None, *, received_at: Optional[datetime] = None) -> LanyardError:
    """The error for a broker answer with a non-2xx status.

    (1) An RFC 6749 error body keeps its ``error`` (and ``code`` when present); 429 is
    RateLimited whatever the body says. (2) A 429/503 without one is RateLimited/Unavailable.
    (3) Anything else is a ServerError (5xx) or an InvalidResponse; an unknown ``error`` is named
    in the description.
    """
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    record = body if isinstance(body, dict) else {}
    error = record.get("error") if isinstance(record.get("error"), str) else None
    description = record.get("error_description") if isinstance(record.get("error_description"), str) else None
    code = record.get("code") if isinstance(record.get("code"), str) else None
    retry_after = _number(lowered.get("retry-after"))
    if status == 429:
        return RateLimited(description, status=status, code=code, retry_after=retry_after)
    if error is None:
        if status == 503:
            return Unavailable(None, status=status, retry_after=retry_after)
        cls = ServerError if status >= 500 else InvalidResponse
        return cls("the broker answered without an OAuth error body", status=status)
    if error == "approval_required":
        interval = _number(record.get("interval"))
        approval_id = record.get("approval_id")
        if not isinstance(approval_id, str) or approval_id == "":
            return InvalidResponse("approval_required without an approval_id", status=status)
        uri = record.get("approval_uri")
        return ApprovalRequired(
            description,
            status=status,
            code=code,
            approval_id=approval_id,
            expires_in=_number(record.get("expires_in")),
            interval=interval if interval is not None and interval > 0 else 5,
            approval_uri=uri if isinstance(uri, str) else None,
            received_at=received_at,
        )
    if error in ("invalid_dpop_proof", "use_dpop_nonce"):
        return InvalidDpopProof(description, status=status, code=code, error=error, dpop_nonce=lowered.get("dpop-nonce"))
    if error == "temporarily_unavailable":
        return Unavailable(description, status=status, code=code, retry_after=retry_after)
    cls = _BY_ERROR.get(error)
    if cls is not None:
        return cls(description, status=status, code=code, error=error)
    fallback = ServerError if status >= 500 else InvalidResponse
    return fallback(f'unrecognised error code "{error[:64]}"' + (f": {description}" if description else ""), status=status, code=code)
