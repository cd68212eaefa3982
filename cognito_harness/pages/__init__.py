"""Playwright page objects (sync API, role/label locators, overridable by CSS selectors
from scenarios.yaml `login_selectors` for a real pool's branded pages).

- ManagedLoginPage: the sign-in page (classic one-form or managed two-step look)
- AuthenticatorCodePage: "enter the code from your authenticator app"
- MfaSetupPage: "Set up an authenticator app" (QR code, secret key, Verify)
- CallbackPage: /verify/hosted-ui-verify.html (start of the sign-in and its callback)
- InAppSignInPage: /verify/auth-and-token-verify.html (InitiateAuth + window.prompt)
"""

from .authenticator import AuthenticatorCodePage, MfaSetupPage
from .managed_login import ManagedLoginPage
from .verify_pages import CallbackPage, InAppSignInPage

__all__ = ["AuthenticatorCodePage", "CallbackPage", "InAppSignInPage", "ManagedLoginPage", "MfaSetupPage"]
