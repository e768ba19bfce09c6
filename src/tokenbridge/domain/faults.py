"""Fault rules: the next calls (or a share of the calls) to a Plaid path answer one of
Plaid's errors, wait, or lose their connection without an answer (docs/TESTING.md
"Faults"). Plaid's Sandbox forces errors only when an Item is created (the `error_<CODE>`
passwords); these reach every operation, for the failures that integrations meet later.

A rule belongs to a world: the world of the client it was added for (`Client.world`), or
that client alone when it is of the shared world. It applies to every call authenticated as
a client of that world (the client, and the partners made for it), and ends when the
client is reset. Rules live in the store, so that every worker and server over one
database applies them, and a use of a rule that fires a limited number of `times` is taken
atomically there: `times=3` fires three times whatever the number of servers.

A server's own rules (`tokenbridge serve --faults FILE`) apply to every client and live in
that process's memory: their `times` count per process.

A request whose client's world has no rule costs one attribute check
(`Client.faulted`, kept by the store on every client of the world while a rule lives).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from tokenbridge.domain import audit, errors
from tokenbridge.domain.ids import Ids
from tokenbridge.domain.models import Client, Fault, FaultRule
from tokenbridge.domain.ports import Clock, Store

# The longest delay a rule may add (ms): a minute is beyond every SDK's default timeout.
MAX_LATENCY_MS = 60_000
# The most rules a world may hold: each call of a faulted world reads them all.
MAX_RULES = 100


# The errors a rule may answer with, by code -----------------------------------------------


class PlannedMaintenance(errors.InternalServerError):
    # https://plaid.com/docs/errors/api/#planned_maintenance: HTTP 503
    # (errors.STATUS_BY_CODE).
    error_code = "PLANNED_MAINTENANCE"
    default_message = (
        "the Plaid API is temporarily unavailable due to planned maintenance. visit"
        " https://status.plaid.com/ for more information"
    )
    display_message = "The Plaid API is temporarily unavailable due to planned maintenance."


class TransactionsSyncMutationDuringPagination(errors.PlaidError):
    # https://plaid.com/docs/errors/transactions/: the data changed between two pages of
    # /transactions/sync; the caller restarts from the cursor its pagination began at.
    error_type = "TRANSACTIONS_ERROR"
    error_code = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
    default_message = (
        "Underlying transaction data changed since last page was fetched. Please restart"
        " pagination from last update."
    )
    docs_page = "transactions"


def _rate_limit(code: str) -> Callable[[], errors.PlaidError]:
    return lambda: errors.RateLimitExceeded(code)


# Plaid's codes of RATE_LIMIT_EXCEEDED (https://plaid.com/docs/errors/rate-limit-exceeded/),
# all HTTP 429 with the same message.
_RATE_LIMIT_CODES = (
    "ACCOUNTS_LIMIT", "ACCOUNTS_BALANCE_GET_LIMIT", "AUTH_LIMIT", "BALANCE_LIMIT",
    "IDENTITY_LIMIT", "INSTITUTIONS_GET_LIMIT", "INSTITUTIONS_GET_BY_ID_LIMIT",
    "INSTITUTION_RATE_LIMIT", "INVESTMENT_HOLDINGS_GET_LIMIT", "INVESTMENT_TRANSACTIONS_LIMIT",
    "ITEM_GET_LIMIT", "RATE_LIMIT", "TRANSACTIONS_LIMIT", "TRANSACTIONS_REFRESH_LIMIT",
    "TRANSACTIONS_SYNC_LIMIT",
)  # fmt: skip

# error_code -> the error a rule answers with: Plaid's error_type, code, message and display
# message (the classes of domain/errors.py where the API raises them already), and its
# HTTP status through errors.status_of.
FAULT_ERRORS: dict[str, Callable[[], errors.PlaidError]] = {
    **{code: cls for code, cls in errors.ITEM_CREATION_ERRORS.items() if code != "PLAID_ERROR"},
    **{cls.error_code: cls for cls in (
        errors.InstitutionDown, errors.InstitutionNotResponding, errors.ItemLoginRequired,
        errors.InternalServerError, errors.ProductNotReady, errors.InvalidAccessToken,
        errors.InvalidProcessorToken, errors.InvalidApiKeys, errors.NoAuthAccounts,
        errors.UserPermissionRevoked, PlannedMaintenance, TransactionsSyncMutationDuringPagination,
    )},
    **{code: _rate_limit(code) for code in _RATE_LIMIT_CODES},
}  # fmt: skip
# The error_type's name, as the issue and many a test names it: Plaid's generic code.
FAULT_ERRORS["RATE_LIMIT_EXCEEDED"] = _rate_limit("RATE_LIMIT")


def world_of(client: Client) -> str:
    """The key a client's rules are stored under: its world, or itself in the shared one."""
    return client.world or client.client_id


def _field_error(name: str, must: str) -> errors.InvalidField:
    return errors.InvalidField(f"{name} must be {must}")


def check_rule(
    paths: Collection[str], path: Any, *, error_code: Any = None, status: Any = None,
    latency_ms: Any = 0, drop: Any = False, times: Any = 1, probability: Any = 1.0,
) -> None:  # fmt: skip
    """INVALID_FIELD unless these make a rule: `path` one of `paths` (Plaid's operations),
    an `error_code` of FAULT_ERRORS, `status` 400..599, `latency_ms` 0..MAX_LATENCY_MS,
    `drop` a bool, `times` >= 1 or None, 0 < `probability` <= 1; and it does something."""
    if not isinstance(path, str) or path not in paths:
        raise errors.InvalidField(f"path must be one of the Plaid operations served, not {path!r}")
    if error_code is not None and (
        not isinstance(error_code, str) or error_code not in FAULT_ERRORS
    ):
        raise errors.InvalidField(
            f"unknown error_code {error_code!r}: one of {', '.join(sorted(FAULT_ERRORS))}"
        )
    if status is not None and (type(status) is not int or not 400 <= status <= 599):
        raise _field_error("status", "an integer between 400 and 599")
    if type(latency_ms) is not int or not 0 <= latency_ms <= MAX_LATENCY_MS:
        raise _field_error("latency_ms", f"an integer between 0 and {MAX_LATENCY_MS}")
    if type(drop) is not bool:
        raise _field_error("drop", "true or false")
    if times is not None and (type(times) is not int or times < 1):
        raise _field_error("times", "an integer of at least 1, or null for every call")
    if (
        type(probability) not in (int, float)
        or not math.isfinite(probability)
        or not 0 < probability <= 1
    ):
        raise _field_error("probability", "a number greater than 0 and at most 1")
    if drop and (error_code is not None or status is not None):
        raise errors.InvalidField(
            "a rule that drops the connection answers no error_code or status"
        )
    if error_code is None and status is None and not drop and latency_ms == 0:
        raise errors.InvalidField("a rule needs an error_code, a status, latency_ms or drop")


def fault_of(rule: FaultRule) -> Fault:
    """What a rule that fires does to the call. A `status` without an `error_code`
    answers Plaid's generic INTERNAL_SERVER_ERROR body with that status."""
    error: errors.PlaidError | None = None
    if rule.error_code is not None:
        error = FAULT_ERRORS[rule.error_code]()
    elif rule.status is not None:
        error = errors.InternalServerError()
    return Fault(rule.rule_id, error, rule.status, rule.latency_ms, rule.drop)


# The fields of a rule in a --faults file, with their defaults.
_FILE_FIELDS: dict[str, Any] = {
    "path": None, "error_code": None, "status": None, "latency_ms": 0, "drop": False,
    "times": None, "probability": 1.0,
}  # fmt: skip


def parse_rules_file(text: str, paths: Collection[str]) -> list[FaultRule]:
    """A server's own rules from a --faults file: a JSON list of objects with a rule's
    fields (`times` null, every call, unless given). ValueError, with a message naming
    the rule and what is wrong, for anything else."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, list):
        raise ValueError("must be a JSON list of rules")
    rules = []
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, dict):
            raise ValueError(f"rule {number} must be a JSON object")
        unknown = sorted(set(entry) - set(_FILE_FIELDS))
        if unknown:
            raise ValueError(f"rule {number}: unknown fields {', '.join(unknown)}")
        fields = {**_FILE_FIELDS, **entry}
        try:
            check_rule(paths, fields.pop("path"), **fields)
        except errors.PlaidError as exc:
            raise ValueError(f"rule {number}: {exc.error_message}") from None
        rules.append(FaultRule(
            f"server-{number}", "*", entry["path"], fields["error_code"], fields["status"],
            fields["latency_ms"], fields["drop"], fields["times"], float(fields["probability"]),
            0.0,
        ))  # fmt: skip
    return rules


class FaultService:
    """The rules of each world (through the store) and of the server (in memory), and the
    decision for one call (the `Faults` port of domain/ports.py)."""

    def __init__(
        self, store: Store, ids: Ids, clock: Clock, forget_clients: Callable[[], None],
        paths: Collection[str] = (), server_rules: Sequence[FaultRule] = (),
    ) -> None:  # fmt: skip
        self.store = store
        self.ids = ids
        self.clock = clock
        self._forget_clients = forget_clients
        self.paths = frozenset(paths)
        self._server_rules = [replace(rule) for rule in server_rules]
        # Read on every request: True while the server has a rule of its own left.
        self.server_wide = bool(self._server_rules)

    async def add(
        self, client: Client, path: Any, *, error_code: Any = None, status: Any = None,
        latency_ms: Any = 0, drop: Any = False, times: Any = 1, probability: Any = 1.0,
    ) -> FaultRule:  # fmt: skip
        """Add a rule to the client's world; the rule. INVALID_FIELD for a rule
        check_rule refuses, or a world that holds MAX_RULES already."""
        check_rule(self.paths, path, error_code=error_code, status=status, latency_ms=latency_ms,
                   drop=drop, times=times, probability=probability)  # fmt: skip
        world = world_of(client)
        if len(await self.store.list_fault_rules(world)) >= MAX_RULES:
            raise errors.InvalidField(f"a client holds at most {MAX_RULES} fault rules")
        rule = FaultRule(
            "fault-" + self.ids.random.uuid4(), world, path, error_code, status, latency_ms,
            drop, times, float(probability), self.clock.now(),
        )  # fmt: skip
        entry = audit.entry(rule.created_at, audit.OPERATOR, audit.FAULT_ADD, None,
                            detail=f"{client.client_id} {rule.rule_id} {path}")  # fmt: skip
        await self.store.add_fault_rule(rule, [entry])
        # This server's cached clients carry the flag as they read it; others read it again
        # within VERIFIED_TTL (domain/clients.py).
        self._forget_clients()
        return rule

    async def list(self, client: Client) -> list[FaultRule]:
        """The live rules of the client's world, oldest first."""
        return await self.store.list_fault_rules(world_of(client))

    async def remove(self, client: Client, rule_id: str | None) -> int:
        """Remove one rule of the client's world (every rule, with None); how many were
        removed. INVALID_FIELD for a rule_id the world does not hold."""
        entry = audit.entry(self.clock.now(), audit.OPERATOR, audit.FAULT_REMOVE, None,
                            detail=f"{client.client_id} {rule_id or 'all'}")  # fmt: skip
        removed = await self.store.remove_fault_rules(world_of(client), rule_id, [entry])
        if rule_id is not None and not removed:
            raise errors.InvalidField("unknown rule_id")
        return removed

    async def fault_for(self, client: Client, path: str) -> Fault | None:
        """What the call to `path` by `client` gets, or None: the first rule (the server's
        first, then the world's, oldest first) for the path whose chance comes up and that
        has a use left. A limited rule's use is taken here, once per call."""
        for rule in self._server_rules:
            if rule.path == path and self._chance(rule.probability):
                if rule.remaining is not None:
                    if rule.remaining <= 0:
                        continue
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._server_rules = [r for r in self._server_rules if r.remaining != 0]
                        self.server_wide = bool(self._server_rules)
                return fault_of(rule)
        if not client.faulted:
            return None
        for rule in await self.store.list_fault_rules(world_of(client)):
            if rule.path != path or not self._chance(rule.probability):
                continue
            if rule.remaining is None or await self.store.take_fault_rule(rule.rule_id):
                return fault_of(rule)
        return None

    def _chance(self, probability: float) -> bool:
        """True with this probability, drawn from the domain's random source (repeatable
        with a seed)."""
        if probability >= 1.0:
            return True
        draw = int.from_bytes(self.ids.random.token_bytes(7), "big") >> 3  # 53 bits
        return draw < probability * (1 << 53)


def rule_fields(rule: FaultRule) -> Mapping[str, Any]:
    """A rule as the control API shows it."""
    return {
        "rule_id": rule.rule_id, "path": rule.path, "error_code": rule.error_code,
        "status": rule.status, "latency_ms": rule.latency_ms, "drop": rule.drop,
        "times_left": rule.remaining, "probability": rule.probability,
        "created_at": rule.created_at,
    }  # fmt: skip
