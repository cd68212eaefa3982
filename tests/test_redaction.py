"""Secrets never appear in what a run leaves behind."""

import sys
import zipfile
from pathlib import Path

import processes

from cognito_harness import redaction

ROOT = Path(__file__).resolve().parents[1]
PASSWORDS = ("Aaaa1111", "Demo1234pass", "Admin1234pass")


def test_registered_secrets_and_token_shapes_are_scrubbed():
    redaction.register("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    text = "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl code=123456"
    clean = redaction.scrub(text)
    assert "JBSWY3DP" not in clean and "eyJ" not in clean
    assert "code=123456" in clean, "short one-time codes are left alone"


def test_a_trace_zip_is_scrubbed_in_place(tmp_path):
    redaction.register("a-password-to-hide")
    trace = tmp_path / "trace.zip"
    with zipfile.ZipFile(trace, "w") as z:
        z.writestr("trace.trace", '{"method":"fill","params":{"value":"a-password-to-hide"}}')
        z.writestr("resources/img.png", b"\x89PNG\x00\xff")
    assert redaction.scrub_file(trace)
    with zipfile.ZipFile(trace) as z:
        assert "a-password-to-hide" not in z.read("trace.trace").decode()
        assert z.read("resources/img.png") == b"\x89PNG\x00\xff"


def test_failing_scenarios_report_no_secret(tmp_path):
    """Plain moto (--fidelity off) makes scenarios fail with full locals shown: the
    report, captured output and cucumber JSON still carry no password or token."""
    cucumber = tmp_path / "cucumber.json"
    result = processes.run(
        [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider", "--fidelity", "off",
         "-l", "--tb=long", f"--cucumberjson={cucumber}", "-k", "enrol or challenge or refresh"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert " failed" in result.stdout, "the check is only meaningful when scenarios fail"
    for text in (result.stdout, result.stderr, cucumber.read_text()):
        assert "eyJ" not in text
        for password in PASSWORDS:
            assert password not in text


def test_a_real_trace_of_the_set_up_page_keeps_neither_qr_code_nor_secret_nor_frames(browser, tmp_path):
    """A Playwright trace (DOM snapshots + screencast) of the managed login's set-up page, then
    the scrubbing the plugin applies at the end of a run."""
    from cognito_harness.managed_login import pages, qr

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPABCD"
    redaction.register(secret)  # as the harness's Authenticator does when it reads the page
    data_uri = qr.qr_svg_data_uri(qr.otpauth_uri("cognito-demo", "mfa@example.com", secret))
    html = pages.authenticator_setup("classic", "csrf-token-value", data_uri, secret)
    context = browser.new_context()
    context.tracing.start(screenshots=True, snapshots=True)
    page = context.new_page()
    page.set_content(html)
    page.get_by_label("Code").fill("123456")
    page.wait_for_timeout(300)  # let the screencast take frames
    trace = tmp_path / "trace.zip"
    context.tracing.stop(path=str(trace))
    context.close()
    with zipfile.ZipFile(trace) as z:
        before = {name: z.read(name) for name in z.namelist()}
    assert any(data_uri[:60].encode() in data for data in before.values()), "the trace holds the QR code"
    assert any(name.endswith(".jpeg") for name in before), "the trace holds screencast frames"

    assert redaction.scrub_file(trace)
    with zipfile.ZipFile(trace) as z:
        after = {name: z.read(name) for name in z.namelist()}
    assert not [name for name in after if name.lower().endswith((".jpeg", ".png"))]
    for name, data in after.items():
        assert b"data:image/svg+xml;" not in data and b"%3Csvg" not in data, name
        assert secret.encode() not in data, name
