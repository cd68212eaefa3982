"""Where the emulator finds pools, clients and tokens: moto's Cognito IDP backends, in
process, with the fidelity layer installed (the same code and clock as the API path)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.exceptions import ResourceNotFoundError
from moto.cognitoidp.models import cognitoidp_backends


@dataclass
class ClientRef:
    backend: Any
    pool: Any
    client: Any

    @property
    def client_id(self) -> str:
        return self.client.id

    @property
    def config(self) -> dict:
        return self.client.extended_config or {}


def find_client(client_id: str | None) -> ClientRef | None:
    """The app client with this id in any account/region, or None."""
    if not client_id:
        return None
    for _, _, backend in cognitoidp_backends.iter_backends():
        finder = getattr(backend, "find_client", None)
        if finder is None:  # plain moto: the fidelity layer is not installed
            continue
        try:
            pool, client = finder(client_id)
        except ResourceNotFoundError:
            continue
        return ClientRef(backend, pool, client)
    return None


def backend_holding_access_token(token: str):
    """The backend whose pools issued this access token (live or revoked), or None."""
    for _, _, backend in cognitoidp_backends.iter_backends():
        knows = getattr(backend, "knows_access_token", None)
        if knows is not None and knows(token):
            return backend
    return None


def jwt_claims(token: str) -> dict:
    """The payload of one of our own JWTs, unverified (only used on tokens found in a
    pool's own token store, which the pool signed itself)."""
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return {}
