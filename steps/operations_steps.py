"""Operating MFA once it is live: the operator rolls the pool's MFA back and resets a user's
MFA (a lost phone), a user turns the authenticator off, sign-outs from every device."""

from pytest_bdd import given, parsers, then, when

from cognito_harness import flows, prerequisites


@given("the operator has turned the pool's MFA off")
@when("the operator turns the pool's MFA off")
def pool_mfa_off(world):
    """SetUserPoolMfaConfig with MfaConfiguration OFF (the rollback of the narrative's Step 1); as a Given it establishes a pool whose MFA is off. Users keep their authenticators."""
    outcome = world.record(flows.set_pool_mfa(world.target, "OFF", totp=False))
    assert outcome.ok, f"the pool's MFA could not be turned off: {outcome}"


@given(parsers.parse('the operator has reset the MFA of "{persona}"'))
@when(parsers.parse('the operator resets the MFA of "{persona}"'))
def operator_resets_mfa(world, persona):
    """AdminSetUserMFAPreference with TOTP neither enabled nor preferred (a lost phone); as a Given it establishes an enrolled user first."""
    prerequisites.enrolled(world, persona)
    outcome = world.record(flows.admin_reset_totp(world.target, world.persona(persona).email))
    assert outcome.ok, f'the MFA of "{persona}" could not be reset: {outcome}'


@when(parsers.parse('"{persona}" turns off the authenticator app from their own signed-in page'))
def turns_off_totp(world, persona):
    """SetUserMFAPreference with the user's own access token, TOTP neither enabled nor preferred (signing in with the authenticator's code first if needed)."""
    outcome = world.record(flows.turn_off_totp_self_service(world.target, prerequisites.access_token(world, persona)))
    assert outcome.ok, f'"{persona}" could not turn off the authenticator app: {outcome}'


@given(parsers.parse('"{persona}" has signed out of every device'))
@when(parsers.parse('"{persona}" signs out of every device'))
def signs_out_everywhere(world, persona):
    """GlobalSignOut with the user's own access token (signing in first if the scenario has not); as a Given it establishes that every refresh and access token of the user is revoked."""
    outcome = world.record(flows.global_sign_out(world.target, prerequisites.access_token(world, persona)))
    assert outcome.ok, f'"{persona}" could not sign out of every device: {outcome}'


@when(parsers.parse('the operator signs "{persona}" out of every device'))
def operator_signs_out_everywhere(world, persona):
    """AdminUserGlobalSignOut for the persona's user."""
    outcome = world.record(flows.admin_global_sign_out(world.target, world.persona(persona).email))
    assert outcome.ok, f'the operator could not sign "{persona}" out of every device: {outcome}'


@when(parsers.parse('"{persona}" opens their own account with the access token'))
def opens_own_account(world, persona):
    """GetUser with the access token the persona holds (what a signed-in page reads)."""
    assert persona in world.tokens, f'"{persona}" holds no access token (add: Given "{persona}" is signed in)'
    world.record(flows.get_own_user(world.target, world.tokens[persona]["AccessToken"]))


@then(parsers.parse('a code from the lost authenticator of "{persona}" is refused'))
def lost_authenticator_refused(world, persona):
    """A sign-in answered with the code of the authenticator the persona replaced: CodeMismatchException."""
    lost = world.extra.get("replaced_authenticators", {}).get(persona)
    assert lost is not None, f'"{persona}" has not replaced an authenticator in this scenario'
    challenge = flows.sign_in(world.target, world.persona(persona).email, world.password(persona))
    assert challenge.challenge == "SOFTWARE_TOKEN_MFA", challenge
    outcome = world.record(flows.answer_mfa(world.target, challenge, world.persona(persona).email, lost.fresh_code()))
    assert outcome.error_code == "CodeMismatchException", outcome
