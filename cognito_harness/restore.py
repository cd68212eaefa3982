"""Undo every change the ledger holds for a real pool: at the start of a run (what an
interrupted run left), at its end, and on demand (`cognito-harness restore [--dry-run]`).

Each change becomes one line saying what was (or, with `dry_run`, would be) done. Every call
goes through the target's mutation gate, which lets exactly the ledger's undo through.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from botocore.exceptions import ClientError

from .target import Target, same_mfa

CLOCK_SKEW = 5.0  # seconds: a user created "before" the request by less than this is still ours


@dataclass
class Undone:
    text: str
    ok: bool = True  # False: the change could not be undone (it stays in the ledger)


@contextlib.contextmanager
def _undoing(target: Target):
    previous, target.gate.undoing = target.gate.undoing, True
    try:
        yield
    finally:
        target.gate.undoing = previous


def pending(target: Target) -> bool:
    return bool(target.ledger is not None and target.ledger.changes(target.user_pool_id))


def restore(target: Target, dry_run: bool = False) -> list[Undone]:
    if target.ledger is None:
        return []
    with _undoing(target):
        return (_users(target, dry_run) + _pool_mfa(target, dry_run) + _objects(target, dry_run))


def _users(target: Target, dry_run: bool) -> list[Undone]:
    done = []
    pool, ledger = target.user_pool_id, target.ledger
    for email, record in ledger.users(pool).items():
        try:
            user = target.admin().admin_get_user(UserPoolId=pool, Username=email)
        except ClientError as err:
            if err.response["Error"]["Code"] != "UserNotFoundException":
                raise
            user = None
        ours = user is not None and (
            user["Username"] == record.get("username") if record.get("username")
            else user["UserCreateDate"].timestamp() >= record.get("since", 0) - CLOCK_SKEW)
        if user is None:
            done.append(Undone(f"user {email}: already gone"))
        elif not ours:
            done.append(Undone(f"user {email}: left alone (not the user the harness created)"))
        elif dry_run:
            done.append(Undone(f"user {email}: would be deleted (created by the harness)"))
            continue
        else:
            target.admin().admin_delete_user(UserPoolId=pool, Username=email)
            done.append(Undone(f"user {email}: deleted (created by the harness)"))
        if not dry_run:
            ledger.remove(pool, email)
            if email in target.created_users:
                target.created_users.remove(email)
    return done


def _shown(config: dict) -> str:
    factors = ", ".join(f"{k}={v}" for k, v in sorted(config.items()) if k != "MfaConfiguration")
    return f"{config.get('MfaConfiguration', 'OFF')}" + (f" ({factors})" if factors else "")


def _pool_mfa(target: Target, dry_run: bool) -> list[Undone]:
    original = target.ledger.original_pool_mfa(target.user_pool_id)
    if original is None:
        return []
    current = target.pool_mfa()
    if current == original:
        if not dry_run:
            target.ledger.pool_mfa_restored(target.user_pool_id)
        return [Undone(f"pool MFA: already as before the run, {_shown(original)}")]
    if dry_run:
        return [Undone(f"pool MFA: would be set back from {_shown(current)} to {_shown(original)}")]
    now = target.restore_pool_mfa(original)
    if not same_mfa(now, original):
        return [Undone(f"pool MFA: could NOT be set back to {_shown(original)}: the pool answers {_shown(now)} "
                       "(kept in the ledger)", ok=False)]
    target.ledger.pool_mfa_restored(target.user_pool_id)
    return [Undone(f"pool MFA: set back from {_shown(current)} to {_shown(original)}")]


def _objects(target: Target, dry_run: bool) -> list[Undone]:
    done = []
    changes = target.ledger.changes(target.user_pool_id)
    for obj in changes.get("objects", []):
        where = f"s3://{obj['bucket']}/{obj['key']}"
        if dry_run:
            done.append(Undone(f"object {where}: would be deleted if it exists (a write probe)"))
            continue
        try:
            target.admin_s3().delete_object(Bucket=obj["bucket"], Key=obj["key"])
        except ClientError as err:
            code = err.response["Error"]["Code"]
            if code not in ("NoSuchKey", "NoSuchBucket"):
                done.append(Undone(f"object {where}: could NOT be deleted: {code}", ok=False))
                continue
        target.ledger.object_removed(target.user_pool_id, obj["bucket"], obj["key"])
        done.append(Undone(f"object {where}: deleted if it existed (a write probe)"))
    return done
