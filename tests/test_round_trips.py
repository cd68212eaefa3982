"""Givens establish their state in as few calls as the target allows (issue 9)."""

from __future__ import annotations


def test_the_operator_creates_a_user_in_one_call_and_replaces_one_that_exists(target, harness_config):
    """On the embedded pool: AdminCreateUser at once (no AdminGetUser first); a user of the
    same name is replaced (deleted, created anew)."""
    persona = harness_config.persona("mfa user")
    admin = target.admin()
    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(model.name)
    admin.meta.events.register("before-call.cognito-idp.*", record)
    try:
        target.create_user(persona.email, persona.password_for("embedded"))
        first = admin.admin_get_user(UserPoolId=target.user_pool_id, Username=persona.email)
        assert calls == ["AdminCreateUser", "AdminSetUserPassword", "AdminGetUser"]
        calls.clear()
        target.create_user(persona.email, persona.password_for("embedded"))
        second = admin.admin_get_user(UserPoolId=target.user_pool_id, Username=persona.email)
        assert calls == ["AdminCreateUser", "AdminDeleteUser", "AdminCreateUser", "AdminSetUserPassword", "AdminGetUser"]
    finally:
        admin.meta.events.unregister("before-call.cognito-idp.*", record)
        target.reset_to_starting_world()

    def sub(user):
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"]
    assert sub(first) != sub(second), "the user was replaced, not kept"
    assert second["UserStatus"] == "CONFIRMED"
