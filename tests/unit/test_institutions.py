"""The Institutions rules over the sandbox bank, without HTTP."""

from __future__ import annotations

import random

import pytest

from tokenbridge.domain import errors
from tokenbridge.domain.institutions import InstitutionService, aba_valid, health_of
from tokenbridge.sandbox import numbers
from tokenbridge.sandbox.bank import SandboxBank


def test_the_domains_routing_check_agrees_with_the_sandboxs() -> None:
    rng = random.Random(7)  # noqa: S311 (test data)
    made = [numbers.routing_number(rng) for _ in range(200)]
    assert all(aba_valid(r) for r in made)
    others = ["".join(rng.choice("0123456789") for _ in range(9)) for _ in range(500)]
    assert [aba_valid(r) for r in others] == [numbers.aba_valid(r) for r in others]
    for bad in (
        "",
        "02100002",
        "0210000210",
        "02100002a",
        "\uff10\uff12\uff11\uff10\uff10\uff10\uff10\uff12\uff11",
    ):  # full-width digits
        assert not aba_valid(bad)


def test_every_institution_has_a_health_and_unique_routing_numbers() -> None:
    bank = SandboxBank()
    statuses = {i.institution_id: health_of(i).status for i in bank.institutions()}
    assert statuses["ins_132363"] == "DEGRADED" and statuses["ins_132361"] == "DOWN"
    assert set(statuses.values()) == {"HEALTHY", "DEGRADED", "DOWN"}
    routing = [r for i in bank.institutions() for r in i.routing_numbers]
    assert len(routing) == len(set(routing)) == 3 * 14  # the US institutions, three each
    assert all(aba_valid(r) for r in routing)


def test_paging_and_refusals() -> None:
    service = InstitutionService(SandboxBank())
    page = service.institutions_get(["US"], 5, 10)
    assert page.total == 13 and len(page.institutions) == 3
    with pytest.raises(errors.InvalidField):
        service.institutions_get([], 5, 0)
    with pytest.raises(errors.InvalidInstitution):
        service.institutions_get_by_id("ins_116834", ["US", "CA"])
    found, health = service.institutions_get_by_id("ins_116834", ["US", "GB"])
    assert found.oauth is True and health is None
    _, down = service.institutions_get_by_id("ins_132361", ["US"], include_status=True)
    assert down is not None and (down.status, down.success) == ("DOWN", 0.0)
