"""What makes an AWS call to the embedded server cheaper (issue 9, API scenarios): each test
fails when its speed-up is taken out, or when the speed-up changes an answer."""

from __future__ import annotations

import contextlib
import http.client
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError


def _moto_apps(embedded_server) -> dict:
    """The Flask app of every moto service the session's server has answered so far."""
    return embedded_server._server._server.app.moto_app.app_instances


def test_motos_flask_apps_run_out_of_debug_mode(embedded_server, idp_clients):
    """Flask's debug mode builds a class per request (flask/debughelpers.py)."""
    admin, _ = idp_clients
    admin.get_user_pool_mfa_config(UserPoolId=embedded_server.info.user_pool_id)
    apps = _moto_apps(embedded_server)
    assert "cognitoidp" in apps
    assert {service: app.debug for service, app in apps.items()} == dict.fromkeys(apps, False)


def test_an_error_in_motos_code_is_still_answered_as_cognito_would(embedded_server, idp_clients):
    """Out of debug mode Flask would turn it into its own 500 page; it still reaches app.py,
    which answers Cognito's InvalidParameterException (a schema attribute without a name:
    moto fails on it with a KeyError)."""
    admin, _ = idp_clients
    with pytest.raises(ClientError) as caught:
        admin.add_custom_attributes(UserPoolId=embedded_server.info.user_pool_id,
                                    CustomAttributes=[{"AttributeDataType": "String"}])
    error = caught.value.response["Error"]
    assert (caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"]) == (400, "InvalidParameterException")
    assert "moto fails on it with KeyError" in error["Message"]


def test_a_missing_form_field_in_motos_code_is_the_harness_json_error_not_flasks_page(embedded):
    """A multipart S3 POST with a `key` but no `file` field: moto reads request.files["file"];
    Flask's debug mode raised that (BadRequestKeyError) to app.py, which answers its JSON
    500, never Flask's HTML 400 page. Out of debug mode it is still raised."""
    netloc = urlsplit(embedded.endpoint_url).netloc
    boundary = "harness-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\nobj.txt\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="other"; filename="a.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n").encode()
    conn = http.client.HTTPConnection(netloc, timeout=10)
    try:
        conn.request("POST", f"/{embedded.bucket}", body=body,
                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                              "Host": f"{embedded.bucket}.s3.amazonaws.com"})
        resp = conn.getresponse()
        payload = resp.read()
    finally:
        conn.close()
    assert (resp.status, resp.getheader("Content-Type")) == (500, "application/json"), payload[:200]
    assert b"InternalErrorException" in payload


def _bare_handler():
    """A KeepAliveHandler without a connection: what _send and date_time_string need."""
    import email.message

    from cognito_harness.embedded.keep_alive import KeepAliveHandler

    class Writes(list):
        def write(self, data):
            self.append(bytes(data))

        def flush(self):
            pass

    handler = object.__new__(KeepAliveHandler)
    handler.request_version, handler.close_connection = "HTTP/1.1", False
    handler.headers, handler.wfile = email.message.Message(), Writes()
    handler.requestline, handler.client_address = "POST / HTTP/1.1", ("127.0.0.1", 0)
    return handler


def test_an_answer_leaves_in_one_write_headers_and_body(monkeypatch):
    handler = _bare_handler()
    handler._send({"REQUEST_METHOD": "POST"}, "200 OK", [("Content-Type", "application/json")], b'{"a": 1}')
    assert len(handler.wfile) == 1, handler.wfile
    head, _, body = handler.wfile[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\nContent-Length: 8\r\n" in head
    assert body == b'{"a": 1}'


def test_the_date_header_is_made_once_per_second_and_never_stale(monkeypatch):
    from email.utils import formatdate

    from cognito_harness.embedded import keep_alive

    handler = _bare_handler()
    made = []
    real = keep_alive.MotoRequestHandler.date_time_string
    monkeypatch.setattr(keep_alive.MotoRequestHandler, "date_time_string",
                        lambda self, ts=None: made.append(ts) or real(self, ts))
    now = [1_800_000_000.2]
    monkeypatch.setattr(keep_alive, "_clock", lambda: now[0])
    first = handler.date_time_string()
    now[0] += 0.5
    assert handler.date_time_string() == first == formatdate(1_800_000_000, usegmt=True)
    now[0] += 0.5  # the next second
    assert handler.date_time_string() == formatdate(1_800_000_001, usegmt=True)
    assert len(made) == 2, "formatted once per second"
    assert handler.date_time_string(86400.0) == "Fri, 02 Jan 1970 00:00:00 GMT", "an explicit time as http.server"


def test_srp_raises_g_from_its_table_with_the_same_numbers(monkeypatch):
    """Every power of g (the client's A and g^x, the server's g^b, verifiers) comes from
    srp.g_pow's table, never GMP's powmod; the numbers are pow's, and an exchange verifies."""
    import secrets

    from cognito_harness import srp

    for exponent in (0, 1, 2, 31, 32, 33, secrets.randbits(256), secrets.randbits(1024), 2 ** 1040 - 1,
                     2 ** 1040, secrets.randbits(3072), srp.N - 1):
        assert srp.g_pow(exponent) == pow(srp.G, exponent, srp.N), exponent.bit_length()
    bases = []
    real = srp._gmp_powmod
    monkeypatch.setattr(srp, "_gmp_powmod", lambda b, e, m: bases.append(b) or real(b, e, m))
    salt = srp.new_salt_hex()
    verifier = srp.verifier(salt, "pool", "user", "pw")
    client = srp.SrpClient()
    small_b, big_b = srp.server_b(verifier)
    challenge = {"SRP_B": f"{big_b:x}", "SALT": salt, "SECRET_BLOCK": "c2VjcmV0"}
    claim = client.claim("pool", "user", "pw", challenge, "Tue Nov 3 09:05:07 UTC 2026")
    key = srp.server_key(client.big_a, small_b, big_b, verifier)
    assert claim == srp.claim_signature(key, "pool", "user", "c2VjcmV0", "Tue Nov 3 09:05:07 UTC 2026")
    assert srp.G not in bases and len(bases) == 3, "g's powers from the table; only S (both ends) and v^u by GMP"


# --- Givens that need no GetUserPoolMfaConfig (target.PoolMfaKnowledge) ----------------------

@contextlib.contextmanager
def _calls_of(client):
    """The operations the client calls meanwhile."""
    calls: list[str] = []

    def record(model, **_):
        calls.append(model.name)
    client.meta.events.register("before-call.cognito-idp.*", record)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.cognito-idp.*", record)


def test_a_given_knows_the_pools_mfa_configuration_after_a_reset_without_a_call(target):
    try:
        target.reset_to_starting_world()
        starting = target.pool_mfa()  # a first read after a reset: the starting world's
        target.set_pool_mfa("ON", totp=True)
        target.reset_to_starting_world()
        with _calls_of(target.admin()) as calls:
            assert target.pool_mfa_for_given() == starting == {"MfaConfiguration": "OFF"}
            target.set_pool_mfa("OPTIONAL", totp=True)
            assert target.pool_mfa_for_given() == target.pool_mfa()
        assert calls == ["SetUserPoolMfaConfig", "GetUserPoolMfaConfig"], "the Givens' reads were answered from what the harness knew"
    finally:
        target.reset_to_starting_world()


def test_what_a_given_knows_of_the_pools_mfa_is_never_stale(target, idp_clients):
    """After every way the scenario's operator client can change the pool (flows, its client
    directly, UpdateUserPool, a refused change, a reset), what a Given knows is what a read
    by another client answers."""
    from cognito_harness import flows

    reader, _ = idp_clients  # not the target's client: its reads teach the target nothing

    def read():
        out = reader.get_user_pool_mfa_config(UserPoolId=target.user_pool_id)
        out.pop("ResponseMetadata")
        return out

    admin, pool = target.admin(), target.user_pool_id
    changes = [
        lambda: flows.set_pool_mfa(target, "OPTIONAL", totp=True),
        lambda: admin.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="ON",
                                               SoftwareTokenMfaConfiguration={"Enabled": True}),
        lambda: admin.update_user_pool(UserPoolId=pool, MfaConfiguration="OFF"),
        lambda: flows.set_pool_mfa(target, "NOT-A-MODE", totp=True),  # refused: nothing known from it
        lambda: flows.set_pool_mfa(target, "ON", totp=True),
        target.reset_to_starting_world,
        lambda: admin.admin_get_user(UserPoolId=pool, Username="demo@example.com"),
    ]
    try:
        target.reset_to_starting_world()
        for change in changes:
            try:
                change()
            except Exception:  # noqa: BLE001 - a refused change: what matters is what is known after it
                pass
            assert target.pool_mfa_for_given() == read(), change
    finally:
        target.reset_to_starting_world()


@pytest.mark.parametrize("mode,totp", [("OFF", False), ("OPTIONAL", True), ("ON", True), ("OPTIONAL", False)])
def test_on_the_embedded_pool_setting_the_mfa_configuration_answers_what_a_read_then_gives(target, idp_clients, mode, totp):
    """What PoolMfaKnowledge takes from a SetUserPoolMfaConfig answer."""
    admin, _ = idp_clients
    try:
        set_answer = admin.set_user_pool_mfa_config(UserPoolId=target.user_pool_id, MfaConfiguration=mode,
                                                    SoftwareTokenMfaConfiguration={"Enabled": totp})
        read = admin.get_user_pool_mfa_config(UserPoolId=target.user_pool_id)
        set_answer.pop("ResponseMetadata"), read.pop("ResponseMetadata")
        assert set_answer == read
    except ClientError as err:  # a configuration Cognito refuses teaches nothing
        assert err.response["Error"]["Code"] == "InvalidParameterException"
    finally:
        target.reset_to_starting_world()


# --- the harness's controls of a server in this process: no HTTP round trip -----------------

def test_the_target_of_a_server_in_this_process_resets_and_moves_its_clock_without_http(target, embedded, http, monkeypatch):
    """The plugin's server runs in the pytest process: the target calls its reset and its
    clock directly — the same reset and clock object /_harness/ answers with."""
    from cognito_harness import target as target_module
    from cognito_harness.clock import CLOCK

    monkeypatch.setattr(target_module._CONTROLS, "send", lambda *a, **k: pytest.fail("a control went over HTTP"))
    target.set_pool_mfa("ON", totp=True)
    undone = target.reset_to_starting_world()
    assert undone["login_style"] == target.login_style
    assert target.pool_mfa() == {"MfaConfiguration": "OFF"}, "the starting world is back"
    before = http(embedded.clock_url)[1]["offset"]
    target.clock.advance(2.5, "test")
    after = http(embedded.clock_url)[1]
    assert after["offset"] == pytest.approx(before + 2.5)
    assert abs(target.clock.now() - after["now"]) < 1.0 and abs(target.clock.now() - CLOCK.now()) < 0.01
    with pytest.raises(Exception, match="cannot move"):
        target.clock.advance(float("inf"), "test")


def test_a_target_of_a_server_elsewhere_uses_its_http_controls(harness_config, embedded):
    import dataclasses

    from cognito_harness.target import EmbeddedClock, InProcessClock, embedded_target

    elsewhere = dataclasses.replace(embedded, endpoint_url="http://127.0.0.1:9")  # not served by this process
    remote = embedded_target(harness_config, elsewhere)
    assert type(remote.clock) is EmbeddedClock and remote.local_reset is None
    here = embedded_target(harness_config, embedded)
    assert type(here.clock) is InProcessClock and here.local_reset is not None


# --- the verification pages' files, read once per change -------------------------------------

def test_a_verification_page_file_is_read_once_and_again_when_it_changes(tmp_path, monkeypatch):
    import os
    import pathlib

    from cognito_harness.embedded.app import PageFiles

    reads = []
    real = pathlib.Path.read_bytes
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: reads.append(self.name) or real(self))
    page = tmp_path / "p.html"
    page.write_bytes(b"<p>one</p>")
    files = PageFiles(tmp_path)
    assert files.read("p.html") == files.read("p.html") == b"<p>one</p>"
    assert reads == ["p.html"], "read once"
    page.write_bytes(b"<p>two, longer</p>")
    assert files.read("p.html") == b"<p>two, longer</p>", "an edited page is served as edited"
    stat = page.stat()
    page.write_bytes(b"<p>six, longer</p>")  # same size: the modification time tells
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert files.read("p.html") == b"<p>six, longer</p>"
    page.unlink()
    with pytest.raises(FileNotFoundError):
        files.read("p.html")


def test_a_served_verification_page_is_its_file_with_the_settings_read_once(embedded, monkeypatch):
    import pathlib
    import urllib.request

    from cognito_harness import web_pages

    def page() -> bytes:
        with urllib.request.urlopen(f"{embedded.endpoint_url}/verify/hosted-ui-verify.html", timeout=10) as resp:
            return resp.read()
    expected = web_pages.with_settings(web_pages.read("hosted-ui-verify.html"), web_pages.settings(embedded.as_dict()))
    assert page() == expected
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: pytest.fail(f"{self.name} read again"))
    assert page() == expected
