"""The narrative's starting world, kept so every scenario can start from it.

Right after provisioning, the embedded server copies the state of the narrative's user
pool and identity pool (moto's own objects, so whatever the fidelity layer keeps on them
comes along): the pool's MFA configuration, its app client, its users with their
passwords, status, attributes and authenticator enrolments (pending and verified secrets,
enabled / preferred, the last code used), and the tokens it issued (none yet). `restore()`
puts that copy back in place — on the same objects, so everything holding a reference to
the pool keeps working — and ends the pool's open sign-in sessions. Users created since,
tokens issued, revocations by a sign-out, MFA changes: all gone. It costs well under a
millisecond (a deep copy of a pool with three users).

Not part of it: other pools in the same process (the harness's own tests make their own),
the clock (it only moves forward; nothing in the starting world depends on its value),
IAM, STS and S3 (no scenario changes them: the identity-pool role can only list buckets).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

from moto.cognitoidentity.models import cognitoidentity_backends
from moto.cognitoidp.models import cognitoidp_backends

# Kept by reference, never copied: the pool's signing key is part of its identity (tokens a
# caller verified keep verifying against the published JWKS) and never changes.
_SHARED_ATTRIBUTES = frozenset({"json_web_key"})


def _find(backends, collection: str, key: str):
    for _, _, backend in backends.iter_backends():
        found = getattr(backend, collection, {}).get(key)
        if found is not None:
            return backend, found
    raise LookupError(f"no {collection[:-1].replace('_', ' ')} {key} in this process")


def _state(obj) -> dict:
    return copy.deepcopy({k: v for k, v in vars(obj).items() if k not in _SHARED_ATTRIBUTES})


def _put_back(obj, state: dict) -> None:
    fresh = copy.deepcopy(state)  # the kept copy stays pristine for the next restore
    for name in [k for k in vars(obj) if k not in fresh and k not in _SHARED_ATTRIBUTES]:
        delattr(obj, name)  # added by a scenario (e.g. a lazily created store)
    vars(obj).update(fresh)


@dataclass
class StartingWorld:
    user_pool_id: str
    identity_pool_id: str
    _user_pool_state: dict
    _identity_pool_state: dict
    _lock: threading.Lock

    @classmethod
    def take(cls, user_pool_id: str, identity_pool_id: str) -> "StartingWorld":
        _, pool = _find(cognitoidp_backends, "user_pools", user_pool_id)
        _, identity_pool = _find(cognitoidentity_backends, "identity_pools", identity_pool_id)
        return cls(user_pool_id, identity_pool_id, _state(pool), _state(identity_pool), threading.Lock())

    def restore(self) -> dict:
        """Puts the starting world back; returns what was undone (for the control's answer)."""
        with self._lock:
            backend, pool = _find(cognitoidp_backends, "user_pools", self.user_pool_id)
            undone = {
                "users_removed": len(set(pool.users) - set(self._user_pool_state["users"])),
                "sessions_ended": self._end_sessions(backend, pool),
            }
            _put_back(pool, self._user_pool_state)
            _, identity_pool = _find(cognitoidentity_backends, "identity_pools", self.identity_pool_id)
            _put_back(identity_pool, self._identity_pool_state)
            return undone

    @staticmethod
    def _end_sessions(backend, pool) -> int:
        """Open sign-in sessions of this pool: challenges waiting for their answer, SRP
        exchanges half done (any store of the backend whose entries name their pool)."""
        ended = 0
        for store in [v for v in vars(backend).values() if isinstance(v, dict)]:
            for token, state in list(store.items()):
                if getattr(state, "pool_id", None) == pool.id:
                    store.pop(token, None)
                    ended += 1
        for token, value in list(backend.sessions.items()):
            if isinstance(value, tuple) and len(value) == 2 and value[1] is pool:
                backend.sessions.pop(token, None)
        return ended
