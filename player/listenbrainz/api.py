"""The two ListenBrainz API calls Encore makes, ``submit-listens`` and ``validate-token``, on the standard
library alone.

Each call returns a ``Reply`` and never raises for what the network or the server does (no answer, a
refused connection, an error status): the sender (``player.listenbrainz.sender``) decides what to do
from that one value. ``urllib.request`` is imported on the first request, on the sender's thread, so the
app's start-up never pays for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The listen types of ``submit-listens``: one listen, several (a batch), the track that plays now.
SINGLE, IMPORT, PLAYING_NOW = "single", "import", "playing_now"
#: Bytes of a reply read at most (ListenBrainz answers with a line of JSON).
MAX_REPLY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Reply:
    """What came back: ``status`` None means no answer (timeout, refused connection, unknown host)."""

    status: int | None
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased
    data: dict[str, Any] | None = None

    def describe(self) -> str:
        """One line for logs and ``last_error``: the status and the server's (or the network's) words."""
        if self.status is None:
            return self.message
        return f"HTTP {self.status}: {self.message}" if self.message else f"HTTP {self.status}"


def submit_listens(
    api_root: str,
    token: str,
    listen_type: str,
    listens: Sequence[Mapping[str, Any]],
    *,
    timeout_s: float,
    user_agent: str = "Encore",
) -> Reply:
    """``POST {api_root}/1/submit-listens`` with ``{"listen_type": ..., "payload": listens}``."""
    body = json.dumps({"listen_type": listen_type, "payload": list(listens)}, ensure_ascii=False)
    return _request(
        "POST", _url(api_root, "submit-listens"), token, body.encode("utf-8"), timeout_s, user_agent
    )


def validate_token(api_root: str, token: str, *, timeout_s: float, user_agent: str = "Encore") -> Reply:
    """``GET {api_root}/1/validate-token``: the reply's ``data["valid"]`` says whether the token is known
    (ListenBrainz answers 200 with ``valid: false``, or 401, for one it does not know)."""
    return _request("GET", _url(api_root, "validate-token"), token, None, timeout_s, user_agent)


def token_is_valid(reply: Reply) -> bool | None:
    """True or False when the server said; None when it did not answer usefully (try again later)."""
    if reply.status == 401:
        return False
    if reply.status == 200 and reply.data is not None and "valid" in reply.data:
        return bool(reply.data["valid"])
    return None


def rate_limit_wait(reply: Reply, now: float) -> float | None:
    """Seconds the server asks us to wait (``X-RateLimit-Reset-In``, ``Retry-After`` in seconds or as a
    date; the longer when both are given), None when it says nothing."""
    waits = []
    for name in ("x-ratelimit-reset-in", "retry-after"):
        value = (reply.headers.get(name) or "").strip()
        if not value:
            continue
        try:
            waits.append(max(0.0, float(value)))
            continue
        except ValueError:
            pass
        import email.utils

        try:
            waits.append(max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now))
        except (TypeError, ValueError, IndexError):
            pass
    return max(waits) if waits else None


def _url(api_root: str, endpoint: str) -> str:
    return f"{api_root.rstrip('/')}/1/{endpoint}"


def _request(
    method: str, url: str, token: str, body: bytes | None, timeout_s: float, user_agent: str
) -> Reply:
    import http.client
    import urllib.error
    import urllib.request

    headers = {"Authorization": f"Token {token}", "User-Agent": user_agent, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json; charset=utf-8"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return _reply(response.status, response.headers, response.read(MAX_REPLY_BYTES))
    except urllib.error.HTTPError as exc:
        try:
            raw = exc.read(MAX_REPLY_BYTES)
        except (OSError, http.client.HTTPException):
            raw = b""
        return _reply(exc.code, exc.headers, raw)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Reply(None, _network_error(exc, timeout_s))


def _reply(status: int, headers: Any, raw: bytes) -> Reply:
    names = {k.lower(): v for k, v in (headers.items() if headers is not None else [])}
    try:
        data = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        data = None
    message = ""
    if data is not None:
        message = str(data.get("error") or data.get("message") or "")
    elif raw:
        message = raw[:200].decode("utf-8", "replace").strip()
    return Reply(int(status), message, names, data)


def _network_error(exc: BaseException, timeout_s: float) -> str:
    """No answer, in words: a timeout says so; anything else names the network's reason."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    return f"cannot reach the server: {reason}"
