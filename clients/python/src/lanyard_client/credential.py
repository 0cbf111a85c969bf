"""One exchanged credential, the scope forms an exchange takes, and reading the broker's answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Optional, Tuple, Union

from .errors import InvalidResponse

Scope = Union[str, Iterable[str], None]


@dataclass(frozen=True)
class Credential:
    """One exchanged credential: the RFC 8693 answer plus when to stop using it.

    ``credential["aws_credentials"]`` (and any other member the system adds) reads the answer
    as the broker sent it. ``repr`` never shows a secret.
    """

    access_token: str = field(repr=False)
    token_type: str
    issued_token_type: str
    expires_at: datetime
    """The earlier of ``expires_in`` and, for AWS, the session's own ``expiration``."""
    scope: Tuple[str, ...]
    grant_id: Optional[str]
    response: Mapping[str, Any] = field(repr=False)

    def __getitem__(self, member: str) -> Any:
        return self.response[member]

    def get(self, member: str, default: Any = None) -> Any:
        return self.response.get(member, default)


def normalise_scope(scope: Scope) -> Tuple[str, ...]:
    """``"b a"``, ``["a", "b", "a"]`` -> ``("a", "b")``: the cache key must not depend on order
    or spelling. Commas separate too, as on the CLI (``read,write``)."""
    if scope is None:
        return ()
    words = [scope] if isinstance(scope, str) else list(scope)
    out = set()
    for word in words:
        if not isinstance(word, str):
            raise TypeError("scope must be a string or an iterable of strings")
        out.update(part for part in word.replace(",", " ").split() if part)
    return tuple(sorted(out))


def expiry_of(body: Mapping[str, Any], now: float) -> float:
    """``expires_in`` is RECOMMENDED, not required (RFC 6749 5.1): without it nothing is cached."""
    seconds = body.get("expires_in")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return now
    return now + float(seconds)


def require_string(body: Mapping[str, Any], member: str) -> str:
    value = body.get(member)
    if not isinstance(value, str) or value == "":
        raise InvalidResponse(f"the token response has no {member}")
    return value


def parse_time(value: Any) -> Optional[float]:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
