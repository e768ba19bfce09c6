"""Fault rules in the domain: the catalogue of errors a rule answers with, the choice of a
rule with a probability (repeatable with a seed), and a server's own rules."""

from __future__ import annotations

import json

import pytest

from tests.unit.conftest import Domain, close_domain, open_domain
from tokenbridge.domain import errors
from tokenbridge.domain.faults import FAULT_ERRORS, FaultService, parse_rules_file
from tokenbridge.domain.models import Client

PATHS = ("/accounts/get", "/item/get")


@pytest.mark.parametrize(
    ("code", "status", "error_type"),
    [
        ("INSTITUTION_DOWN", 400, "INSTITUTION_ERROR"),
        ("INSTITUTION_NOT_RESPONDING", 400, "INSTITUTION_ERROR"),
        ("ITEM_LOGIN_REQUIRED", 400, "ITEM_ERROR"),
        ("RATE_LIMIT", 429, "RATE_LIMIT_EXCEEDED"),
        ("TRANSACTIONS_LIMIT", 429, "RATE_LIMIT_EXCEEDED"),
        ("INTERNAL_SERVER_ERROR", 500, "API_ERROR"),
        ("PLANNED_MAINTENANCE", 503, "API_ERROR"),
        ("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", 400, "TRANSACTIONS_ERROR"),
        ("PRODUCT_NOT_READY", 400, "ITEM_ERROR"),
        ("INVALID_ACCESS_TOKEN", 400, "INVALID_INPUT"),
    ],
)
def test_the_catalogue_answers_plaids_type_and_status(
    code: str, status: int, error_type: str
) -> None:
    error = FAULT_ERRORS[code]()
    assert (error.error_code, error.error_type, errors.status_of(error)) == (
        code, error_type, status,
    )  # fmt: skip
    assert error.error_message


def test_every_code_of_the_catalogue_names_itself_but_the_types_name() -> None:
    for code, make in FAULT_ERRORS.items():
        expected = "RATE_LIMIT" if code == "RATE_LIMIT_EXCEEDED" else code
        assert make().error_code == expected


def _draws(domain: Domain, client: Client, probability: float) -> list[bool]:
    rule = {"path": "/item/get", "error_code": "INSTITUTION_DOWN", "probability": probability}
    rules = parse_rules_file(json.dumps([rule]), PATHS)
    service = FaultService(domain.store, domain.services.ids, domain.clock, lambda: None,
                           PATHS, rules)  # fmt: skip
    assert service.server_wide
    return [domain.run(service.fault_for(client, "/item/get")) is not None for _ in range(200)]


def test_a_seeded_server_makes_the_same_choices() -> None:
    choices = []
    for seed in ("a seed", "a seed", "another seed"):
        domain = open_domain(seed)
        try:
            choices.append(_draws(domain, domain.client, 0.3))
        finally:
            close_domain(domain)
    assert choices[0] == choices[1]
    assert choices[0] != choices[2]
    # 200 draws at 0.3: outside 25..95 with a chance far below 1e-6.
    assert 25 <= sum(choices[0]) <= 95


def test_a_server_rule_with_times_is_spent_then_gone(domain: Domain) -> None:
    rules = parse_rules_file('[{"path": "/item/get", "drop": true, "times": 2}]', PATHS)
    service = FaultService(domain.store, domain.services.ids, domain.clock, lambda: None,
                           PATHS, rules)  # fmt: skip
    found = [domain.run(service.fault_for(domain.client, "/item/get")) for _ in range(3)]
    assert [f is not None and f.drop for f in found] == [True, True, False]
    assert not service.server_wide
    assert domain.run(service.fault_for(domain.client, "/accounts/get")) is None


def test_a_rules_file_gives_every_call_unless_times(domain: Domain) -> None:
    (rule,) = parse_rules_file('[{"path": "/accounts/get", "latency_ms": 5}]', PATHS)
    assert (rule.remaining, rule.world, rule.latency_ms, rule.drop) == (None, "*", 5, False)
