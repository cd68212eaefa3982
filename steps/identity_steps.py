"""Identity-pool credentials and what they may do in S3."""

from pytest_bdd import parsers, then, when

from cognito_harness import flows


@when(parsers.parse('"{persona}" exchanges the ID token for AWS credentials'))
def exchanges_for_credentials(world, persona):
    """GetId and GetCredentialsForIdentity with the persona's ID token: AWS credentials of the identity pool's authenticated role."""
    outcome = world.record(flows.identity_credentials(world.target, world.tokens[persona]["IdToken"]))
    assert outcome.ok, outcome
    world.extra["credentials"] = outcome.response["Credentials"]


@then("the credentials list the demo bucket")
def credentials_list_bucket(world):
    """ListBuckets with those credentials succeeds and shows the demo bucket."""
    outcome = flows.list_buckets(world.target, world.extra["credentials"])
    assert outcome.ok, outcome
    assert world.config.identity_pool.bucket in [b["Name"] for b in outcome.response["Buckets"]]


@then("writing to the demo bucket with those credentials is denied")
def write_denied(world):
    """PutObject into the demo bucket with those credentials is AccessDenied."""
    outcome = flows.write_object(world.target, world.extra["credentials"], world.config.identity_pool.bucket)
    assert outcome.error_code == "AccessDenied", outcome


@when("someone asks the identity pool for an identity without signing in")
def identity_without_sign_in(world):
    """GetId without any Logins."""
    world.record(flows.call(world.target.identity().get_id, IdentityPoolId=world.target.identity_pool_id))


@when(parsers.parse('"{persona}" asks the identity pool for an identity twice'))
def identity_twice(world, persona):
    """GetId twice with the persona's ID token in Logins."""
    logins = {world.target.provider_name: world.tokens[persona]["IdToken"]}
    world.extra["identities"] = [
        flows.call(world.target.identity().get_id, IdentityPoolId=world.target.identity_pool_id, Logins=logins)
        for _ in range(2)
    ]


@then("both answers name the same identity")
def same_identity(world):
    """Both GetId answers name the same IdentityId."""
    first, second = world.extra["identities"]
    assert first.ok and second.ok, (first, second)
    assert first.response["IdentityId"] == second.response["IdentityId"]
