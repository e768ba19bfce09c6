"""The OpenAPI document of what this server serves, generated from the route table.

Every operation in the route table (http/routes.py) appears here with its request Struct as the
body schema and its handler's return type as the 200 schema, so the document cannot drift
from the code. Plaid's own document (plaid/plaid-openapi, 2020-09-14) has the same shape:
POST only, a JSON body, a 200 response and a `default` PlaidError response, and the three
security headers. `docs/openapi.json` is this output; `tokenbridge openapi` rewrites it.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import msgspec.inspect as mi

from tokenbridge import __version__
from tokenbridge.domain.catalog import DEFAULT_API_VERSION
from tokenbridge.http.control import CONTROL_OPERATIONS
from tokenbridge.http.router import Operation as Route
from tokenbridge.http.routes import OPERATIONS
from tokenbridge.http.schemas import PlaidErrorBody

_REF = "#/components/schemas/{name}"
# Plaid calls the error schema PlaidError; our Struct has another name only because the
# domain's exception class already holds that one.
_RENAMES = {"PlaidErrorBody": "PlaidError"}

CONTROL_TAG = "tokenbridge control"

_SECURITY_SCHEMES = {
    "adminKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "The control API's admin key (TOKENBRIDGE_ADMIN_KEY).",
    },
    "clientId": {"type": "apiKey", "in": "header", "name": "PLAID-CLIENT-ID"},
    "secret": {"type": "apiKey", "in": "header", "name": "PLAID-SECRET"},
    "plaidVersion": {
        "type": "apiKey",
        "in": "header",
        "name": "Plaid-Version",
        "description": f"Optional here; {DEFAULT_API_VERSION} when absent.",
    },
}


def response_type(route: Route) -> type[msgspec.Struct]:
    """The Struct a route's handler returns, read from its return annotation."""
    hints = typing.get_type_hints(route.handler)
    returned = hints.get("return")
    if not (isinstance(returned, type) and issubclass(returned, msgspec.Struct)):
        raise TypeError(f"{route.path}: the handler must be annotated to return a Struct")
    return returned


def operation_id(route: Route) -> str:
    """Plaid's operationId: the handler's snake_case name in camelCase."""
    first, *rest = getattr(route.handler, "__name__", "").split("_")
    return first + "".join(word.capitalize() for word in rest)


def build(routes: Mapping[str, Route] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document for `routes` (by default every registered operation)."""
    table = {op.path: op for op in OPERATIONS} if routes is None else routes
    paths = sorted(table)
    own = CONTROL_OPERATIONS if routes is None else ()
    requests = [table[p].shape.type for p in paths] + [op.request for op in own]
    responses = [response_type(table[p]) for p in paths] + [op.response for op in own]
    refs, components = msgspec.json.schema_components(
        [*requests, *responses, PlaidErrorBody], ref_template=_REF
    )
    _require_what_is_always_sent(components, [*responses, PlaidErrorBody])
    count = len(requests)
    request_refs = refs[:count]
    response_refs = refs[count : 2 * count]
    error_ref = refs[-1]

    operations: dict[str, Any] = {}
    for path, request_ref, response_ref in zip(
        paths, request_refs[: len(paths)], response_refs[: len(paths)], strict=False
    ):
        route = table[path]
        operation: dict[str, Any] = {
            "operationId": operation_id(route),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": request_ref}},
            },
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": response_ref}},
                },
                "default": {
                    "description": "A PlaidError (https://plaid.com/docs/errors/).",
                    "content": {"application/json": {"schema": error_ref}},
                },
            },
        }
        doc = inspect.getdoc(route.handler)
        if doc:
            operation["summary"] = doc.split("\n", 1)[0]
        operations[path] = {"post": operation}
    # The control API (ours): under its own tag, with the admin key and no Plaid credentials.
    pairs = zip(own, request_refs[len(paths) :], response_refs[len(paths) :], strict=True)
    for op, request_ref, response_ref in pairs:
        operations[op.path] = {"post": {
            "operationId": "control" + "".join(
                w.capitalize() for w in op.name.replace("/", "_").split("_")
            ),
            "tags": [CONTROL_TAG],
            "summary": op.summary,
            "security": [{"adminKey": []}],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": request_ref}},
            },
            "responses": {
                "200": {"description": "OK",
                        "content": {"application/json": {"schema": response_ref}}},
                "default": {
                    "description": "A PlaidError; 401 INVALID_ADMIN_KEY without the admin key.",
                    "content": {"application/json": {"schema": error_ref}},
                },
            },
        }}  # fmt: skip

    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "tokenbridge",
            "version": __version__,
            "description": (
                "An offline, Plaid-compatible processor token service. Shapes follow Plaid's "
                f"API version {DEFAULT_API_VERSION}. client_id and secret may be sent in the "
                "PLAID-CLIENT-ID / PLAID-SECRET headers or in the body, as Plaid allows."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:8787", "description": "tokenbridge serve"}],
        "security": [
            {"clientId": [], "secret": [], "plaidVersion": []},
            {"clientId": [], "secret": []},
        ],
        "paths": operations,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": _SECURITY_SCHEMES,
        },
    }
    if own:
        document["tags"] = [{
            "name": CONTROL_TAG,
            "description": (
                "Ours, not Plaid's: the control API of a test run (docs/TESTING.md), under"
                " /_tokenbridge/control/, with the admin key (TOKENBRIDGE_ADMIN_KEY) as a"
                " bearer token."
            ),
        }]  # fmt: skip
    renamed: dict[str, Any] = _rename(document)
    return renamed


def encode(document: Mapping[str, Any]) -> bytes:
    """The document as committed: indented, keys in a stable order, trailing newline."""
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"


def _require_what_is_always_sent(
    components: dict[str, Any], response_types: Iterable[type[msgspec.Struct]]
) -> None:
    """Mark as required every response field that the encoder always writes.

    msgspec lists as required only fields without a default, which is right for a request.
    A response field with a default (`request_id = ""`) is still always sent; only a field
    left UNSET is left out, so only such a field is optional in a response schema.
    """
    for info in _structs(response_types):
        schema = components.get(info.cls.__name__)
        if schema is None:
            continue
        omit_defaults = info.cls.__struct_config__.omit_defaults
        schema["required"] = [
            f.encode_name
            for f in info.fields
            if f.required
            or (not omit_defaults and (f.default is not msgspec.NODEFAULT or
                                       f.default_factory is not msgspec.NODEFAULT))
        ]  # fmt: skip


def _structs(types: Iterable[type[msgspec.Struct]]) -> list[mi.StructType]:
    """Every Struct reachable from `types`, each once."""
    found: dict[type, mi.StructType] = {}

    def visit(t: mi.Type) -> None:
        if isinstance(t, mi.StructType):
            if t.cls in found:
                return
            found[t.cls] = t
            for f in t.fields:
                visit(f.type)
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                visit(member)
        elif isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
            visit(t.item_type)
        elif isinstance(t, mi.DictType):
            visit(t.value_type)
        elif isinstance(t, mi.TupleType):
            for member in t.item_types:
                visit(member)
        elif isinstance(t, mi.Metadata):
            visit(t.type)

    for t in mi.multi_type_info(list(types)):
        visit(t)
    return list(found.values())


def _rename(node: Any) -> Any:
    """A copy with the schemas in `_RENAMES` renamed, and every `$ref` to them."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                name = value.rsplit("/", 1)[-1]
                value = _REF.format(name=_RENAMES.get(name, name))
            out[_RENAMES.get(key, key)] = _rename(value)
            if key == "title" and value in _RENAMES:
                out[key] = _RENAMES[value]
        return out
    if isinstance(node, list):
        return [_rename(v) for v in node]
    return node


def main(argv: list[str] | None = None) -> int:
    """`python -m tokenbridge.http.openapi PATH` writes the document to PATH (`make openapi`)."""
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    Path(args[0] if args else "docs/openapi.json").write_bytes(encode(build()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
