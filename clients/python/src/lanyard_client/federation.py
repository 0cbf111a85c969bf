"""Platform tokens an agent can sign in with instead of a key (federated sign-in, issue 16).

A Kubernetes projected service-account token or a SPIFFE JWT-SVID is a file: pass it as
``AgentClient(url, federated_token_file=path)``. A GitHub Actions job asks the runtime for its
OIDC token: ``AgentClient(url, federated_token=github_actions_token(audience))``, with the job's
``permissions: id-token: write``.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Callable, Mapping, Optional

from ._http import Transport, request_json, urllib_transport
from .errors import InvalidResponse, KeyFileInvalid

__all__ = ["github_actions_token"]


def github_actions_token(audience: str, *, environ: Optional[Mapping[str, str]] = None, transport: Optional[Transport] = None, timeout_seconds: float = 10) -> Callable[[], str]:
    """A token source for ``federated_token``: the job's OIDC token for ``audience`` (the
    audience the broker's trust rule expects), fetched anew at every sign-in from
    ``ACTIONS_ID_TOKEN_REQUEST_URL`` with ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``."""
    env = os.environ if environ is None else environ
    send = transport or urllib_transport

    def fetch() -> str:
        url, bearer = env.get("ACTIONS_ID_TOKEN_REQUEST_URL"), env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        if not url or not bearer:
            raise KeyFileInvalid("not in a GitHub Actions job with `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN are unset)")
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        target = f"{url}{separator}audience={urllib.parse.quote(audience, safe='')}"

        def with_bearer(method: str, u: str, headers: Mapping[str, str], body: Optional[bytes], timeout: float):  # type: ignore[no-untyped-def]
            return send(method, u, {**headers, "Authorization": f"bearer {bearer}"}, body, timeout)

        answer = request_json(with_bearer, "GET", target, timeout=timeout_seconds)
        value = answer.get("value")
        if not isinstance(value, str) or value == "":
            raise InvalidResponse("the Actions OIDC endpoint answered without a token")
        return value

    return fetch
