"""The security headers of everything the harness serves over HTTP, in one place: the
embedded server's JSON front and verification pages (embedded/app.py, embedded/guard.py),
the managed-login emulator (managed_login/responses.py) and the local callback site
(callback_site.py).

- every response: no MIME sniffing, no referrer, no caching (pages carry codes and tokens);
- HTML pages: no framing, and a Content-Security-Policy — the managed login's pages run no
  script at all; the narrative's verification pages run their own inline script and call only
  their own origin.
"""

from __future__ import annotations

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}

# the narrative's verification pages (cognito_harness/web/), served on the embedded port
VERIFY_PAGE_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                   "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")


def common() -> list[tuple[str, str]]:
    return list(COMMON.items())


def html_page(csp: str) -> list[tuple[str, str]]:
    """Headers of an HTML page with that Content-Security-Policy."""
    return [*common(), ("Content-Security-Policy", csp), ("X-Frame-Options", "DENY")]
