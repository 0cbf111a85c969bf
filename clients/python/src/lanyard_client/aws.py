"""AWS credentials for boto3 / botocore, renewed through the broker.

botocore's ``RefreshableCredentials.create_from_metadata(metadata, refresh_using, method)``
takes a dict ``{access_key, secret_key, token, expiry_time}`` (``expiry_time`` an ISO 8601
string) and a callable that returns the next one. :func:`aws_metadata` builds that dict from an
exchange of an ``aws`` system; the client's ``aws_refresher`` is the callable. botocore asks
for new credentials 15 minutes before ``expiry_time`` (10 minutes: mandatory); the client
answers from its cache until 30 s before expiry, so that costs no exchange. boto3 is optional:
imported only by :func:`boto3_session`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from .errors import InvalidResponse

if TYPE_CHECKING:
    from .client import AgentClient, Credential, Scope

__all__ = ["aws_metadata", "boto3_session"]


def aws_metadata(credential: "Credential", system: str = "") -> Dict[str, str]:
    """botocore's credential metadata from an exchange's ``aws_credentials`` member. The expiry
    is the client's (the earlier of the exchange's ``expires_in`` and the session's own end)."""
    aws = credential.get("aws_credentials")
    members = ("access_key_id", "secret_access_key", "session_token")
    if not isinstance(aws, dict) or not all(isinstance(aws.get(m), str) and aws.get(m) for m in members):
        raise InvalidResponse(f'the exchange for system "{system}" returned no aws_credentials member')
    return {
        "access_key": aws["access_key_id"],
        "secret_key": aws["secret_access_key"],
        "token": aws["session_token"],
        "expiry_time": credential.expires_at.isoformat(),
    }


def boto3_session(client: "AgentClient", system: str, scope: "Scope" = None, **session_options: Any) -> Any:
    """A ``boto3.Session`` on refreshable credentials from ``client.exchange(system, scope)``.
    ``session_options`` go to ``boto3.Session`` (``region_name=...``)."""
    try:
        import boto3
        from botocore.credentials import RefreshableCredentials
        from botocore.session import get_session
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("boto3_session needs boto3 (pip install boto3); aws_refresher() works without it") from err
    refresh = client.aws_refresher(system, scope)
    credentials = RefreshableCredentials.create_from_metadata(metadata=refresh(), refresh_using=refresh, method="lanyard")
    core = get_session()
    # The documented way to give a botocore session credentials that refresh themselves:
    # botocore has no public setter for a RefreshableCredentials object.
    core._credentials = credentials
    return boto3.Session(botocore_session=core, **session_options)
