"""The embedded server keeps HTTP/1.1 connections open between requests (keep_alive.py),
and closes them wherever the next request's start is not known, when idle, and when it stops."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config as BotoConfig

from cognito_harness.embedded import keep_alive


def _netloc(info) -> tuple[str, int]:
    host, port = urlsplit(info.endpoint_url).netloc.split(":")
    return host, int(port)


def _read_answer(sock_file) -> tuple[int, dict, bytes]:
    """One HTTP response from a socket's file: (status, headers lower-cased, body)."""
    status_line = sock_file.readline()
    assert status_line, "the server closed the connection instead of answering"
    code = int(status_line.split(b" ", 2)[1])
    headers = {}
    while (line := sock_file.readline()) not in (b"\r\n", b""):
        key, _, value = line.decode().partition(":")
        headers[key.strip().lower()] = value.strip()
    body = sock_file.read(int(headers.get("content-length", "0")))
    return code, headers, body


def _closed_by_server(sock: socket.socket, timeout: float = 5.0) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_one_connection_serves_consecutive_requests(embedded):
    conn = http.client.HTTPConnection(*_netloc(embedded), timeout=10)
    conn.request("GET", "/_harness/clock")
    first = conn.getresponse()
    first.read()
    sock = conn.sock
    conn.request("GET", "/_harness/info")
    second = conn.getresponse()
    data = json.loads(second.read())
    assert first.getheader("Connection") == "keep-alive"
    assert second.status == 200 and data["user_pool_id"] == embedded.user_pool_id
    assert conn.sock is sock, "the second request needed a new connection"
    conn.close()


@pytest.fixture
def opened(monkeypatch):
    """The client address of every connection the embedded server accepts while the test runs."""
    addresses = []
    setup = keep_alive.KeepAliveHandler.setup

    def counted(self):
        addresses.append(self.client_address)
        setup(self)
    monkeypatch.setattr(keep_alive.KeepAliveHandler, "setup", counted)
    return addresses


def test_boto3_calls_reuse_one_connection(embedded, opened):
    admin = boto3.client("cognito-idp", region_name=embedded.region, endpoint_url=embedded.endpoint_url,
                         aws_access_key_id=embedded.admin_access_key_id,
                         aws_secret_access_key=embedded.admin_secret_access_key,
                         config=BotoConfig(retries={"max_attempts": 1}))
    for _ in range(5):
        admin.describe_user_pool(UserPoolId=embedded.user_pool_id)
    admin.close()
    assert len(opened) == 1, f"5 calls opened {len(opened)} connections"


def test_pipelined_requests_with_bodies_are_answered_in_order(embedded):
    body = json.dumps({"style": "bogus"}).encode()
    one = (b"POST /_harness/login-style HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"X-Harness-Token: " + embedded.harness_token.encode() + b"\r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    two = b"GET /_harness/clock HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(_netloc(embedded), timeout=10) as sock:
        sock.sendall(one + two)
        answers = sock.makefile("rb")
        first, second = _read_answer(answers), _read_answer(answers)
    assert first[0] == 400 and b"style" in first[2]
    assert second[0] == 200 and "now" in json.loads(second[2])


@pytest.mark.parametrize("head,body", [
    # a body over the limit, refused unread: what follows it on the connection is not a request
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 999999999\r\n\r\n", b"{}"),
    # a Content-Length that is not a number
    (b"POST /_harness/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n", b"{}"),
    # a preflight with a body: the front answers it without reading the body, which here
    # would read as a request of its own
    (b"OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\r\nAccess-Control-Request-Method: POST\r\n"
     b"Content-Length: 41\r\n\r\n", b"GET /_harness/clock HTTP/1.1\r\nHost: x\r\n\r\n"),
    # a chunked body
    (b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n", b"3\r\na=b\r\n0\r\n\r\n"),
    # HTTP/1.0, and HTTP/1.1 asking for it
    (b"GET /_harness/clock HTTP/1.0\r\nHost: x\r\n\r\n", b""),
    (b"GET /_harness/clock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b""),
], ids=["body-over-limit", "bad-content-length", "preflight-with-body", "chunked-body", "http-1.0", "connection-close"])
def test_connection_closed_where_the_next_request_is_not_known(embedded, head, body):
    with socket.create_connection(_netloc(embedded), timeout=10) as sock:
        sock.sendall(head + body)
        code, headers, _ = _read_answer(sock.makefile("rb"))
        assert code < 500
        assert headers.get("connection") == "close"
        assert _closed_by_server(sock)


def test_every_kept_answer_says_where_it_ends(embedded):
    """A managed-login page, a redirect, a JSON answer, a 404: each with its Content-Length."""
    conn = http.client.HTTPConnection(*_netloc(embedded), timeout=10)
    for path in ("/verify/hosted-ui-verify.html", "/_harness/nowhere", "/verify/config.json",
                 f"/{embedded.user_pool_id}/.well-known/jwks.json", "/logout?client_id=x"):
        conn.request("GET", path)
        resp = conn.getresponse()
        data = resp.read()
        assert resp.getheader("Content-Length") == str(len(data)), path
        assert resp.getheader("Connection") == "keep-alive", path
    conn.close()


def test_stopping_the_server_closes_kept_connections():
    """The server class the embedded target runs (not a whole EmbeddedServer: its start and
    stop switch process-wide settings the session's server relies on)."""
    from cognito_harness.embedded.server import _HarnessMotoServer

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = _HarnessMotoServer("127.0.0.1", 0, lambda moto_app: app)
    server.start()
    conn = http.client.HTTPConnection(*server.get_host_and_port(), timeout=10)
    conn.request("GET", "/")
    resp = conn.getresponse()
    assert resp.read() == b"ok" and resp.getheader("Connection") == "keep-alive"
    server.stop()
    assert _closed_by_server(conn.sock), "a kept connection outlived the server"


def test_an_idle_connection_is_closed(embedded, monkeypatch):
    monkeypatch.setattr(keep_alive, "IDLE_SECONDS", 0.2)
    monkeypatch.setattr(keep_alive.KeepAliveHandler, "timeout", 0.2)
    with socket.create_connection(_netloc(embedded), timeout=10) as sock:
        sock.sendall(b"GET /_harness/clock HTTP/1.1\r\nHost: x\r\n\r\n")
        answers = sock.makefile("rb")
        assert _read_answer(answers)[0] == 200
        assert _closed_by_server(sock, timeout=5.0)


def test_harness_controls_reuse_their_connection_and_survive_its_close(embedded, embedded_server, opened):
    """target.harness_control keeps one connection per thread; when the server has closed it
    (idle), the next control call still goes through, on a new connection."""
    from cognito_harness.target import harness_control

    clock_url = f"{embedded.endpoint_url}/_harness/clock"
    harness_control(clock_url, embedded.harness_token)
    harness_control(clock_url, embedded.harness_token, {"advance": 0})
    harness_control(clock_url, embedded.harness_token)
    assert len(opened) <= 1, f"3 control calls opened {len(opened)} connections"
    keep_alive.close_all(embedded_server._server._server)  # as the idle timeout does
    assert "now" in harness_control(clock_url, embedded.harness_token)
