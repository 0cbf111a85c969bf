"""One request to the broker over the standard library's urllib.

The request body (assertions, tokens) never reaches an error: only the URL's origin, the status
and the broker's public error text do.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Callable, Dict, Mapping, Optional, Tuple

from .errors import BrokerUnreachable, InvalidResponse, error_from_response

# (method, url, headers, body, timeout_seconds) -> (status, headers, body)
Transport = Callable[[str, str, Mapping[str, str], Optional[bytes], float], Tuple[int, Mapping[str, str], bytes]]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A token endpoint that redirects is misconfigured; following it would resend the body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def urllib_transport(method: str, url: str, headers: Mapping[str, str], body: Optional[bytes], timeout: float) -> Tuple[int, Mapping[str, str], bytes]:
    """The default transport. HTTP error statuses are answers, not exceptions; only a missing
    answer raises (OSError / urllib.error.URLError)."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as answer:
        with answer:
            return answer.code, dict(answer.headers.items()) if answer.headers else {}, answer.read()


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _reason(err: BaseException) -> str:
    inner = getattr(err, "reason", err)
    if isinstance(inner, socket.timeout) or isinstance(err, socket.timeout):
        return "timed out"
    if isinstance(inner, OSError) and inner.errno is not None:
        return inner.strerror or type(inner).__name__
    return type(inner).__name__


def request_json(transport: Transport, method: str, url: str, *, form: Optional[Dict[str, str]] = None, timeout: float = 10.0, headers: Optional[Mapping[str, str]] = None) -> Dict[str, object]:
    """The broker's JSON object answer, or a LanyardError."""
    headers = {"Accept": "application/json", "User-Agent": "lanyard-client-python/0.1", **(headers or {})}
    body = None
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(form).encode("ascii")
    try:
        status, response_headers, raw = transport(method, url, headers, body, timeout)
    except (OSError, urllib.error.URLError) as err:
        raise BrokerUnreachable(f"cannot reach the broker at {_origin(url)} ({_reason(err)})") from None
    received_at = datetime.now(timezone.utc)
    try:
        parsed = json.loads(raw.decode("utf-8")) if raw else None
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if not 200 <= status < 300:
        raise error_from_response(status, parsed, response_headers, received_at=received_at)
    if not isinstance(parsed, dict):
        path = urllib.parse.urlsplit(url).path
        raise InvalidResponse(f"{path} answered without a JSON object", status=status)
    return parsed
