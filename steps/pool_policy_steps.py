"""The narrative's Step 1: the pool's MFA configuration."""

from pytest_bdd import parsers, then, when

from cognito_harness import flows


@when("the operator reads the pool's MFA configuration")
def read_pool_mfa(world):
    """GetUserPoolMfaConfig."""
    world.record(flows.call(world.target.admin().get_user_pool_mfa_config, UserPoolId=world.target.user_pool_id))


@when("the operator makes MFA optional with authenticator apps as the only method")
def make_mfa_optional(world):
    """SetUserPoolMfaConfig: MfaConfiguration OPTIONAL, software token MFA enabled (the narrative's Step 1)."""
    world.record(flows.call(world.target.admin().set_user_pool_mfa_config, UserPoolId=world.target.user_pool_id,
                            SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"))


@then(parsers.parse('the pool\'s MFA configuration is "{mode}"'))
def pool_mfa_is(world, mode):
    """The configuration read shows that MfaConfiguration."""
    assert world.last.ok, world.last
    assert world.last.response["MfaConfiguration"] == mode


@then("authenticator apps are enabled as an MFA method")
def totp_enabled(world):
    """The configuration shows SoftwareTokenMfaConfiguration Enabled."""
    assert world.last.response["SoftwareTokenMfaConfiguration"] == {"Enabled": True}


@then("text messages are not an MFA method")
def sms_not_enabled(world):
    """The configuration has no SmsMfaConfiguration."""
    assert "SmsMfaConfiguration" not in world.last.response, world.last.response
