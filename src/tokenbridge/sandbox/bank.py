"""The sandbox's bank: Plaid's sandbox institutions and test users, and deterministic data
for every account, behind the domain's `Bank` port.

Nothing here is stored: every answer is computed from the Item's and account's own ids (and,
for transactions, the refresh history the store keeps), so every server over one database
gives the same answer for the same account.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from tokenbridge.domain.bank_records import (
    AccountNumbers,
    BankTransaction,
    Holding,
    InvestmentsAuthNumbers,
    InvestmentTransaction,
    LiabilitiesObject,
    Owner,
    Security,
    SignalScores,
)
from tokenbridge.domain.dates import utc_date
from tokenbridge.domain.models import Account, AccountTemplate, Institution, Item
from tokenbridge.sandbox import identity, investments, liabilities, numbers, signal, transactions
from tokenbridge.sandbox.institutions import INSTITUTIONS, check_login
from tokenbridge.sandbox.users import accounts_for

_ALL_INSTITUTIONS: tuple[Institution, ...] = tuple(INSTITUTIONS.values())


class SandboxBank:
    """Implements `tokenbridge.domain.ports.Bank`."""

    def institution(self, institution_id: str) -> Institution | None:
        return INSTITUTIONS.get(institution_id)

    def institutions(self) -> Sequence[Institution]:
        return _ALL_INSTITUTIONS

    def accounts_for_login(
        self, institution_id: str, username: str, password: str
    ) -> Sequence[AccountTemplate] | None:
        check_login(institution_id)
        # Every sandbox institution knows every test user.
        return accounts_for(username, password)

    def numbers(self, item: Item, account: Account) -> AccountNumbers:
        institution = INSTITUTIONS.get(item.institution_id)
        if institution is None:
            return numbers.numbers_for(item, account)
        return numbers.numbers_for(
            item, account, institution.country_codes[0], institution.routing_numbers
        )

    def owners(self, item: Item) -> list[Owner]:
        return identity.owners_for(item)

    def liabilities(self, item: Item, accounts: Sequence[Account]) -> LiabilitiesObject:
        return liabilities.liabilities_for(item, list(accounts))

    def holdings(self, item: Item, account: Account) -> tuple[list[Holding], list[Security]]:
        return investments.holdings_for(item, account)

    def investments_numbers(self, item: Item, account: Account) -> InvestmentsAuthNumbers:
        institution = INSTITUTIONS.get(item.institution_id)
        country = institution.country_codes[0] if institution else "US"
        dtc = institution.dtc_numbers if institution else ()
        return investments.investments_numbers_for(item, account, country, dtc)

    def investment_transactions(
        self, item: Item, account: Account
    ) -> tuple[list[InvestmentTransaction], list[Security]]:
        return investments.investment_transactions_for(item, account)

    def signal_scores(
        self, item: Item, account: Account, client_transaction_id: str, amount: float,
        returns: int,
    ) -> SignalScores:  # fmt: skip
        return signal.signal_scores(item, account, client_transaction_id, amount, returns)

    def transactions(
        self, item: Item, account: Account, days_requested: int, refreshes: Sequence[date]
    ) -> dict[str, BankTransaction]:
        return transactions.state(
            item.item_id, account.account_id, account.type, account.subtype,
            utc_date(item.created_at), days_requested, refreshes,
        )  # fmt: skip
