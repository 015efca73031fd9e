"""A local ListenBrainz for the tests: ``/1/submit-listens`` and ``/1/validate-token`` on 127.0.0.1.

It records every request (path, Authorization header, JSON body, when) and answers submissions as the test
scripts: ``answers`` is consumed one per submit request, then ``default`` applies. Answers: "ok" (200),
"ok-last" (200 saying no request remains in the rate-limit window), "refuse" (400), "rate" (429 with
``X-RateLimit-Reset-In`` and ``Retry-After``), "error" (500), "hang" (no answer for ``hang_s``, past any
client timeout). A request under another token than ``token`` gets 401, as does a listen whose title is in
``refuse_titles`` a 400. Bounded: the server stops by itself after ``lifetime_s`` whatever the test does,
and closing it releases a hanging answer at once.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "good-token"


@dataclass
class Request:
    method: str
    path: str
    authorization: str | None
    content_type: str | None
    body: dict[str, Any] | None
    at: float  # time.monotonic()

    @property
    def listen_type(self) -> str | None:
        return (self.body or {}).get("listen_type")

    @property
    def titles(self) -> list[str]:
        return [p["track_metadata"]["track_name"] for p in (self.body or {}).get("payload", [])]


class FakeListenBrainz:
    def __init__(self, token: str = TOKEN, lifetime_s: float = 120.0) -> None:
        self.token = token
        self.requests: list[Request] = []
        self.answers: list[str] = []
        self.default = "ok"
        self.refuse_titles: set[str] = set()
        self.hang_s = 3.0
        self.reset_in = 7
        self._released = threading.Event()
        self._cond = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                owner._record(self, None)
                if self.path != "/1/validate-token":
                    return self._json(404, {"code": 404, "error": "not found"})
                valid = self.headers.get("Authorization") == f"Token {owner.token}"
                body = {"code": 200, "message": "Token valid." if valid else "Token invalid.", "valid": valid}
                if valid:
                    body["user_name"] = "tester"
                self._json(200, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = None
                request = owner._record(self, body)
                if self.path != "/1/submit-listens":
                    return self._json(404, {"code": 404, "error": "not found"})
                if self.headers.get("Authorization") != f"Token {owner.token}":
                    return self._json(401, {"code": 401, "error": "Invalid authorization token."})
                answer = owner._next_answer()
                if answer == "hang":
                    owner._released.wait(owner.hang_s)
                    answer = "ok"
                if set(request.titles) & owner.refuse_titles:
                    answer = "refuse"
                if answer == "ok":
                    self._json(200, {"status": "ok"}, {"X-RateLimit-Remaining": "10"})
                elif answer == "ok-last":
                    reset = str(owner.reset_in)
                    self._json(
                        200, {"status": "ok"}, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-In": reset}
                    )
                elif answer == "refuse":
                    self._json(400, {"code": 400, "error": "Value for key track_name is refused by the test"})
                elif answer == "rate":
                    reset = str(owner.reset_in)
                    headers = {
                        "X-RateLimit-Reset-In": reset,
                        "Retry-After": reset,
                        "X-RateLimit-Remaining": "0",
                    }
                    self._json(429, {"code": 429, "error": "Too many requests"}, headers)
                else:
                    self._json(500, {"code": 500, "error": "An unknown error occurred"})

            def _json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (a hang past its timeout)
                    pass

        self._closed = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.root = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._watchdog = threading.Timer(lifetime_s, self.close)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _record(self, handler: BaseHTTPRequestHandler, body: dict | None) -> Request:
        request = Request(
            handler.command,
            handler.path,
            handler.headers.get("Authorization"),
            handler.headers.get("Content-Type"),
            body,
            time.monotonic(),
        )
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()
        return request

    def _next_answer(self) -> str:
        with self._cond:
            return self.answers.pop(0) if self.answers else self.default

    def submits(self, listen_type: str | None = None) -> list[Request]:
        """The submit-listens requests so far (of one listen type)."""
        with self._cond:
            return [
                r
                for r in self.requests
                if r.path == "/1/submit-listens" and (listen_type is None or r.listen_type == listen_type)
            ]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> list[Request]:
        """Wait until ``predicate(requests)`` holds; fails the test after ``timeout`` seconds."""
        with self._cond:
            ok = self._cond.wait_for(lambda: predicate(list(self.requests)), timeout)
            requests = list(self.requests)
        assert ok, f"never saw what the test awaited; saw {[(r.path, r.listen_type) for r in requests]}"
        return requests

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._watchdog.cancel()
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
