"""Steps shared by every feature: pool state, personas, Cognito's answers."""

from pytest_bdd import given, parsers, then

from cognito_harness import flows


@given("the pool as the narrative found it, without MFA")
def pool_without_mfa(world):
    if world.target.pool_mfa().get("MfaConfiguration") != "OFF":
        world.target.set_pool_mfa("OFF", totp=False)


@given("the pool offers optional MFA with authenticator apps only")
def pool_optional_totp(world):
    current = world.target.pool_mfa()
    if current.get("MfaConfiguration") != "OPTIONAL" or not current.get("SoftwareTokenMfaConfiguration", {}).get("Enabled"):
        world.target.set_pool_mfa("OPTIONAL", totp=True)


@given("the pool requires MFA with authenticator apps only")
def pool_required_totp(world):
    current = world.target.pool_mfa()
    if current.get("MfaConfiguration") != "ON" or not current.get("SoftwareTokenMfaConfiguration", {}).get("Enabled"):
        world.target.set_pool_mfa("ON", totp=True)


@given(parsers.parse('"{persona}" has been created by the operator'))
def persona_created(world, persona):
    world.target.create_user(world.persona(persona).email, world.password(persona))


@given(parsers.parse('"{persona}" is signed in'))
def persona_signed_in(world, persona):
    outcome = world.record(flows.sign_in(world.target, world.persona(persona).email, world.password(persona)), persona)
    assert outcome.tokens, f"{persona} could not sign in: {outcome}"


@then(parsers.parse('the request is refused with {code} "{message}"'))
def refused_with(world, code, message):
    assert world.last is not None, "no request was made"
    assert (world.last.error_code, world.last.error_message) == (code, message), world.last


@then("the request succeeds")
def request_succeeds(world):
    assert world.last.ok, world.last


@then(parsers.parse('the ID token names "{persona}" with a verified email'))
def id_token_names(world, persona):
    claims = flows.claims(world.tokens[persona]["IdToken"])
    assert claims["email"] == world.persona(persona).email
    assert claims["email_verified"] is True, "email_verified must be a JSON boolean"
    assert claims["token_use"] == "id" and claims["aud"] == world.target.client_id
    assert claims["iss"].endswith("/" + world.target.user_pool_id)
