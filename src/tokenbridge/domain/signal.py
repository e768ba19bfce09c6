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
from tokenbridge.domain.models import Account, Client, PartnerGrant, SignalRecord
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
    def __init__(
        self, store: Store, bank: Bank, clock: Clock, processor_tokens: ProcessorTokenService
    ) -> None:
        self.store = store
        self.bank = bank
        self.clock = clock
        self._grant = processor_tokens.processor_token_for_partner

    async def processor_signal_evaluate(
        self,
        client: Client,
        processor_token: str,
        client_transaction_id: str,
        amount: float,
        request: dict[str, Any] | None = None,
    ) -> SignalEvaluation:
        """Return-risk scores for a planned ACH debit of `amount` from the account."""
        if not amount > 0:
            raise errors.InvalidField("amount must be greater than 0")
        grant = await self._grant(client, processor_token, SIGNAL)
        records = await self.store.list_signal_records(grant.item.item_id)
        returns = sum(1 for r in records if r[0] == grant.account.account_id and r[1] == "return")
        scores = self.bank.signal_scores(
            grant.item, grant.account, client_transaction_id, amount, returns
        )
        await self.store.add_signal_record(
            grant.item.item_id, grant.account.account_id, "evaluate", client_transaction_id,
            {"amount": amount, "scores": asdict(scores), **(request or {})}, self.clock.now(),
        )  # fmt: skip
        return SignalEvaluation(scores, _core_attributes(grant.account, records, grant))

    async def _evaluated(self, grant: PartnerGrant, client_transaction_id: str) -> None:
        records = await self.store.list_signal_records(grant.item.item_id, "evaluate")
        if not any(
            r[0] == grant.account.account_id and r[2] == client_transaction_id for r in records
        ):
            # /signal/decision/report: "Must be the same as the client_transaction_id
            # supplied when calling /signal/evaluate".
            raise errors.InvalidField(
                "client_transaction_id does not match any /processor/signal/evaluate call"
                " for this processor token"
            )

    async def processor_signal_decision_report(
        self, client: Client, processor_token: str, client_transaction_id: str,
        report: dict[str, Any],
    ) -> None:  # fmt: skip
        """Record whether the partner initiated the evaluated transaction."""
        grant = await self._grant(client, processor_token, SIGNAL)
        await self._evaluated(grant, client_transaction_id)
        await self.store.add_signal_record(
            grant.item.item_id, grant.account.account_id, "decision", client_transaction_id,
            report, self.clock.now(),
        )  # fmt: skip

    async def processor_signal_return_report(
        self, client: Client, processor_token: str, client_transaction_id: str,
        return_code: str, returned_at: str | None,
    ) -> None:  # fmt: skip
        """Record an ACH return (R01, R10, ...) of the evaluated transaction."""
        if not _RETURN_CODE.match(return_code):
            raise errors.InvalidField("return_code must be an ACH return code such as R01")
        grant = await self._grant(client, processor_token, SIGNAL)
        await self._evaluated(grant, client_transaction_id)
        await self.store.add_signal_record(
            grant.item.item_id, grant.account.account_id, "return", client_transaction_id,
            {"return_code": return_code, "returned_at": returned_at}, self.clock.now(),
        )  # fmt: skip

    async def processor_signal_prepare(self, client: Client, processor_token: str) -> bool:
        """Opt the token's Item in to Signal; False (and no change) if it already was, as
        Plaid answers 200 in that case too."""
        grant = await self._grant(client, processor_token, SIGNAL)
        if await self.store.list_signal_records(grant.item.item_id, "prepare"):
            return False
        await self.store.add_signal_record(
            grant.item.item_id, grant.account.account_id, "prepare", None, {}, self.clock.now()
        )
        return True


def _core_attributes(
    account: Account, records: Sequence[SignalRecord], grant: PartnerGrant
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
        "is_account_closed": grant.item.removed_at is not None,
    }
