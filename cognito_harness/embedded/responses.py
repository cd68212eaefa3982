"""HTTP handlers for the Cognito operations moto 5.2.5 does not implement at all: device
tracking and GetTokensFromRefreshToken. `install.install()` adds them to moto's
CognitoIdpResponse; `install.uninstall()` takes them away again (plain moto answers
"not implemented" for each, which the fidelity tests show).
"""

from __future__ import annotations

from moto.cognitoidp.models import RegionAgnosticBackend
from moto.core.responses import ActionResult


def _by_token(self, access_token: str):
    return RegionAgnosticBackend(self.current_account, self.region)._find_backend_by_access_token(access_token or "")


def _by_client(self, client_id: str):
    return RegionAgnosticBackend(self.current_account, self.region)._find_backend_for_clientid(client_id or "")


def confirm_device(self):
    token = self._get_param("AccessToken")
    return ActionResult(_by_token(self, token).confirm_device(
        token, self._get_param("DeviceKey"), self._get_param("DeviceSecretVerifierConfig"),
        self._get_param("DeviceName")))


def update_device_status(self):
    token = self._get_param("AccessToken")
    return ActionResult(_by_token(self, token).update_device_status(
        token, self._get_param("DeviceKey"), self._get_param("DeviceRememberedStatus")))


def list_devices(self):
    token = self._get_param("AccessToken")
    return ActionResult(_by_token(self, token).list_devices(
        token, self._get_param("Limit"), self._get_param("PaginationToken")))


def get_device(self):
    token = self._get_param("AccessToken")
    return ActionResult(_by_token(self, token).get_device(self._get_param("DeviceKey"), token))


def forget_device(self):
    token = self._get_param("AccessToken")
    return ActionResult(_by_token(self, token).forget_device(token, self._get_param("DeviceKey")))


def admin_update_device_status(self):
    return ActionResult(self.backend.admin_update_device_status(
        self._get_param("UserPoolId"), self._get_param("Username"), self._get_param("DeviceKey"),
        self._get_param("DeviceRememberedStatus")))


def admin_list_devices(self):
    return ActionResult(self.backend.admin_list_devices(
        self._get_param("UserPoolId"), self._get_param("Username"), self._get_param("Limit"),
        self._get_param("PaginationToken")))


def admin_get_device(self):
    return ActionResult(self.backend.admin_get_device(
        self._get_param("DeviceKey"), self._get_param("UserPoolId"), self._get_param("Username")))


def admin_forget_device(self):
    return ActionResult(self.backend.admin_forget_device(
        self._get_param("UserPoolId"), self._get_param("Username"), self._get_param("DeviceKey")))


def get_tokens_from_refresh_token(self):
    client_id = self._get_param("ClientId")
    return ActionResult(_by_client(self, client_id).get_tokens_from_refresh_token(
        self._get_param("RefreshToken"), client_id, self._get_param("ClientSecret"), self._get_param("DeviceKey")))


HANDLERS = {f.__name__: f for f in (
    confirm_device, update_device_status, list_devices, get_device, forget_device,
    admin_update_device_status, admin_list_devices, admin_get_device, admin_forget_device,
    get_tokens_from_refresh_token)}
