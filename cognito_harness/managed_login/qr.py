"""The authenticator set-up page's otpauth URI and its QR code (an SVG data: URI,
allowed by the page's `img-src 'self' data:` policy)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import segno  # pure Python, no dependencies (pyproject: segno>=1.6,<2)


def otpauth_uri(issuer: str, email: str, secret: str) -> str:
    """otpauth://totp/<issuer>:<email>?secret=<SECRET>&issuer=<issuer> (Key URI format)."""
    label = quote(issuer, safe="") + ":" + quote(email, safe="@")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer}, quote_via=quote)


def qr_svg_data_uri(text: str) -> str:
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
