"""The narrative's verification pages (cognito_harness/web/*.html) as the embedded server
serves them: with their settings written into the page.

Each page reads its settings (endpoint, pool and client ids, the managed login's and the
callback's URLs) from ``<script type="application/json" id="settings">``; when that element is
empty — a plain file server, the local callback site — it fetches ``config.json`` beside it.
Written into the page, the settings cost no extra request on every page load (two per
managed-login journey: the start page and the callback).

The settings are JSON inside a ``<script>`` element that never runs (its type is not
JavaScript); ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026``, so no value
can close the element."""

from __future__ import annotations

import json
from importlib import resources

SETTINGS_SLOT = b'<script type="application/json" id="settings"></script>'

#: what a page may read from its settings (the same keys as /verify/config.json)
SETTINGS_KEYS = ("endpoint_url", "region", "user_pool_id", "client_id", "identity_pool_id",
                 "managed_login_url", "callback_url")


def settings(info: dict) -> dict:
    """The settings of the pages, from the server's info."""
    return {k: info.get(k) for k in SETTINGS_KEYS}


def settings_json(values: dict) -> bytes:
    """`values` as JSON that is safe inside a <script> element."""
    text = json.dumps(values)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def read(name: str) -> bytes:
    """The page file as it is (FileNotFoundError if there is none)."""
    return resources.files("cognito_harness.web").joinpath(name).read_bytes()


def with_settings(data: bytes, values: dict) -> bytes:
    """The page with `values` written into its settings element (unchanged if it has none)."""
    if SETTINGS_SLOT not in data:
        return data
    filled = SETTINGS_SLOT.replace(b"></script>", b">" + settings_json(values) + b"</script>")
    return data.replace(SETTINGS_SLOT, filled, 1)
