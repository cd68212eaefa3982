"""Work moto redoes on every request or every model look-up, done once per process.

- moto's server finds the service of each request by listing moto's own package folder
  (`moto.backends.list_of_moto_modules`: ~180 `stat` calls per request); the folder does not
  change while the process runs, so the list is read once.
- moto reads each service model (with its moto extras) through a new botocore loader,
  which first scans every service folder botocore ships; one loader serves them all.
- to check that a request's action is one of its handler's methods, moto lists every member
  of the handler class (`inspect.getmembers`, ~0.3 ms per AWS call) and looks the action up
  in the list; the same question is asked of the one name (`FunctionNames`), with the
  same answer: the name is a member of the class and a plain function.

None changes what moto answers, only how often it reads the same files.
tests/test_moto_canary.py checks that they are still where this module expects them.
"""

from __future__ import annotations

import inspect

from moto import backends
from moto.core import loaders as moto_loaders, responses as moto_responses, utils as moto_utils
from moto.moto_server import werkzeug_app
from werkzeug.exceptions import BadRequestKeyError

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
    if not getattr(moto_responses.method_names_from_class, _MARK, False):
        def method_names_from_class(clazz):
            return FunctionNames(clazz)

        setattr(method_names_from_class, _MARK, True)
        moto_responses.method_names_from_class = method_names_from_class


def create_backend_app(service):
    """moto's Flask app for one service (`werkzeug_app.create_backend_app`), out of Flask's
    debug mode; what debug mode did for errors is kept (the module's docstring)."""
    app = werkzeug_app.create_backend_app(service)
    app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = True
    trap = app.trap_http_exception

    def trap_http_exception(err):
        return isinstance(err, BadRequestKeyError) or trap(err)

    app.trap_http_exception = trap_http_exception
    return app


class FunctionNames:
    """`name in FunctionNames(cls)` is `name in moto.core.utils.method_names_from_class(cls)`
    (the names of the class's members that are plain functions) without listing them."""

    __slots__ = ("cls",)

    def __init__(self, cls) -> None:
        self.cls = cls

    def __contains__(self, name) -> bool:
        if not isinstance(name, str):
            return False
        try:
            value = getattr(self.cls, name)
        except AttributeError:
            return False
        # getmembers lists dir(cls); a name getattr finds but dir lacks would come from a
        # metaclass, and type's own attributes are not plain functions
        return inspect.isfunction(value)
