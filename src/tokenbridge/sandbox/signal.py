"""Signal: the return-risk inputs the sandbox answers for a planned ACH debit."""

from __future__ import annotations

from tokenbridge.domain.bank_records import ReturnRisk, SignalScores
from tokenbridge.domain.models import Account, Item
from tokenbridge.sandbox.derive import rng_for


def signal_scores(
    item: Item, account: Account, client_transaction_id: str, amount: float, returns: int = 0
) -> SignalScores:
    """Return-risk scores in Plaid's ranges (SignalScore: integer 1-99; customer-initiated
    risk tier 1-5, bank-initiated 1-8). The larger the amount against the available
    balance, and the more returns already reported for the account, the higher the risk.
    """
    rng = rng_for("signal", item.item_id, account.account_id, client_transaction_id)
    available = account.balances.available
    if available is None:
        available = account.balances.current or 0.0
    # 0 when the amount is small next to the balance, 1 when it exceeds it.
    pressure = min(1.0, max(0.0, amount) / available) if available > 0 else 1.0
    customer = _score(5 + 40 * pressure + 12 * returns + rng.uniform(0, 15))
    bank = _score(3 + 70 * pressure + 15 * returns + rng.uniform(0, 10))
    return SignalScores(
        ReturnRisk(customer, min(5, 1 + (customer - 1) * 5 // 99)),
        ReturnRisk(bank, min(8, 1 + (bank - 1) * 8 // 99)),
    )


def _score(value: float) -> int:
    return max(1, min(99, round(value)))
