"""Secrets never appear in what a run leaves behind."""

import subprocess
import sys
import zipfile
from pathlib import Path

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
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider", "--fidelity", "off",
         "-l", "--tb=long", f"--cucumberjson={cucumber}", "-k", "enrol or challenge or refresh"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert " failed" in result.stdout, "the check is only meaningful when scenarios fail"
    for text in (result.stdout, result.stderr, cucumber.read_text()):
        assert "eyJ" not in text
        for password in PASSWORDS:
            assert password not in text
