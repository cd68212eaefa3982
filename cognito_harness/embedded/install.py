"""Install the fidelity layer into moto (and take it out again).

The moto internals this relies on are listed in `MOTO_INTERNALS`; the canary test
(tests/test_moto_canary.py) checks each one, so a moto upgrade that moves one fails
loudly instead of silently turning the embedded target back into plain moto.
"""

from __future__ import annotations

import threading

from moto import settings as moto_settings
from moto.cognitoidp import models as idp_models
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.authorization import ActionAuthenticatorMixin

from . import responses, rules
from .backend import FaithfulCognitoIdpBackend, FaithfulUser

# Cognito calls that AWS accepts without SigV4 (auth type "none" in the service model).
UNSIGNED_COGNITO_OPERATIONS = [
    "AWSCognitoIdentityProviderService.InitiateAuth",
    "AWSCognitoIdentityProviderService.RespondToAuthChallenge",
    "AWSCognitoIdentityProviderService.AssociateSoftwareToken",
    "AWSCognitoIdentityProviderService.VerifySoftwareToken",
    "AWSCognitoIdentityProviderService.SetUserMFAPreference",
    "AWSCognitoIdentityProviderService.GetUser",
    "AWSCognitoIdentityProviderService.GlobalSignOut",
    "AWSCognitoIdentityProviderService.RevokeToken",
    "AWSCognitoIdentityProviderService.ChangePassword",
    "AWSCognitoIdentityProviderService.UpdateUserAttributes",
    "AWSCognitoIdentityProviderService.SignUp",
    "AWSCognitoIdentityProviderService.ConfirmSignUp",
    "AWSCognitoIdentityProviderService.ForgotPassword",
    "AWSCognitoIdentityProviderService.ConfirmForgotPassword",
    "AWSCognitoIdentityProviderService.ConfirmDevice",
    "AWSCognitoIdentityProviderService.UpdateDeviceStatus",
    "AWSCognitoIdentityProviderService.ListDevices",
    "AWSCognitoIdentityProviderService.GetDevice",
    "AWSCognitoIdentityProviderService.ForgetDevice",
    "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken",
    "AWSCognitoIdentityService.GetId",
    "AWSCognitoIdentityService.GetCredentialsForIdentity",
    "AWSCognitoIdentityService.GetOpenIdToken",
]

# name -> how we use it; checked by tests/test_moto_canary.py
MOTO_INTERNALS = {
    "moto.cognitoidp.models.cognitoidp_backends.backend": "swapped for FaithfulCognitoIdpBackend",
    "moto.cognitoidp.models.CognitoIdpUser": "swapped for FaithfulUser (admin_create_user/sign_up build it)",
    "moto.cognitoidp.models.CognitoIdpBackend.<methods>": "overridden with the same signatures",
    "moto.cognitoidp.models.CognitoIdpUserPool id_tokens/refresh_tokens/access_tokens": "token stores",
    "moto.cognitoidp.models.CognitoIdpUserPool clients/users/_get_user": "lookups (backend, managed login)",
    "moto.cognitoidp.models.CognitoIdpUserPoolClient extended_config/generate_secret/secret": "client settings",
    "moto.core.authorization.ActionAuthenticatorMixin.PUBLIC_OPERATIONS": "unsigned Cognito calls",
    "moto.cognitoidp.responses.CognitoIdpResponse _get_param/backend/call_action": "device tracking and "
    "GetTokensFromRefreshToken handlers added as methods (responses.HANDLERS); moto dispatches by method name",
    "moto.cognitoidp.models.RegionAgnosticBackend _find_backend_by_access_token/_find_backend_for_clientid":
        "backend lookup for the unsigned device and refresh calls",
    "moto.settings.INITIAL_NO_AUTH_ACTION_COUNT": "IAM enforcement on/off",
    "moto.sts.models.sts_backends[..].assume_role_with_web_identity": "identity-pool credentials",
    "moto.moto_server.threaded_moto_server.ThreadedMotoServer._server_entry": "WSGI app wrapping",
    "moto.moto_server.werkzeug_app.create_backend_app": "moto_speed.create_backend_app: its Flask apps out of debug mode",
    "moto.iam.models.iam_backends[..].create_user": "server.py: the admin IAM user, its policy and key pair",
    "moto.iam.models.iam_backends[..].put_user_policy": "server.py: the admin's all-actions policy",
    "moto.iam.models.iam_backends[..].create_access_key": "server.py: the admin key pair",
    "moto.cognitoidentity.models.CognitoIdentityPool": "identity.py keeps its state on it (tests/test_moto_canary.py)",
    "moto.core.exceptions.JsonRESTError": "Cognito errors (error_type, message) raised and caught",
    "moto.core.responses.BaseResponse.call_action": "NotImplementedError for an operation moto lacks (app.py)",
}

_lock = threading.Lock()
_saved: dict | None = None


def install(choices: rules.Choices | None = None, enforce_iam: bool = True) -> None:
    """Make moto faithful. Idempotent."""
    global _saved
    with _lock:
        if _saved is None:
            _saved = {
                "backend": idp_models.cognitoidp_backends.backend,
                "user": idp_models.CognitoIdpUser,
                "public": list(ActionAuthenticatorMixin.PUBLIC_OPERATIONS),
                "no_auth": moto_settings.INITIAL_NO_AUTH_ACTION_COUNT,
            }
        if idp_models.cognitoidp_backends.backend is not FaithfulCognitoIdpBackend:
            # backends built from moto's class are dropped; a second server in the same
            # process (already faithful) keeps the first one's pools
            idp_models.cognitoidp_backends.backend = FaithfulCognitoIdpBackend
            idp_models.cognitoidp_backends.clear()
        idp_models.CognitoIdpUser = FaithfulUser
        for op in UNSIGNED_COGNITO_OPERATIONS:
            if op not in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
                ActionAuthenticatorMixin.PUBLIC_OPERATIONS.append(op)
        for name, handler in responses.HANDLERS.items():
            setattr(CognitoIdpResponse, name, handler)
        if choices is not None:
            for name, value in vars(choices).items():
                setattr(rules.CHOICES, name, value)
        set_iam_enforcement(enforce_iam)


def set_iam_enforcement(on: bool) -> None:
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if on else float("inf")
    ActionAuthenticatorMixin.request_count = 0


def needs_signature(target: str) -> bool:
    """Whether moto's IAM check will want a SigV4 signature on this X-Amz-Target (it fails
    with a KeyError when there is none)."""
    if moto_settings.INITIAL_NO_AUTH_ACTION_COUNT == float("inf"):
        return False
    return target not in ActionAuthenticatorMixin.PUBLIC_OPERATIONS


def uninstall() -> None:
    """Back to plain moto (used by tests that show what plain moto gets wrong)."""
    global _saved
    with _lock:
        if _saved is None:
            return
        idp_models.cognitoidp_backends.backend = _saved["backend"]
        idp_models.cognitoidp_backends.clear()
        idp_models.CognitoIdpUser = _saved["user"]
        ActionAuthenticatorMixin.PUBLIC_OPERATIONS[:] = _saved["public"]
        for name in responses.HANDLERS:
            if getattr(CognitoIdpResponse, name, None) is responses.HANDLERS[name]:
                delattr(CognitoIdpResponse, name)
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = _saved["no_auth"]
        _saved = None


def installed() -> bool:
    return idp_models.cognitoidp_backends.backend is FaithfulCognitoIdpBackend
