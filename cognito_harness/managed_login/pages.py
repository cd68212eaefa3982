"""The managed-login pages: templates/*.html filled in with every value escaped.

`render` escapes each value (html.escape, quote=True) unless it is `Safe`, which only
this module creates, for markup it built itself from escaped parts."""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from string import Template

STYLES = ("classic", "managed")


class Safe(str):
    """Markup built here from escaped parts."""


def _escape(value) -> str:
    if isinstance(value, Safe):
        return value
    return html.escape("" if value is None else str(value), quote=True)


@lru_cache(maxsize=None)
def _template(name: str) -> Template:
    text = resources.files("cognito_harness.managed_login").joinpath("templates", name).read_text("utf-8")
    return Template(text)


def render(name: str, **fields) -> Safe:
    return Safe(_template(name).substitute({k: _escape(v) for k, v in fields.items()}))


@lru_cache(maxsize=None)
def _stylesheet() -> Safe:
    """static/managed-login.css, written into every page (a <link> would cost a request per page)."""
    css = resources.files("cognito_harness.managed_login").joinpath("static", "managed-login.css").read_text("utf-8")
    return Safe(css)


def page(style: str, title: str, content: Safe) -> str:
    return render("layout.html", title=title, style=style, content=content, stylesheet=_stylesheet())


def error_box(style: str, message: str | None) -> Safe:
    if not message:
        return Safe("")
    css = "errorMessage-customizable" if style == "classic" else "error-message"
    return Safe(f'<div class="{css}" role="alert">{_escape(message)}</div>')


# --- the pages ----------------------------------------------------------------------------

def sign_in(style: str, action: str, csrf: str, email: str = "", error: str | None = None) -> str:
    if style == "managed":
        return email_step(action, csrf, email, error)
    content = render("classic_sign_in.html", action=action, csrf=csrf, email=email,
                     error=error_box(style, error))
    return page(style, "Signin", content)


def email_step(action: str, csrf: str, email: str = "", error: str | None = None) -> str:
    content = render("managed_email_step.html", action=action, csrf=csrf, email=email,
                     error=error_box("managed", error))
    return page("managed", "Sign in", content)


def password_step(action: str, csrf: str, email: str, error: str | None = None) -> str:
    content = render("managed_password_step.html", action=action, restart=action, csrf=csrf,
                     email=email, error=error_box("managed", error))
    return page("managed", "Sign in", content)


def authenticator_code(style: str, csrf: str, error: str | None = None) -> str:
    content = render("authenticator_code.html", csrf=csrf, error=error_box(style, error))
    return page(style, "Multi-factor authentication - authenticator app", content)


def authenticator_setup(style: str, csrf: str, qr_data_uri: str, secret: str,
                        error: str | None = None) -> str:
    content = render("authenticator_setup.html", csrf=csrf, qr=qr_data_uri, secret=secret,
                     error=error_box(style, error))
    return page(style, "Set up an authenticator app", content)


def session_ended(style: str, message: str, restart: str) -> str:
    content = render("session_ended.html", error=error_box(style, message), restart=restart)
    return page(style, "Sign-in ended", content)


def error(style: str, message: str) -> str:
    return page(style, "Error", render("error.html", message=message))
