"""Remembered devices: the app signs in the Amplify way (SRP), remembers the device, and is not
asked for the code again on it; forgetting it brings the code back; the refresh token rotates.

The app's devices are kept in `world.extra["devices"]` by the name the feature gives them
("laptop", "phone"); each holds the keys Cognito handed out and its random password. Devices
live on the user in the pool, so the user deleted at the end of the scenario takes them along.
"""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from cognito_harness import device_flows, prerequisites

DEFAULT_GRACE_SECONDS = 10


def _devices(world) -> dict:
    return world.extra.setdefault("devices", {})


def _device(world, name):
    assert name in _devices(world), f'no device "{name}" in this scenario (known: {sorted(_devices(world))})'
    return _devices(world)[name]


def _email(world, persona) -> str:
    return world.persona(persona).email


# --- the pool's settings: prerequisites, never changed on a real pool ----------------------------

@given("the pool remembers devices when the user asks, in place of the authenticator code")
def pool_remembers_devices(world):
    """Establishes nothing, checks a prerequisite of the target: the pool tracks devices
    (DeviceConfiguration) and a remembered device replaces the code (ChallengeRequiredOnNewDevice).
    Otherwise the scenario is skipped with the reason — the pool's device setting is never changed."""
    config = device_flows.device_configuration(world.target)
    where = "scenarios.yaml pool.device_tracking" if world.target.is_embedded else f"the pool {world.target.user_pool_id}"
    if config is None:
        pytest.skip(f"{where} tracks no devices (no DeviceConfiguration): remembered-device specs need it")
    if not config.get("ChallengeRequiredOnNewDevice"):
        pytest.skip(f"{where}: ChallengeRequiredOnNewDevice is false, so a remembered device does not replace "
                    "the authenticator code")
    world.extra["device_configuration"] = config


@given("the app client rotates refresh tokens")
def client_rotates_refresh_tokens(world, request):
    """Establishes an app client that rotates refresh tokens: on the embedded pool turned on for
    this scenario (grace period from scenarios.yaml, else 10 s) and put back after it; a real
    pool's client is only read, and without rotation the scenario is skipped."""
    rotation = device_flows.refresh_token_rotation(world.target)
    if rotation.get("Feature") != "ENABLED":
        if not world.target.is_embedded:
            pytest.skip(f"the app client {world.target.client_id} does not rotate refresh tokens "
                        "(RefreshTokenRotation Feature DISABLED)")
        grace = world.config.app_client.refresh_token_rotation_grace_seconds
        grace = DEFAULT_GRACE_SECONDS if grace is None else grace
        before = device_flows.set_refresh_token_rotation(world.target, grace)
        request.addfinalizer(lambda: device_flows.restore_client(world.target, before))
        rotation = {"Feature": "ENABLED", "RetryGracePeriodSeconds": grace}
    world.extra["grace_seconds"] = int(rotation.get("RetryGracePeriodSeconds") or 0)


# --- signing in from the app ------------------------------------------------------------------

@when(parsers.parse('"{persona}" signs in from the app on a new device'))
@given(parsers.parse('"{persona}" has signed in from the app on a new device'))
def signs_in_on_new_device(world, persona):
    """SRP sign-in (USER_SRP_AUTH, the PASSWORD_VERIFIER proof) naming no device; as a Given it
    establishes that sign-in, the MFA persona created first if needed. Records the answer."""
    prerequisites.user_exists(world, persona)
    outcome = world.record(device_flows.srp_sign_in(world.target, _email(world, persona), world.password(persona)),
                           persona)
    world.sign_ins[persona] = outcome


@when(parsers.parse('"{persona}" signs in from the app with a wrong password'))
def signs_in_with_wrong_password(world, persona):
    """SRP sign-in whose proof is made with a wrong password."""
    world.record(device_flows.srp_sign_in(world.target, _email(world, persona), world.password(persona) + "-wrong"))


@when(parsers.parse('"{persona}" signs in from the app on the device "{name}"'))
def signs_in_on_device(world, persona, name):
    """SRP sign-in with the device's DEVICE_KEY, answering DEVICE_SRP_AUTH with the device's proof
    when asked; a device the pool no longer knows is dropped and the sign-in made anew (as
    amazon-cognito-identity-js does). Records the answer."""
    outcome = world.record(device_flows.sign_in_on_device(world.target, _email(world, persona),
                                                          world.password(persona), _device(world, name)), persona)
    world.sign_ins[persona] = outcome


@when(parsers.parse('someone signs in as "{persona}" with the password and a copy of the device "{name}" '
                    'without its secret'))
def impostor_device(world, persona, name):
    """SRP sign-in with the right password and the device's keys, but a guessed device password."""
    real = _device(world, name)
    copy = device_flows.AppDevice(real.key, real.group_key, "a-guess-at-the-device-password")
    world.record(device_flows.sign_in_on_device(world.target, _email(world, persona), world.password(persona), copy))


@then("the pool offers to remember the device")
def offers_to_remember(world):
    """The sign-in's tokens carry NewDeviceMetadata (DeviceKey, DeviceGroupKey)."""
    assert world.last.tokens, world.last
    metadata = world.last.tokens.get("NewDeviceMetadata")
    assert metadata and metadata.get("DeviceKey") and metadata.get("DeviceGroupKey"), \
        "a sign-in on a new device gets NewDeviceMetadata (DeviceKey, DeviceGroupKey)"


# --- remembering and forgetting -----------------------------------------------------------------

def _signed_in_on_new_device(world, persona) -> dict:
    """SRP sign-in on a new device, with the authenticator's code when asked: the tokens."""
    if not prerequisites.is_existing_persona(world, persona):
        prerequisites.enrolled(world, persona)
    signs_in_on_new_device(world, persona)
    outcome = world.last
    if outcome.challenge == "SOFTWARE_TOKEN_MFA":
        code = world.authenticators[persona].fresh_code()
        outcome = world.record(device_flows.answer_totp(world.target, outcome, _email(world, persona), code), persona)
    assert outcome.tokens, f"{persona} could not sign in on a new device: {outcome}"
    return outcome.tokens


def _confirm(world, persona, name, remembered: bool):
    tokens = _signed_in_on_new_device(world, persona)
    confirmed, device = device_flows.confirm_device(world.target, tokens)
    assert confirmed.ok, f"ConfirmDevice failed: {confirmed}"
    status = device_flows.set_device_remembered(world.target, tokens["AccessToken"], device, remembered)
    assert status.ok, f"UpdateDeviceStatus failed: {status}"
    _devices(world)[name] = device
    world.extra.setdefault("device_tokens", {})[name] = tokens


@given(parsers.parse('"{persona}" has remembered the device "{name}"'))
def has_remembered(world, persona, name):
    """Establishes a remembered device of the persona: enrolled first (the MFA persona), signed in
    on a new device with the code, ConfirmDevice with a fresh verifier, UpdateDeviceStatus remembered."""
    _confirm(world, persona, name, remembered=True)


@given(parsers.parse('"{persona}" has confirmed the device "{name}" without remembering it'))
def has_confirmed_not_remembered(world, persona, name):
    """Establishes a confirmed device the user chose not to remember: as "has remembered the
    device", but UpdateDeviceStatus not_remembered."""
    _confirm(world, persona, name, remembered=False)


@when(parsers.parse('"{persona}" forgets the device "{name}"'))
def forgets_device(world, persona, name):
    """ForgetDevice with the access token of the sign-in that confirmed the device."""
    tokens = world.extra["device_tokens"][name]
    outcome = world.record(device_flows.forget_device(world.target, tokens["AccessToken"], _device(world, name)))
    assert outcome.ok, outcome


@when(parsers.parse('the operator lists the devices of "{persona}"'))
def operator_lists(world, persona):
    """AdminListDevices for the persona's user. Records the answer."""
    world.record(device_flows.admin_list_devices(world.target, _email(world, persona)))


@when(parsers.parse('the operator forgets the device "{name}" of "{persona}"'))
def operator_forgets(world, name, persona):
    """AdminForgetDevice for the persona's user and the named device."""
    outcome = world.record(device_flows.admin_forget_device(world.target, _email(world, persona), _device(world, name).key))
    assert outcome.ok, outcome


@then(parsers.parse('the operator sees the device "{name}" remembered'))
def operator_sees_remembered(world, name):
    """The listed devices include the named one, with dev:device_remembered_status remembered."""
    assert world.last.ok, world.last
    by_key = {d["DeviceKey"]: {a["Name"]: a["Value"] for a in d["DeviceAttributes"]}
              for d in world.last.response["Devices"]}
    key = _device(world, name).key
    assert key in by_key, f'the device "{name}" is not in the list ({len(by_key)} devices)'
    assert by_key[key].get("dev:device_remembered_status") == "remembered", by_key[key]


@then(parsers.parse('the operator sees no device of "{persona}"'))
def operator_sees_none(world, persona):
    """AdminListDevices answers no device for the persona's user."""
    listed = world.record(device_flows.admin_list_devices(world.target, _email(world, persona)))
    assert listed.ok and listed.response["Devices"] == [], listed


# --- renewing the session ------------------------------------------------------------------------

@given(parsers.parse('"{persona}" is signed in from the app on the device "{name}"'))
def signed_in_on_device(world, persona, name):
    """Establishes a session of the persona on the named device: the device remembered first if
    the scenario has not, then a sign-in on it (no code asked)."""
    if name not in _devices(world):
        has_remembered(world, persona, name)
    outcome = world.record(device_flows.sign_in_on_device(world.target, _email(world, persona),
                                                          world.password(persona), _device(world, name)), persona)
    assert outcome.tokens, f"{persona} could not sign in on the device {name}: {outcome}"
    world.extra["session_device"] = name


def _renew(world, persona, refresh_token, device_key):
    return world.record(device_flows.tokens_from_refresh_token(world.target, refresh_token, device_key))


@when(parsers.parse('"{persona}" renews the session with the refresh token'))
def renews(world, persona):
    """GetTokensFromRefreshToken with the session's refresh token and its device's key."""
    tokens = world.tokens[persona]
    world.extra["previous_refresh_token"] = tokens["RefreshToken"]
    outcome = _renew(world, persona, tokens["RefreshToken"], _device(world, world.extra["session_device"]).key)
    if outcome.tokens:
        world.tokens[persona] = {**tokens, **outcome.tokens}


@when(parsers.parse('"{persona}" renews the session with the refresh token on another device'))
def renews_elsewhere(world, persona):
    """GetTokensFromRefreshToken with the session's refresh token and no device key."""
    _renew(world, persona, world.tokens[persona]["RefreshToken"], None)


@then(parsers.parse('"{persona}" receives new tokens and a new refresh token'))
def new_tokens_and_refresh_token(world, persona):
    """The answer carries access, ID and a refresh token different from the one used."""
    assert world.last.tokens, world.last
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(world.last.tokens), sorted(world.last.tokens)
    assert world.last.tokens["RefreshToken"] != world.extra["previous_refresh_token"], "the refresh token did not rotate"


@then("the previous refresh token still renews the session within the grace period")
def previous_still_works(world):
    """GetTokensFromRefreshToken with the rotated-out token succeeds (skipped when the grace period is 0)."""
    if world.extra["grace_seconds"] == 0:
        pytest.skip("the client's RetryGracePeriodSeconds is 0: the previous token is invalid at once")
    device = _device(world, world.extra["session_device"]).key
    outcome = _renew(world, None, world.extra["previous_refresh_token"], device)
    assert outcome.tokens, outcome


@when("the refresh token's grace period passes")
def grace_passes(world):
    """The client's RetryGracePeriodSeconds pass (the embedded clock moves; a real pool waits)."""
    seconds = world.extra["grace_seconds"] + 1
    world.target.clock.advance(seconds, "a rotated-out refresh token lives RetryGracePeriodSeconds more")


@when("the previous refresh token is used again")
def previous_used_again(world):
    """GetTokensFromRefreshToken with the rotated-out token. Records the answer."""
    _renew(world, None, world.extra["previous_refresh_token"], _device(world, world.extra["session_device"]).key)


# --- the in-app page's "Remember this device" ---------------------------------------------------

@when(parsers.parse('"{persona}" signs in on the in-app page with "Remember this device" ticked and answers '
                    'the prompt with the authenticator\'s code'))
def in_app_sign_in_remembering(journey, world, persona):
    """The in-app verification page: email, password, "Remember this device" ticked, the
    authenticator's code in the prompt (the persona enrolled first if the scenario has not)."""
    prerequisites.enrolled(world, persona)
    world.extra["in_app"] = journey.in_app_sign_in(_email(world, persona), world.password(persona),
                                                   world.authenticators[persona].fresh_code(), remember_device=True)


@then("the in-app page says this device is remembered")
def in_app_device_remembered(world):
    """The in-app page signed in and says this browser is a remembered device."""
    page = world.extra["in_app"]
    page.wait_until_signed_in()
    assert page.device_remembered(), "the in-app page did not remember the device"


@when(parsers.parse('"{persona}" signs out and signs in again on the in-app page'))
def in_app_signs_in_again(world, persona):
    """Sign out on the in-app page, then sign in again there (a code prompt is dismissed and counted)."""
    page = world.extra["in_app"]
    page.sign_out()
    page.sign_in(_email(world, persona), world.password(persona), None)
