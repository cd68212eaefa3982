"""Work moto redoes on every request or every model look-up, done once per process.

- moto's server finds the service of each request by listing moto's own package folder
  (`moto.backends.list_of_moto_modules`: ~180 `stat` calls per request); the folder does not
  change while the process runs, so the list is read once.
- moto reads each service model (with its moto extras) through a new botocore loader,
  which first scans every service folder botocore ships; one loader serves them all.

Neither changes what moto answers, only how often it reads the same files.
tests/test_moto_canary.py checks that both are still where this module expects them.
"""

from __future__ import annotations

from moto import backends
from moto.core import loaders as moto_loaders, utils as moto_utils

_MARK = "_harness_memoized"


def install() -> None:
    """Idempotent; the embedded server calls it before it starts."""
    if not getattr(backends.list_of_moto_modules, _MARK, False):
        modules = tuple(backends.list_of_moto_modules())

        def list_of_moto_modules():
            return iter(modules)

        setattr(list_of_moto_modules, _MARK, True)
        backends.list_of_moto_modules = list_of_moto_modules
    if not getattr(moto_utils.create_loader, _MARK, False):
        loader = moto_loaders.create_loader()

        def create_loader():
            return loader

        setattr(create_loader, _MARK, True)
        moto_utils.create_loader = create_loader
