"""HTTP/1.1 keep-alive for the embedded server: one TCP connection serves many requests.

werkzeug's development server closes every connection after one response (it cannot tell
where an unread request body ends), so every boto3 call paid a new TCP connection and the
server a new thread. Here a connection stays open when — and only when — the next request
on it is known to start where this one ended:

- the request was HTTP/1.1 and did not ask for `Connection: close`;
- its body was read whole: it declared none, or guard.read_body read exactly its
  Content-Length (a chunked body, or one the guard refused unread, closes the connection);
- the answer did not say `Connection: close` (guard's refusals of bodies left unread do).

Every answer is buffered and sent with its Content-Length (HEAD, 1xx, 204 and 304 keep
the application's headers as they are), so a client always knows where it ends; its
headers and body leave in one write. The Date header's text is made once per second.

A connection idle for IDLE_SECONDS between requests is closed (a client's pool reconnects);
within a request, reads block as before. `close_all` ends every open connection when the
server stops, so no kept connection is answered by a stopped server.
"""

from __future__ import annotations

import socket
import threading
import time

from moto.moto_server.werkzeug_app import MotoRequestHandler

from . import guard

IDLE_SECONDS = 15.0
_NO_BODY_CODES = {204, 304}
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding"}


class KeepAliveHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS  # the socket's timeout while waiting for a request line
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stall

    # --- connection bookkeeping ------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        connections(self.server).add(self.connection)

    def finish(self) -> None:
        connections(self.server).discard(self.connection)
        super().finish()

    def parse_request(self) -> bool:
        # the request line has arrived: from here on reads block as they always did
        self.connection.settimeout(None)
        return super().parse_request()

    def log_error(self, format: str, *args) -> None:
        if not format.startswith("Request timed out"):  # an idle kept connection: no error
            super().log_error(format, *args)

    def log_request(self, *args, **kwargs) -> None:
        pass  # no access log: request lines carry codes, states and tokens in query strings

    def date_time_string(self, timestamp=None) -> str:
        """The Date header of an answer sent now: http.server formats it anew for every
        answer; here once per second (the text only changes with the second)."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        global _date
        second = int(_clock())
        cached = _date
        if cached[0] != second:
            cached = _date = (second, super().date_time_string(second))
        return cached[1]

    # --- one request -----------------------------------------------------------------------

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        try:
            status, headers, body = self._call_app(environ)
            self._send(environ, status, headers, body)
        except (ConnectionError, socket.timeout):
            self.close_connection = True
        finally:
            if not self.close_connection:
                self.connection.settimeout(IDLE_SECONDS)

    def _call_app(self, environ) -> tuple[str, list[tuple[str, str]], bytes]:
        answer: dict = {}
        chunks: list[bytes] = []

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, list(headers)
            return chunks.append

        try:
            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                getattr(result, "close", lambda: None)()
        except (ConnectionError, socket.timeout):
            raise
        except Exception:  # the harness app answers its own errors; this is the last resort
            self.close_connection = True
            body = b'{"__type":"InternalErrorException","message":"Internal error in the embedded target."}'
            return "500 Internal Server Error", [("Content-Type", "application/json")], body
        if "status" not in answer:
            self.close_connection = True
            return "500 Internal Server Error", [], b""
        return answer["status"], answer["headers"], b"".join(chunks)

    def _send(self, environ, status: str, headers, body: bytes) -> None:
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        method = environ["REQUEST_METHOD"]
        bodiless = method == "HEAD" or 100 <= code < 200 or code in _NO_BODY_CODES
        if any(k.lower() == "connection" and "close" in v.lower() for k, v in headers):
            self.close_connection = True
        if not self._request_body_consumed(environ):
            self.close_connection = True
        self.send_response(code, reason)
        for key, value in headers:
            lower = key.lower()
            if lower in _HOP_HEADERS or (lower == "content-length" and not bodiless):
                continue
            self.send_header(key, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        if body and not bodiless and self.request_version != "HTTP/0.9":
            self._headers_buffer.append(b"\r\n" + body)  # headers and body in one write
            self.flush_headers()
        else:
            self.end_headers()
            if body and not bodiless:
                self.wfile.write(body)
        self.wfile.flush()

    def _request_body_consumed(self, environ) -> bool:
        """True if the next byte on the connection is the next request's first."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return False
        declared = (self.headers.get("Content-Length") or "").strip()
        if not declared or declared == "0":
            return True
        read = environ.get(guard._BODY_KEY)  # set by guard.read_body: exactly Content-Length bytes
        return read is not None and declared.isdigit() and len(read) == int(declared)


def connections(server) -> set:
    """The server's open connections (created on first use)."""
    found = getattr(server, "_harness_connections", None)
    if found is None:
        with _LOCK:
            found = getattr(server, "_harness_connections", None)
            if found is None:
                found = server._harness_connections = set()
    return found


def close_all(server) -> None:
    """Ends every open connection: their threads see the end of the stream and return."""
    for conn in list(connections(server)):
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


_LOCK = threading.Lock()
_clock = time.time
_date: tuple[int, str] = (-1, "")
