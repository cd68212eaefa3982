"""The narrative's Step 2: creating the MFA user and enrolling an authenticator app."""

import re
from urllib.parse import unquote

from pytest_bdd import given, parsers, then, when

from cognito_harness import flows, prerequisites
from cognito_harness.authenticator import Authenticator

BASE32_52 = re.compile(r"^[A-Z2-7]{52}$")


def _issuer(world) -> str:
    return world.config.authenticator.issuer


def _access_token(world, persona) -> str:
    return prerequisites.access_token(world, persona)


@given(parsers.parse('"{persona}" is enrolled with an authenticator app'))
def enrolled(world, persona):
    """Establishes the narrative's Step 2 for the persona: the pool offers authenticator apps (made optional if it did not), the user exists, and has associated, registered and verified an authenticator app with TOTP turned on by the operator."""
    prerequisites.enrolled(world, persona)


@when(parsers.parse('the operator creates "{persona}" without an invitation, with a verified email and a permanent password'))
def operator_creates(world, persona):
    """AdminCreateUser without an invitation (email verified), then AdminSetUserPassword permanent."""
    world.target.create_user(world.persona(persona).email, world.password(persona))


@when(parsers.parse('the operator looks up "{persona}"'))
def operator_looks_up(world, persona):
    """AdminGetUser for the persona."""
    world.record(flows.admin_get_user(world.target, world.persona(persona).email))


@then(parsers.parse('the operator sees "{persona}" as a confirmed, enabled user with a verified email'))
def sees_confirmed(world, persona):
    """AdminGetUser shows CONFIRMED, enabled, the persona's email verified, and a sub."""
    user = flows.admin_get_user(world.target, world.persona(persona).email)
    world.record(user)
    confirmed_enabled(world)
    attrs = {a["Name"]: a["Value"] for a in user.response["UserAttributes"]}
    assert attrs.get("email") == world.persona(persona).email, f"the user's email is {attrs.get('email')!r}"
    assert attrs.get("email_verified") == "true", (
        f"the user's email_verified attribute is {attrs.get('email_verified', 'missing')!r}, expected 'true'")
    assert attrs.get("sub")


@then("the user record shows a confirmed, enabled user")
def confirmed_enabled(world):
    """The user record looked up shows CONFIRMED and enabled."""
    assert world.last.ok, world.last
    assert world.last.response["UserStatus"] == "CONFIRMED" and world.last.response["Enabled"] is True


@then("the user record shows no MFA settings")
def no_mfa_settings(world):
    """The user record looked up shows none of MFAOptions, UserMFASettingList, PreferredMfaSetting."""
    assert world.last.ok, world.last
    present = {"UserMFASettingList", "PreferredMfaSetting", "MFAOptions"} & set(world.last.response)
    assert not present, f"an existing user shows MFA fields: {sorted(present)}"


@then(parsers.parse('the operator sees no MFA settings on "{persona}"'))
def no_mfa_on(world, persona):
    """AdminGetUser shows none of MFAOptions, UserMFASettingList, PreferredMfaSetting."""
    world.record(flows.admin_get_user(world.target, world.persona(persona).email))
    no_mfa_settings(world)


@then(parsers.parse('"{persona}" can sign in with email and password and receives tokens without any challenge'))
def can_sign_in_plain(world, persona):
    """A new sign-in with email and password gets tokens without any challenge."""
    outcome = world.record(flows.sign_in(world.target, world.persona(persona).email, world.password(persona)), persona)
    assert outcome.tokens and outcome.challenge is None, outcome


@when(parsers.parse('the operator turns on TOTP for "{persona}"'))
def operator_turns_on_totp(world, persona):
    """AdminSetUserMFAPreference with TOTP enabled and preferred."""
    world.record(flows.admin_prefer_totp(world.target, world.persona(persona).email))


@when(parsers.parse('"{persona}" asks for an authenticator secret'))
@when(parsers.parse('"{persona}" asks for an authenticator secret again'))
def asks_for_secret(world, persona):
    """AssociateSoftwareToken with the persona's access token (signing in first if needed; the MFA persona is created if needed)."""
    prerequisites.user_exists(world, persona)
    previous = world.extra.get("secret")
    outcome = world.record(flows.associate(world.target, _access_token(world, persona)))
    if outcome.ok:
        world.extra["previous_secret"], world.extra["secret"] = previous, outcome.response["SecretCode"]


@given(parsers.parse('"{persona}" has asked for an authenticator secret'))
def has_asked_for_secret(world, persona):
    """Establishes a pending authenticator secret for the persona: the pool offers authenticator apps, the user exists and is signed in, AssociateSoftwareToken answered."""
    prerequisites.pool_offers_authenticator_apps(world)
    asks_for_secret(world, persona)
    assert world.last.ok, f'"{persona}" could not get an authenticator secret: {world.last}'


@then(parsers.parse('"{persona}" receives a 52-character base32 secret'))
def secret_shape(world, persona):
    """The secret is 52 base32 characters."""
    assert world.last.ok, world.last
    shaped = BASE32_52.match(world.extra["secret"]) is not None  # not inlined: the report must not show it
    assert shaped, f"the secret has {len(world.extra['secret'])} characters, not 52 base32"


@then("the secret differs from the one another user receives")
def secret_per_user(world):
    """Another new user asking for a secret gets a different one."""
    email, password = "harness-second-user@example.com", world.password("mfa user")
    world.target.create_user(email, password)  # removed after the scenario, like every user the run creates
    other = flows.sign_in(world.target, email, password)
    other_secret = flows.associate(world.target, other.tokens["AccessToken"])
    assert other_secret.ok, other_secret
    assert other_secret.response["SecretCode"] != world.extra["secret"]


@when(parsers.parse('"{persona}" registers the secret in an authenticator app'))
@given(parsers.parse('"{persona}" has registered the secret in an authenticator app'))
@given(parsers.parse('"{persona}" has registered the secret in an authenticator app but never verified it'))
def registers_secret(world, persona):
    """Puts the pending secret into an authenticator app (the otpauth URI); as a Given it establishes the secret first (pool offering authenticator apps, user, sign-in, AssociateSoftwareToken), and never verifies it."""
    if "secret" not in world.extra:
        has_asked_for_secret(world, persona)
    world.authenticators[persona] = Authenticator(world.extra["secret"], world.persona(persona).email,
                                                  _issuer(world), world.target.clock)


@then(parsers.parse('the otpauth URI names "{persona}" with the issuer "{issuer}"'))
def otpauth_uri(world, persona, issuer):
    """The otpauth URI's label is the user's email and its issuer the given one."""
    uri = world.authenticators[persona].otpauth_uri
    label = unquote(uri.removeprefix("otpauth://totp/").partition("?")[0])  # "+" in an address is %2B
    assert label == world.persona(persona).email, "label must be the user's email"
    assert f"issuer={issuer}" in uri and f"secret={world.extra['secret']}" in uri


@then("the authenticator app shows 6-digit codes")
def six_digit_codes(world):
    """The authenticator app's code is 6 digits."""
    code = next(iter(world.authenticators.values())).code_at(world.target.clock.now())
    assert re.fullmatch(r"\d{6}", code)


@when(parsers.parse('"{persona}" verifies the enrolment with the authenticator\'s code'))
def verifies(world, persona):
    """VerifySoftwareToken with the authenticator's current code."""
    world.record(flows.verify(world.target, _access_token(world, persona), world.authenticators[persona].fresh_code()))


@when(parsers.parse('"{persona}" verifies the enrolment with a wrong code'))
def verifies_wrong(world, persona):
    """VerifySoftwareToken with a 6-digit code that is not the authenticator's."""
    right = world.authenticators[persona].code_now()
    world.record(flows.verify(world.target, _access_token(world, persona), f"{(int(right) + 7) % 1_000_000:06d}"))


@then("the verification succeeds")
def verification_succeeds(world):
    """VerifySoftwareToken answered Status SUCCESS."""
    assert world.last.ok and world.last.response.get("Status") == "SUCCESS", world.last


@given(parsers.parse('"{persona}" has verified an authenticator app'))
def has_verified(world, persona):
    """Establishes a verified authenticator app (VerifySoftwareToken SUCCESS) whose TOTP is not turned on yet: everything "has registered the secret" establishes, then the verification."""
    registers_secret(world, persona)
    verifies(world, persona)
    verification_succeeds(world)


@then(parsers.parse('the operator sees TOTP as the preferred and only MFA setting of "{persona}"'))
def sees_totp(world, persona):
    """AdminGetUser shows SOFTWARE_TOKEN_MFA as PreferredMfaSetting and as the only UserMFASettingList entry."""
    user = flows.admin_get_user(world.target, world.persona(persona).email)
    assert user.ok, user
    assert user.response.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA", user.response
    assert user.response.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"], user.response


@then("a code from the first secret no longer verifies the enrolment")
def first_secret_rejected(world):
    """VerifySoftwareToken with a code from the replaced secret is refused."""
    old = Authenticator(world.extra["previous_secret"], "old", "x", world.target.clock)
    outcome = flows.verify(world.target, _access_token(world, "mfa user"), old.fresh_code())
    assert outcome.error_code == "EnableSoftwareTokenMFAException", outcome


@then("a code from the newer secret verifies the enrolment")
def newer_secret_verifies(world):
    """VerifySoftwareToken with a code from the newer secret succeeds."""
    new = Authenticator(world.extra["secret"], "new", "x", world.target.clock)
    outcome = flows.verify(world.target, _access_token(world, "mfa user"), new.fresh_code())
    assert outcome.ok and outcome.response["Status"] == "SUCCESS", outcome


@when(parsers.parse('"{persona}" enrols an authenticator app from their own signed-in page'))
def self_service_enrolment(world, persona):
    """The log's "my page": signed in with the user's own access token (answering the current authenticator's code if the user has one), associate, verify, then SetUserMFAPreference; the new authenticator replaces any earlier one."""
    prerequisites.user_exists(world, persona)
    current = world.authenticators.get(persona)
    signed_in = flows.sign_in_answering_mfa(world.target, world.persona(persona).email, world.password(persona), current)
    world.authenticators[persona] = flows.enrol(world.target, world.persona(persona).email, world.password(persona),
                                                _issuer(world), self_service=True, signed_in=signed_in)
    if current is not None:
        world.extra.setdefault("replaced_authenticators", {})[persona] = current
