"""The Cognito JSON APIs' front door: a request is checked against botocore's service model
(the same model AWS generates its SDKs from) before anything else sees it, so a malformed
or mistyped request gets Cognito's error — never a 500 from deep inside moto or the
fidelity layer.

  body not JSON, not UTF-8, not an object  -> SerializationException
  X-Amz-Target not an operation of the API -> UnknownOperationException
  a member of the wrong JSON type, a required member missing, a value outside its enum,
  length or range                          -> InvalidParameterException,
                                              "1 validation error detected: ..." (Cognito's wording)

Patterns (`pattern` in the model) are Java regular expressions: checked as a full match with
ASCII \\w \\d \\s (Java's default) when Python's `re` can compile them; the ones it cannot
(Unicode classes such as \\p{L}) are not checked. Members the model does not know are ignored,
as AWS JSON services do.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import botocore.session

SERVICES = {  # X-Amz-Target prefix -> botocore service name
    "AWSCognitoIdentityProviderService": "cognito-idp",
    "AWSCognitoIdentityService": "cognito-identity",
}
MAX_DEPTH = 32  # deeper JSON than any Cognito request is refused before it is walked


@dataclass
class ApiError(Exception):
    kind: str
    message: str
    status: int = 400

    def body(self) -> dict:
        return {"__type": self.kind, "message": self.message}


@lru_cache(maxsize=None)
def service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def is_cognito_target(target: str) -> bool:
    return target.split(".", 1)[0] in SERVICES


def check(target: str, body: bytes) -> dict:
    """The request's parameters, or ApiError saying what Cognito would answer."""
    prefix, _, operation = target.partition(".")
    model = service_model(SERVICES[prefix])
    params = parse(body)
    if operation not in model.operation_names:
        raise ApiError("UnknownOperationException", f"Unknown operation {operation}.")
    shape = model.operation_model(operation).input_shape
    errors: list[str] = []
    if shape is not None:
        _check(shape, params, "", errors)
    if errors:
        count = len(errors)
        raise ApiError("InvalidParameterException",
                       f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors[:5]))
    return params


def parse(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("SerializationException", "The request body is not valid UTF-8.") from None
    try:
        params = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        raise ApiError("SerializationException", f"The request body is not valid JSON: {str(err)[:120]}") from None
    if not isinstance(params, dict):
        raise ApiError("SerializationException",
                       f"Start of structure expected, found a JSON {_json_kind(params)}.")
    if _depth(params) > MAX_DEPTH:
        raise ApiError("SerializationException", f"The request is nested deeper than {MAX_DEPTH} levels.")
    return params


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _depth(value, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _json_kind(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _member_path(parent: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{parent}.{name}" if parent else name


def _shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)[:60]
    return text[:60]


def _check(shape, value, path: str, errors: list[str]) -> None:
    if value is None:
        return  # JSON null: AWS treats it as absent
    kind = shape.type_name
    where = f"'{path}'" if path else "the request"
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append(f"Value at {where} failed to satisfy constraint: Member must be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(f"Value null at '{_member_path(path, name)}' failed to satisfy constraint: "
                              "Member must not be null")
        for name, member in shape.members.items():
            if name in value:
                _check(member, value[name], _member_path(path, name), errors)
    elif kind == "list":
        if not isinstance(value, list):
            errors.append(f"Value at {where} failed to satisfy constraint: Member must be a list")
            return
        _check_size(shape, len(value), path, "length", errors)
        for i, item in enumerate(value, 1):
            _check(shape.member, item, f"{path}.{i}.member", errors)
    elif kind == "map":
        if not isinstance(value, dict):
            errors.append(f"Value at {where} failed to satisfy constraint: Member must be a map")
            return
        _check_size(shape, len(value), path, "length", errors)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", errors)
            _check(shape.value, item, f"{path}.{key}.value" if len(key) < 64 else f"{path}.value", errors)
    elif kind in ("string", "blob"):
        if not isinstance(value, str):
            errors.append(f"Value at {where} failed to satisfy constraint: Member must be a string")
            return
        enum = shape.metadata.get("enum") if kind == "string" else None
        if enum and value not in enum:
            errors.append(f"Value '{_shown(value)}' at {where} failed to satisfy constraint: "
                          f"Member must satisfy enum value set: [{', '.join(enum)}]")
        if kind == "string":
            _check_size(shape, len(value), path, "length", errors)
            pattern = _pattern(shape.metadata.get("pattern"))
            if pattern is not None and not pattern.fullmatch(value):
                errors.append(f"Value at '{path}' failed to satisfy constraint: Member must satisfy regular "
                              f"expression pattern: {shape.metadata['pattern']}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"Value at {where} failed to satisfy constraint: Member must be a boolean")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"Value at {where} failed to satisfy constraint: Member must be an integer")
            return
        _check_size(shape, value, path, "value", errors, value)
    elif kind in ("double", "float", "timestamp"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            if not (kind == "timestamp" and isinstance(value, str)):
                errors.append(f"Value at {where} failed to satisfy constraint: Member must be a number")


@lru_cache(maxsize=None)
def _pattern(source: str | None):
    if not source:
        return None
    try:
        return re.compile(source, re.ASCII | re.DOTALL)
    except re.error:
        return None


def _check_size(shape, size: int, path: str, what: str, errors: list[str], shown=None) -> None:
    """Lengths never echo the value (it may be a password or a token); numbers do."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    value = f"Value '{shown}'" if shown is not None else "Value"
    if low is not None and size < low:
        errors.append(f"{value} at '{path}' failed to satisfy constraint: Member must have {what} "
                      f"greater than or equal to {low}")
    elif high is not None and size > high:
        errors.append(f"{value} at '{path}' failed to satisfy constraint: Member must have {what} "
                      f"less than or equal to {high}")


# moto answers a refused signature in XML (IAM's format); Cognito answers JSON, status 400.
_XML_AUTH_ERRORS = {
    "InvalidClientTokenId": ("UnrecognizedClientException", "The security token included in the request is invalid."),
    "SignatureDoesNotMatch": ("InvalidSignatureException", None),
    "AccessDenied": ("AccessDeniedException", None),
    "MissingAuthenticationToken": ("MissingAuthenticationTokenException", "Missing Authentication Token"),
}
_XML_CODE = re.compile(rb"<Code>(\w+)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>(.*?)</Message>", re.S)


def auth_error_as_json(status: str, body: bytes) -> ApiError | None:
    if not status.startswith(("401", "403")) or not body.lstrip().startswith(b"<"):
        return None
    code = _XML_CODE.search(body)
    if code is None:
        return None
    kind, message = _XML_AUTH_ERRORS.get(code.group(1).decode(), (code.group(1).decode() + "Exception", None))
    if message is None:
        found = _XML_MESSAGE.search(body)
        message = found.group(1).decode("utf-8", "replace") if found else kind
    return ApiError(kind, message)
