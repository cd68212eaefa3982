"""Signing in: password, MFA challenge, refresh, and what Cognito refuses."""

from pytest_bdd import given, parsers, then, when

from cognito_harness import flows, prerequisites
from cognito_harness.lockout import account_for_wrong_password, probe_password


def _sign_in(world, persona):
    return world.record(flows.sign_in(world.target, world.persona(persona).email, world.password(persona)), persona)


@when(parsers.parse('"{persona}" signs in with email and password'))
def signs_in(world, persona):
    """USER_PASSWORD_AUTH (InitiateAuth) with the persona's email and password; the answer may be tokens or a challenge."""
    _sign_in(world, persona)
    world.sign_ins[persona] = world.last


@when(parsers.parse('"{persona}" signs in with a wrong password'))
def signs_in_wrong_password(world, persona):
    """USER_PASSWORD_AUTH with a wrong password: the persona's email on the embedded pool, on a real pool never a person's account (cognito_harness/lockout.py)."""
    email = account_for_wrong_password(world.target, world.persona(persona), world.config.pool.password_policy)
    world.record(flows.sign_in(world.target, email, "Wrong-" + probe_password(world.config.pool.password_policy)))


@when("someone signs in as an unknown user")
def unknown_user(world):
    """USER_PASSWORD_AUTH for an email no user has."""
    world.record(flows.sign_in(world.target, "nobody-here@example.com", "Whatever1234"))


@when(parsers.parse('the operator signs "{persona}" in with the admin flow'))
def admin_flow(world, persona):
    """AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH, signed with the operator's credentials."""
    world.record(flows.admin_sign_in(world.target, world.persona(persona).email, world.password(persona)))


@then(parsers.parse('"{persona}" receives tokens without any challenge'))
@then(parsers.parse('"{persona}" receives new tokens without any challenge'))
def tokens_without_challenge(world, persona):
    """The last answer carries ID and access tokens and no challenge."""
    assert world.last.ok and world.last.challenge is None, world.last
    assert {"AccessToken", "IdToken"} <= set(world.last.tokens), world.last
    world.tokens[persona] = {**world.tokens.get(persona, {}), **world.last.tokens}


@then(parsers.parse('"{persona}" receives tokens'))
def receives_tokens(world, persona):
    """The last answer carries ID, access and refresh tokens."""
    assert world.last.ok and world.last.tokens, world.last
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(world.last.tokens)
    world.tokens[persona] = world.last.tokens


@when(parsers.parse('"{persona}" refreshes the session with the refresh token'))
def refreshes(world, persona):
    """REFRESH_TOKEN_AUTH with the persona's refresh token (and its device key when the pool tracks devices)."""
    tokens = world.tokens[persona]
    world.record(flows.refresh(world.target, tokens["RefreshToken"],
                               tokens.get("DeviceKey") or flows.device_key_of(tokens)))


# --- the MFA challenge ------------------------------------------------------------------

@then(parsers.parse("the sign-in is challenged with {challenge}"))
def challenged_with(world, challenge):
    """The last answer is that challenge, without tokens."""
    assert world.last.ok, world.last
    assert world.last.challenge == challenge, world.last
    assert world.last.tokens is None, "a challenged sign-in must not carry tokens"


@then("the challenge names the user for SRP and carries a session")
def challenge_shape(world):
    """The challenge names the user (USER_ID_FOR_SRP) and carries a session."""
    params = world.last.response["ChallengeParameters"]
    assert params.get("USER_ID_FOR_SRP"), params
    assert len(world.last.response.get("Session", "")) > 20


@then("the challenge offers SOFTWARE_TOKEN_MFA to set up")
def challenge_offers_setup(world):
    """MFAS_CAN_SETUP lists SOFTWARE_TOKEN_MFA only."""
    import json

    assert json.loads(world.last.response["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]


@given(parsers.parse('"{persona}" has been challenged for the authenticator code'))
def has_been_challenged(world, persona):
    """Establishes a sign-in of the persona waiting for the authenticator's code (SOFTWARE_TOKEN_MFA): enrols the persona first if the scenario has not (see "is enrolled with an authenticator app")."""
    prerequisites.enrolled(world, persona)
    outcome = _sign_in(world, persona)
    assert outcome.challenge == "SOFTWARE_TOKEN_MFA", outcome
    world.sign_ins[persona] = outcome


@given(parsers.parse('"{persona}" has signed in once with the authenticator\'s code'))
def signed_in_once(world, persona):
    """Establishes one completed MFA sign-in (its code and its challenge session are remembered as used): everything "has been challenged" establishes, then the authenticator's code."""
    has_been_challenged(world, persona)
    code = world.authenticators[persona].fresh_code()
    world.extra["used_code"] = code
    outcome = world.record(flows.answer_mfa(world.target, world.sign_ins[persona], world.persona(persona).email, code), persona)
    assert outcome.tokens, outcome
    world.extra["used_challenge"] = world.sign_ins[persona]


def _answer(world, persona, code, as_persona=None):
    who = as_persona or persona
    world.record(flows.answer_mfa(world.target, world.sign_ins[persona], world.persona(who).email, code), who)


@when(parsers.parse('"{persona}" answers with the authenticator\'s code'))
def answers_with_code(world, persona):
    """Answers the waiting challenge (RespondToAuthChallenge) with the authenticator's current, unused code."""
    _answer(world, persona, world.authenticators[persona].fresh_code())


@when(parsers.parse('"{persona}" answers with a wrong code'))
def answers_wrong(world, persona):
    """Answers the waiting challenge with a 6-digit code that is not the authenticator's."""
    right = world.authenticators[persona].code_now()
    _answer(world, persona, f"{(int(right) + 1) % 1_000_000:06d}")


@when(parsers.parse('"{persona}" answers with the code of the previous 30-second window'))
def answers_previous_window(world, persona):
    """Answers the waiting challenge with an unused code of the previous 30-second window."""
    _answer(world, persona, world.authenticators[persona].fresh_code_from_previous_window())


@when(parsers.parse('"{persona}" answers with the code of two windows ago'))
def answers_two_windows_ago(world, persona):
    """Answers the waiting challenge with the code of the window two steps back."""
    _answer(world, persona, world.authenticators[persona].code_from_window(-2))


@when(parsers.parse('"{persona}" answers with the code used for the previous sign-in'))
def answers_reused(world, persona):
    """Answers the waiting challenge with the code the earlier sign-in used."""
    _answer(world, persona, world.extra["used_code"])


@when(parsers.parse('"{persona}" answers the same challenge again with a new code'))
def answers_same_challenge_again(world, persona):
    """Answers the challenge session of the earlier completed sign-in again, with a new code."""
    world.sign_ins[persona] = world.extra["used_challenge"]
    _answer(world, persona, world.authenticators[persona].fresh_code())


@when(parsers.parse('the challenge of "{persona}" is answered as "{other}"'))
def answered_as_other(world, persona, other):
    """Answers the persona's challenge session with the other persona's user name."""
    _answer(world, persona, world.authenticators[persona].fresh_code(), as_persona=other)


@when("the app client's session validity passes")
def session_validity_passes(world):
    """Time passes beyond the app client's AuthSessionValidity (the embedded clock moves; a real pool waits)."""
    minutes = world.config.app_client.auth_session_validity_minutes
    world.target.clock.advance(minutes * 60 + 1, f"the challenge session lives {minutes} min (AuthSessionValidity)")


@then("nobody received tokens")
def nobody_received_tokens(world):
    """The last answer carries no tokens and no persona holds any."""
    assert world.last.tokens is None
    assert not world.tokens, "no persona may hold tokens"


@then(parsers.parse('the next sign-in of "{persona}" is challenged with {challenge}'))
def next_sign_in_challenged(world, persona, challenge):
    """A new sign-in with email and password is challenged with that challenge."""
    _sign_in(world, persona)
    challenged_with(world, challenge)
