"""Keeps secrets out of what a run leaves behind: failure reports, captured output,
cucumber JSON and Playwright traces.

The harness registers every secret it handles (passwords, TOTP secrets, tokens,
AWS credentials); `scrub()` replaces them — and anything shaped like a Cognito token —
with `<redacted>`. The pytest plugin applies it to each test report and, at the end
of the session, to the trace and report files under the output folder.
"""

from __future__ import annotations

import re
import threading
import zipfile
from pathlib import Path

REDACTED = "<redacted>"
# JWTs (id/access), JWE refresh tokens and the embedded target's opaque refresh tokens
TOKEN_SHAPE = re.compile(r"eyJ[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]*){0,4}")
MIN_SECRET_LENGTH = 8  # shorter values (6-digit one-time codes) are not worth redacting

_lock = threading.Lock()
_secrets: set[str] = set()


def register(*values: object) -> None:
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
                _secrets.add(value)


def register_response(response: dict) -> None:
    """Registers what a Cognito / Cognito Identity response carries that is secret."""
    for key in ("AuthenticationResult", "Credentials"):
        inner = response.get(key) or {}
        register(*(v for k, v in inner.items() if k in
                   ("IdToken", "AccessToken", "RefreshToken", "SecretKey", "SessionToken")))
    register(response.get("SecretCode"), response.get("Session"))


def scrub(text: str) -> str:
    if not text:
        return text
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)


def scrub_file(path: Path) -> bool:
    """Scrubs a text file or a zip of text files (a Playwright trace) in place."""
    if zipfile.is_zipfile(path):
        return _scrub_zip(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    clean = scrub(text)
    if clean != text:
        path.write_text(clean, encoding="utf-8")
        return True
    return False


# The authenticator set-up page's QR code is an SVG data: URI (it encodes the otpauth:// URI,
# secret included); a trace's DOM snapshots keep it. Every SVG data URI in a trace is replaced.
SVG_DATA_URI = re.compile(r"data:image/svg\+xml[^\"'\s)<>\\]*")
# A trace that showed the set-up page keeps no screencast frames or other images: the QR code
# and the secret are on them.
SETUP_PAGE_MARKS = ("secret-key", "data:image/svg+xml")
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".webp")


def _scrub_zip(path: Path) -> bool:
    changed = False
    entries = []
    with zipfile.ZipFile(path) as zin:
        raw = [(info, zin.read(info)) for info in zin.infolist()]
    showed_setup = any(mark.encode() in data for _, data in raw for mark in SETUP_PAGE_MARKS)
    for info, data in raw:
        if showed_setup and info.filename.lower().endswith(IMAGE_SUFFIXES):
            changed = True  # dropped
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            entries.append((info, data))
            continue
        clean = SVG_DATA_URI.sub("data:image/svg+xml,<redacted>", scrub(text))
        changed |= clean != text
        entries.append((info, clean.encode("utf-8")))
    if changed:
        tmp = path.with_suffix(path.suffix + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in entries:
                zout.writestr(info, data)
        tmp.replace(path)
    return changed
