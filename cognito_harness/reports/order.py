"""The order reports tell the story in: the narrative's chapters first, new features after."""

from __future__ import annotations

import posixpath

# The verification narrative: the pool's policy, the existing users, enrolment, the app's
# sign-in with MFA, the managed login. Features not named here follow, by file name.
NARRATIVE_ORDER = (
    "pool_mfa_policy.feature",
    "existing_users.feature",
    "mfa_enrolment.feature",
    "app_sign_in_with_mfa.feature",
    "managed_login.feature",
)


def feature_key(uri: str) -> tuple:
    name = posixpath.basename(uri)
    if name in NARRATIVE_ORDER:
        return (0, NARRATIVE_ORDER.index(name), uri)
    return (1, 0, uri)


def ordered(records: list[dict]) -> list[dict]:
    """Features in the narrative's order, scenarios in file order, the looks of one scenario together."""
    return sorted(records, key=lambda r: (feature_key(r["feature"]["uri"]), r["scenario"]["line"],
                                          r["callspec_id"], r["nodeid"]))
