"""Device tracking on the embedded pool: ConfirmDevice, UpdateDeviceStatus, ListDevices,
GetDevice, ForgetDevice and their Admin* forms (moto 5.2.5 has none of them).

Devices live on moto's user objects (`rules.user_devices`), so whatever removes a user — the
world fixture deleting the users a scenario created, a reset of the embedded world, moto's
own reset — forgets the user's devices with it. The rules are in rules.py; the HTTP
handlers in responses.py.
"""

from __future__ import annotations

from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException, UserNotFoundError

from ..clock import CLOCK
from . import rules

STATUSES = ("remembered", "not_remembered")
MAX_LIMIT = 60


class DeviceTrackingMixin:
    """Mixed into FaithfulCognitoIdpBackend (which provides user_for_access_token, describe_user_pool)."""

    # --- whose devices -------------------------------------------------------------------

    def _admin_user(self, user_pool_id: str, username: str):
        pool = self.describe_user_pool(user_pool_id)
        user = pool._get_user(username)
        if user is None:
            raise UserNotFoundError(rules.MSG_USER_NOT_FOUND)
        return pool, user

    # --- the app's calls (access token) --------------------------------------------------

    def confirm_device(self, access_token: str, device_key: str, verifier_config: dict | None,
                       device_name: str | None) -> dict[str, Any]:
        """ConfirmDevice: the device's SRP verifier and salt; remembered at once unless the pool
        asks the user first (UserConfirmationNecessary, then UpdateDeviceStatus)."""
        pool, user = self.user_for_access_token(access_token)
        device = rules.find_device(user, device_key, confirmed_only=False)
        device.salt_hex, device.verifier = rules.device_verifier_from_config(verifier_config)
        remembered = rules.remembered_on_confirm(pool)
        device.confirmed, device.remembered = True, remembered
        device.name = device_name or device.name
        device.last_modified = CLOCK.now()
        return {"UserConfirmationNecessary": not remembered}

    def update_device_status(self, access_token: str, device_key: str, status: str | None) -> dict:
        _, user = self.user_for_access_token(access_token)
        return self._set_status(user, device_key, status)

    def list_devices(self, access_token: str, limit: int | None, pagination_token: str | None) -> dict:
        _, user = self.user_for_access_token(access_token)
        return self._list(user, limit, pagination_token)

    def get_device(self, device_key: str, access_token: str) -> dict:
        _, user = self.user_for_access_token(access_token)
        return {"Device": rules.find_device(user, device_key).to_json()}

    def forget_device(self, access_token: str, device_key: str) -> dict:
        _, user = self.user_for_access_token(access_token)
        return self._forget(user, device_key)

    # --- the operator's calls ------------------------------------------------------------

    def admin_update_device_status(self, user_pool_id: str, username: str, device_key: str,
                                   status: str | None) -> dict:
        return self._set_status(self._admin_user(user_pool_id, username)[1], device_key, status)

    def admin_list_devices(self, user_pool_id: str, username: str, limit: int | None,
                           pagination_token: str | None) -> dict:
        return self._list(self._admin_user(user_pool_id, username)[1], limit, pagination_token)

    def admin_get_device(self, device_key: str, user_pool_id: str, username: str) -> dict:
        return {"Device": rules.find_device(self._admin_user(user_pool_id, username)[1], device_key).to_json()}

    def admin_forget_device(self, user_pool_id: str, username: str, device_key: str) -> dict:
        return self._forget(self._admin_user(user_pool_id, username)[1], device_key)

    # --- shared --------------------------------------------------------------------------

    def _set_status(self, user, device_key: str, status: str | None) -> dict:
        if status not in STATUSES:
            raise InvalidParameterException(
                f"1 validation error detected: Value '{status}' at 'deviceRememberedStatus' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(STATUSES)}]")
        device = rules.find_device(user, device_key)
        device.remembered = status == "remembered"
        device.last_modified = CLOCK.now()
        return {}

    def _forget(self, user, device_key: str) -> dict:
        """ForgetDevice: gone, and so is its refresh tokens' validity (rules.require_refresh_device)."""
        rules.find_device(user, device_key, confirmed_only=False)
        del rules.user_devices(user)[device_key]
        return {}

    def _list(self, user, limit: int | None, pagination_token: str | None) -> dict:
        """The user's confirmed devices, oldest first, `Limit` (1-60) at a time."""
        devices = sorted((d for d in rules.user_devices(user).values() if d.confirmed),
                         key=lambda d: (d.created, d.key))
        size = max(1, min(MAX_LIMIT, int(limit or MAX_LIMIT)))
        start = 0
        if pagination_token:
            keys = [d.key for d in devices]
            if pagination_token not in keys:
                raise InvalidParameterException("Invalid pagination token")
            start = keys.index(pagination_token)
        page = devices[start:start + size]
        out: dict = {"Devices": [d.to_json() for d in page]}
        if start + size < len(devices):
            out["PaginationToken"] = devices[start + size].key
        return out
