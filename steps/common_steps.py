"""Steps shared by every feature: pool state, personas, Cognito's answers."""

from pytest_bdd import given, parsers, then

from cognito_harness import flows, prerequisites


@given("the pool as the narrative found it, without MFA")
def pool_without_mfa(world):
    """Establishes the pool's MFA configuration as the narrative found it: exactly `{"MfaConfiguration": "OFF"}`."""
    if world.target.pool_mfa_for_given() != {"MfaConfiguration": "OFF"}:
        world.target.set_pool_mfa("OFF", totp=False)


@given("the pool offers optional MFA with authenticator apps only")
def pool_optional_totp(world):
    """Establishes MFA OPTIONAL with authenticator apps (TOTP) on and text messages off (the narrative's Step 1)."""
    current = world.target.pool_mfa_for_given()
    if (current.get("MfaConfiguration") != "OPTIONAL" or "SmsMfaConfiguration" in current
            or not current.get("SoftwareTokenMfaConfiguration", {}).get("Enabled")):
        world.target.set_pool_mfa("OPTIONAL", totp=True)


@given("the pool requires MFA with authenticator apps only")
def pool_required_totp(world):
    """Establishes MFA ON (required) with authenticator apps on and text messages off."""
    current = world.target.pool_mfa_for_given()
    if (current.get("MfaConfiguration") != "ON" or "SmsMfaConfiguration" in current
            or not current.get("SoftwareTokenMfaConfiguration", {}).get("Enabled")):
        world.target.set_pool_mfa("ON", totp=True)


@given(parsers.parse('"{persona}" has been created by the operator'))
def persona_created(world, persona):
    """Establishes a new user for the persona, created as the narrative's operator does: no invitation, verified email, permanent password (a user of that name is replaced)."""
    world.target.create_user(world.persona(persona).email, world.password(persona))


@given(parsers.parse('"{persona}" is signed in'))
def persona_signed_in(world, persona):
    """Establishes that the persona holds tokens: the user exists (the MFA persona is created if needed) and signs in with email and password, answering the authenticator's code if enrolled."""
    prerequisites.signed_in(world, persona)


@then(parsers.parse('the request is refused with {code} "{message}"'))
def refused_with(world, code, message):
    """The last request was refused with exactly this error code and message."""
    assert (world.last.error_code, world.last.error_message) == (code, message), world.last


@then("the request succeeds")
def request_succeeds(world):
    """The last request succeeded."""
    assert world.last.ok, world.last


@then(parsers.parse('the ID token names "{persona}" with a verified email'))
def id_token_names(world, persona):
    """The persona's ID token carries their email, a JSON-boolean email_verified true, and names the app client and the pool."""
    claims = flows.claims(world.tokens[persona]["IdToken"])
    assert claims.get("email") == world.persona(persona).email, f"the ID token names {claims.get('email')!r}"
    assert "email_verified" in claims, "the ID token has no email_verified claim (Cognito always sends it)"
    assert claims["email_verified"] is True, "email_verified must be a JSON boolean"
    assert claims["token_use"] == "id" and claims["aud"] == world.target.client_id
    assert claims["iss"].endswith("/" + world.target.user_pool_id)
