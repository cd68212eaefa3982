"""Service models read once per process.

botocore gives every `Session` its own `Loader`, and a `Loader` parses the JSON models it
is asked for (cognito-idp, S3, IAM, endpoints, ...) on first use; moto builds a new loader
for each model it serves. A run makes several sessions (provisioning, the operator, the
app's unsigned clients, the tests' own) and so parsed the same files again and again: about
a third of the start-up. Here every botocore session of the process shares one loader per
data path (moto's own look-ups: embedded/moto_speed.py). A loader only reads the files
botocore ships; sharing it changes what is loaded in no way, only how often.
"""

from __future__ import annotations

import threading

import botocore.loaders
import botocore.session

_lock = threading.Lock()
_loaders: dict[str | None, botocore.loaders.Loader] = {}


class _SearchPaths(list):
    """boto3 appends its own data folder to the loader of every new Session: once is enough."""

    def append(self, path) -> None:
        if path not in self:
            super().append(path)


def shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    with _lock:
        loader = _loaders.get(search_path_string)
        if loader is None:
            loader = botocore.loaders.create_loader(search_path_string)
            loader._search_paths = _SearchPaths(loader.search_paths)
            _loaders[search_path_string] = loader
        return loader


def install() -> None:
    """Every botocore session created from now on uses the shared loader (idempotent)."""
    botocore.session.create_loader = shared_loader

