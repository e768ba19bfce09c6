"""Signal: return-risk scores for a planned ACH debit, and the partner's reports after it.

Each evaluation is recorded, so that decision and return reports can name it; a return
already reported for the account raises later scores
(https://plaid.com/docs/api/products/signal/).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tokenbridge.domain import errors
from tokenbridge.domain.bank_records import SignalScores
from tokenbridge.domain.items import ItemService, check_healthy
from tokenbridge.domain.models import Account, Client, Item, SignalRecord
from tokenbridge.domain.ports import Bank, Clock, Store
from tokenbridge.domain.processor_tokens import ProcessorTokenService

SIGNAL = "signal"

# ACH return reason codes are "R" and two digits (R01 insufficient funds, R10, ...).
_RETURN_CODE = re.compile(r"^R\d{2}$")


@dataclass(frozen=True, slots=True)
class SignalEvaluation:
    scores: SignalScores
    core_attributes: dict[str, Any]


class SignalService:
    """Signal from either side: the partner form (`processor_signal_*`) through a processor
    token's grant, the developer form through an access token and an `account_id`. Both
    reach the same methods over an Item and one account (`_evaluate`, `_report`), so the
    scores and the records are the same for one account from either side."""

    def __init__(
        self,
        store: Store,
        bank: Bank,
        clock: Clock,
        items: ItemService,
        processor_tokens: ProcessorTokenService,
    ) -> None:
        self.store = store
        self.bank = bank
        self.clock = clock
        self.items = items
        self._grant = processor_tokens.processor_token_for_partner

    # The shared reads and records ------------------------------------------------------

    async def _evaluate(
        self, client: Client, item: Item, account: Account, client_transaction_id: str,
        amount: float, request: dict[str, Any] | None,
    ) -> SignalEvaluation:  # fmt: skip
        """Score a planned debit of the account and record the evaluation as `client`'s.
        Returns reported for the account raise the scores, whoever reported them."""
        records = await self.store.list_signal_records(item.item_id)
        returns = sum(1 for r in records if r[0] == account.account_id and r[1] == "return")
        scores = self.bank.signal_scores(item, account, client_transaction_id, amount, returns)
        await self.store.add_signal_record(
            item.item_id, account.account_id, "evaluate", client_transaction_id,
            {"amount": amount, "scores": asdict(scores), **(request or {})}, self.clock.now(),
            client.client_id,
        )  # fmt: skip
        return SignalEvaluation(scores, _core_attributes(item, account, records))

    async def _report(
        self, client: Client, client_transaction_id: str, kind: str, data: dict[str, Any],
        account_id: str | None = None,
    ) -> None:  # fmt: skip
        """Record a decision or return report of one of `client`'s evaluations (of
        `account_id`'s, for a processor token). /signal/decision/report: the id "must be the
        same as the client_transaction_id supplied when calling /signal/evaluate"; Plaid's
        code for another one is undocumented, so it is INVALID_FIELD."""
        found = await self.store.find_signal_evaluation(
            client.client_id, client_transaction_id, account_id
        )
        item = None if found is None else await self.store.get_item(found[0])
        if found is None or item is None:
            raise errors.InvalidField(
                "client_transaction_id does not match any /processor/signal/evaluate call"
                " for this processor token"
                if account_id
                else "client_transaction_id does not match any /signal/evaluate call of this client"
            )
        # An Item in error refuses its reports on both forms.
        check_healthy(item)
        await self.store.add_signal_record(
            found[0], found[1], kind, client_transaction_id, data, self.clock.now(),
            client.client_id,
        )  # fmt: skip

    async def _prepare(self, client: Client, item: Item, account: Account) -> bool:
        """Opt the Item in to Signal; False (and no change) if it already was, as Plaid
        answers 200 in that case too."""
        if await self.store.list_signal_records(item.item_id, "prepare"):
            return False
        await self.store.add_signal_record(
            item.item_id, account.account_id, "prepare", None, {}, self.clock.now(),
            client.client_id,
        )  # fmt: skip
        return True

    # Partner side -----------------------------------------------------------------------

    async def processor_signal_evaluate(
        self,
        client: Client,
        processor_token: str,
        client_transaction_id: str,
        amount: float,
        request: dict[str, Any] | None = None,
    ) -> SignalEvaluation:
        """Return-risk scores for a planned ACH debit of `amount` from the account."""
        _check_amount(amount)
        grant = await self._grant(client, processor_token, SIGNAL)
        return await self._evaluate(
            client, grant.item, grant.account, client_transaction_id, amount, request
        )

    async def processor_signal_decision_report(
        self, client: Client, processor_token: str, client_transaction_id: str,
        report: dict[str, Any],
    ) -> None:  # fmt: skip
        """Record whether the partner initiated the evaluated transaction."""
        grant = await self._grant(client, processor_token, SIGNAL)
        await self._report(
            client, client_transaction_id, "decision", report, grant.account.account_id
        )

    async def processor_signal_return_report(
        self, client: Client, processor_token: str, client_transaction_id: str,
        return_code: str, returned_at: str | None,
    ) -> None:  # fmt: skip
        """Record an ACH return (R01, R10, ...) of the evaluated transaction."""
        _check_return_code(return_code)
        grant = await self._grant(client, processor_token, SIGNAL)
        await self._report(
            client, client_transaction_id, "return",
            {"return_code": return_code, "returned_at": returned_at}, grant.account.account_id,
        )  # fmt: skip

    async def processor_signal_prepare(self, client: Client, processor_token: str) -> bool:
        grant = await self._grant(client, processor_token, SIGNAL)
        return await self._prepare(client, grant.item, grant.account)

    # Developer side ---------------------------------------------------------------------

    async def signal_evaluate(
        self,
        client: Client,
        access_token: str,
        account_id: str,
        client_transaction_id: str,
        amount: float,
        request: dict[str, Any] | None = None,
        *,
        request_id: str | None = None,
    ) -> SignalEvaluation:
        """Return-risk scores for a planned ACH debit of `amount` from the Item's account."""
        _check_amount(amount)
        found = await self.items.product_accounts(
            client, access_token, [account_id], "signal_evaluate", SIGNAL
        )
        (account,) = found.accounts
        evaluation = await self._evaluate(
            client, found.item, account, client_transaction_id, amount, request
        )
        await self.items.add_product(
            client, access_token, found.item, SIGNAL, request_id=request_id
        )
        return evaluation

    async def signal_decision_report(
        self, client: Client, client_transaction_id: str, report: dict[str, Any]
    ) -> None:
        """Record whether the client initiated the transaction it evaluated: the request
        names no Item, only the evaluation's client_transaction_id."""
        await self.items.rate_limiter.check("signal_decision_report", client.client_id, None)
        await self._report(client, client_transaction_id, "decision", report)

    async def signal_return_report(
        self, client: Client, client_transaction_id: str, return_code: str,
        returned_at: str | None,
    ) -> None:  # fmt: skip
        _check_return_code(return_code)
        await self.items.rate_limiter.check("signal_return_report", client.client_id, None)
        await self._report(
            client, client_transaction_id, "return",
            {"return_code": return_code, "returned_at": returned_at},
        )  # fmt: skip

    async def signal_prepare(
        self, client: Client, access_token: str, *, request_id: str | None = None
    ) -> bool:
        """Add Signal to an Item linked without it (what /signal/prepare is for)."""
        found = await self.items.product_accounts(
            client, access_token, None, "signal_prepare", SIGNAL
        )
        if not found.accounts:
            raise errors.NoAccounts()
        prepared = await self._prepare(client, found.item, found.accounts[0])
        await self.items.add_product(
            client, access_token, found.item, SIGNAL, request_id=request_id
        )
        return prepared


def _check_amount(amount: float) -> None:
    if not amount > 0:
        raise errors.InvalidField("amount must be greater than 0")


def _check_return_code(return_code: str) -> None:
    if not _RETURN_CODE.match(return_code):
        raise errors.InvalidField("return_code must be an ACH return code such as R01")


def _core_attributes(
    item: Item, account: Account, records: Sequence[SignalRecord]
) -> dict[str, Any]:
    """A few of Plaid's SignalEvaluateCoreAttributes, from what the sandbox knows."""
    balances = account.balances
    # R01 and R09 are the insufficient / uncollected funds returns.
    nsf = sum(
        1 for r in records
        if r[0] == account.account_id and r[1] == "return"
        and r[3].get("return_code") in ("R01", "R09")
    )  # fmt: skip
    return {
        "available_balance": balances.available,
        "current_balance": balances.current,
        "is_savings_or_money_market_account": account.subtype in ("savings", "money market"),
        "plaid_connections_count_7d": 1,
        "plaid_connections_count_30d": 1,
        "total_plaid_connections_count": 1,
        "days_since_first_plaid_connection": 0,
        "unauthorized_transactions_count_30d": 0,
        "nsf_overdraft_transactions_count_30d": nsf,
        "is_account_closed": item.removed_at is not None,
    }
