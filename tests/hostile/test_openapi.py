"""The OpenAPI document: generated from the code, committed, served, and true to Plaid's."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from tests.api.conftest import Api
from tests.helpers import plaid_candidates
from tokenbridge.domain.catalog import PROCESSORS, PRODUCTS
from tokenbridge.http import openapi
from tokenbridge.http.control import CONTROL_OPERATIONS
from tokenbridge.http.routes import OPERATIONS

ROUTES = {op.path: op for op in OPERATIONS}
CONTROL = {op.path: op for op in CONTROL_OPERATIONS}

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"


PLAID_CANDIDATES = plaid_candidates("TOKENBRIDGE_PLAID_OPENAPI", "openapi-processor-subset.yml")
# The sandbox controls, Link tokens, institutions and webhooks, from the same Plaid document
# (TOKENBRIDGE_PLAID_SANDBOX_OPENAPI names it, or it sits beside the first): merged in, so
# that every path of ours that Plaid has is compared.
PLAID_SANDBOX_CANDIDATES = plaid_candidates(
    "TOKENBRIDGE_PLAID_SANDBOX_OPENAPI", "openapi-sandbox-webhooks-subset.yml"
)


def test_committed_document_is_current() -> None:
    assert COMMITTED.read_bytes() == openapi.encode(openapi.build()), (
        "docs/openapi.json is stale: run `make openapi`"
    )


def test_served_document_is_the_generated_one(api: Api) -> None:
    response = api.request("GET", "/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == openapi.build()


def test_every_route_is_a_post_with_body_200_and_default() -> None:
    document = openapi.build()
    assert set(document["paths"]) == set(ROUTES) | set(CONTROL)
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        if path in CONTROL:
            continue
        assert list(item) == ["post"], path
        operation = item["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert _name(body) == ROUTES[path].shape.type.__name__
        assert set(operation["responses"]) == {"200", "default"}
        error = operation["responses"]["default"]["content"]["application/json"]["schema"]
        assert _name(error) == "PlaidError"
        # Every request rejects unknown fields, as Plaid does (UNKNOWN_FIELDS).
        assert schemas[_name(body)]["additionalProperties"] is False
        # Every response carries request_id.
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert "request_id" in schemas[_name(ok)]["required"], path


def test_security_schemes_are_plaids_headers() -> None:
    schemes = dict(openapi.build()["components"]["securitySchemes"])
    # The control API's, which no Plaid operation takes (below).
    assert schemes.pop("adminKey") == {
        "type": "http", "scheme": "bearer",
        "description": "The control API's admin key (TOKENBRIDGE_ADMIN_KEY).",
    }  # fmt: skip
    assert {s["name"] for s in schemes.values()} == {
        "PLAID-CLIENT-ID",
        "PLAID-SECRET",
        "Plaid-Version",
    }
    assert all(s["in"] == "header" for s in schemes.values())


def test_the_control_api_is_ours_under_its_own_tag() -> None:
    document = openapi.build()
    assert [t["name"] for t in document["tags"]] == [openapi.CONTROL_TAG]
    for path, item in document["paths"].items():
        operation = item["post"]
        if path in CONTROL:
            assert path.startswith("/_tokenbridge/control/")
            assert operation["tags"] == [openapi.CONTROL_TAG]
            # The admin key alone: Plaid's credentials are no way in.
            assert operation["security"] == [{"adminKey": []}]
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert _name(ok) == CONTROL[path].response.__name__
        else:
            assert "tags" not in operation and "security" not in operation


def test_constraints_and_enums_reach_the_document() -> None:
    schemas = openapi.build()["components"]["schemas"]
    note = schemas["ItemRemoveRequest"]["properties"]["reason_note"]["anyOf"][0]
    assert note == {"type": "string", "maxLength": 512}
    processor = schemas["ProcessorTokenCreateRequest"]["properties"]["processor"]
    assert "dwolla" in processor["enum"] and "stripe" not in processor["enum"]
    products = schemas["SandboxPublicTokenCreateRequest"]["properties"]["initial_products"]
    assert products["minItems"] == 1 and "auth" in products["items"]["enum"]


def test_response_optional_only_where_the_field_may_be_left_out() -> None:
    schemas = openapi.build()["components"]["schemas"]
    # `removed` exists only for API versions up to 2019-05-29 (UNSET otherwise).
    assert schemas["ItemRemoveResponse"]["required"] == ["request_id"]
    assert "holder_category" not in schemas["AccountBase"]["required"]
    assert "mask" in schemas["AccountBase"]["required"]


# Faithful to Plaid ------------------------------------------------------------------------


# Differences we know of, each with its reason (regular expressions, matched whole).
KNOWN_DIFFERENCES = (
    # Plaid's versioning page: API versions 2019-05-29 and earlier return `removed: true`;
    # the field is left out for later versions, as Plaid's 2020-09-14 document has it.
    r"/item/remove response: fields Plaid does not have: \['removed'\]",
    # The Item of every read carries `created_at` as /item/get's does; Plaid's document
    # lists it only for /item/get (ItemWithConsentFields). Clients accept extra fields.
    r"/\S+ response\.item: fields Plaid does not have: \['created_at'\]",
    # Security.figi came after this version of Plaid's document; the official SDKs we test
    # with (plaid-python 46, npm plaid 47) require it.
    r"/processor/investments/\S+ response\.securities\[\]: fields Plaid does not have: "
    r"\['figi'\]",
    # plaid-python 46 (spec 1.778) sends /sandbox/item/fire_webhook's `options`
    # (new_transactions) and knows the IDENTITY webhook type; 1.697.4 has neither.
    r"/sandbox/item/fire_webhook request: fields Plaid does not have: \['options'\]",
    r"/sandbox/item/fire_webhook request\.webhook_type: values not in Plaid's enum: "
    r"\['IDENTITY'\]",
    # plaid-python 46 (spec 1.778) lets a transaction of /sandbox/transactions/create name
    # its account; 1.697.4 applies every one to the depository account.
    r"/sandbox/transactions/create request\.transactions\[\]: fields Plaid does not have: "
    r"\['account_id'\]",
    # plaid-python 46 (spec 1.778) sends cra_report_parameter, newer than this document.
    r"/link/token/create request: fields Plaid does not have: \['cra_report_parameter'\]",
    r"/link/token/(create request|get response\.metadata)\.institution_data: fields Plaid does"
    r" not have: \['institution_id'\]",
    # Processors and products that the newest SDKs send (plaid-python 46, npm plaid 47) and
    # Plaid's 1.697.4 document does not list yet (tests/sdk/test_catalog_sdk.py).
    *(
        re.escape(f"{where}: values not in Plaid's enum: {sorted(names)}")
        for where, names in (("/processor/token/create request.processor", PROCESSORS[75:]),)
    ),
    # ... and the products, wherever a list of them is sent or answered.
    r"/\S+ (request|response)\S*products\[\]: values not in Plaid's enum: "
    + re.escape(str(sorted(PRODUCTS[38:]))),
    # plaid-python 46 refuses an institution without connection_availability (spec 1.778).
    r"/institutions/\S+ response\.institutions?(\[\])?: fields Plaid does not have: "
    r"\['connection_availability'\]",
)


def _known(problem: str) -> bool:
    return any(re.fullmatch(pattern, problem) for pattern in KNOWN_DIFFERENCES)


def _name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def plaid() -> dict[str, Any]:
    found = [next((c for c in candidates if c.exists()), None)
             for candidates in (PLAID_CANDIDATES, PLAID_SANDBOX_CANDIDATES)]  # fmt: skip
    if all(found):
        documents = [yaml.load(p.read_text(), Loader=yaml.CSafeLoader) for p in found if p]
        merged: dict[str, Any] = documents[0]
        for extra in documents[1:]:
            for path, item in extra["paths"].items():
                merged["paths"].setdefault(path, item)
            for name, schema in extra["components"]["schemas"].items():
                merged["components"]["schemas"].setdefault(name, schema)
        return merged
    pairs = zip((PLAID_CANDIDATES, PLAID_SANDBOX_CANDIDATES), found, strict=True)
    missing = [c for candidates, f in pairs if f is None for c in candidates]
    problem = "Plaid's OpenAPI document is not on this machine: looked for " + ", ".join(
        str(c) for c in missing
    )
    if os.environ.get("CI") == "true":
        pytest.fail(problem + " (CI=true: the comparison with Plaid's document must run)",
                    pytrace=False)  # fmt: skip
    pytest.skip(problem + " (set TOKENBRIDGE_PLAID_OPENAPI to its path)")


class Resolved(msgspec.Struct):
    properties: dict[str, Any]
    required: set[str]
    enum: set[str] | None
    items: Any


def _resolve(document: dict[str, Any], schema: Any) -> Resolved:
    """Follow $ref, merge allOf, drop `null` alternatives: the object or enum underneath."""
    schemas = document["components"]["schemas"]
    seen = 0
    while "$ref" in schema and seen < 50:
        schema = schemas[_name(schema)]
        seen += 1
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    enum = set(schema["enum"]) - {None} if "enum" in schema else None
    items = schema.get("items")
    for part in schema.get("allOf", []) + [
        s for s in schema.get("anyOf", []) if s.get("type") != "null"
    ]:
        inner = _resolve(document, part)
        properties.update(inner.properties)
        required |= inner.required
        enum = inner.enum if inner.enum is not None else enum
        items = inner.items if inner.items is not None else items
    return Resolved(properties, required, enum, items)


def _compare(
    ours: dict[str, Any], theirs: dict[str, Any], a: Any, b: Any, where: str,
    request: bool, problems: list[str], depth: int = 0,
) -> None:  # fmt: skip
    """Record where our schema `a` is not a faithful subset of Plaid's schema `b`."""
    mine, plaids = _resolve(ours, a), _resolve(theirs, b)
    if mine.enum is not None and plaids.enum is not None and not mine.enum <= plaids.enum:
        problems.append(f"{where}: values not in Plaid's enum: {sorted(mine.enum - plaids.enum)}")
    if mine.items is not None and plaids.items is not None and depth < 8:
        _compare(ours, theirs, mine.items, plaids.items, where + "[]", request, problems, depth + 1)
    if not mine.properties:
        return
    extra = set(mine.properties) - set(plaids.properties)
    if extra:
        problems.append(f"{where}: fields Plaid does not have: {sorted(extra)}")
    if request and mine.required != plaids.required:
        problems.append(f"{where}: required {sorted(mine.required)} != {sorted(plaids.required)}")
    if not request and not plaids.required <= mine.required:
        problems.append(f"{where}: Plaid requires {sorted(plaids.required - mine.required)}")
    for name in sorted(set(mine.properties) & set(plaids.properties)):
        if depth < 8:
            _compare(ours, theirs, mine.properties[name], plaids.properties[name],
                     f"{where}.{name}", request, problems, depth + 1)  # fmt: skip


def test_shapes_match_plaids_document(plaid: dict[str, Any]) -> None:
    ours = openapi.build()
    problems: list[str] = []
    compared = 0
    for path, item in ours["paths"].items():
        if path not in plaid["paths"]:
            continue
        compared += 1
        mine, theirs = item["post"], plaid["paths"][path]["post"]
        assert mine["operationId"] == theirs["operationId"]
        for kind, request in (("requestBody", True), ("responses", False)):
            a = mine[kind] if request else mine[kind]["200"]
            b = theirs[kind] if request else theirs[kind]["200"]
            where = f"{path} {'request' if request else 'response'}"
            schema_a = a["content"]["application/json"]["schema"]
            schema_b = b["content"]["application/json"]["schema"]
            _compare(ours, plaid, schema_a, schema_b, where, request, problems)
        error_a = mine["responses"]["default"]["content"]["application/json"]["schema"]
        error_b = theirs["responses"]["default"]["content"]["application/json"]["schema"]
        _compare(ours, plaid, error_a, error_b, f"{path} error", False, problems)
    assert compared >= 10
    assert [p for p in problems if not _known(p)] == []
