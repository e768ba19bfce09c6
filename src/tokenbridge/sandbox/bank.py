"""The sandbox's bank: Plaid's sandbox institutions and test users, and deterministic data
for every account, behind the domain's `Bank` port.

What the ids cannot give, the user's own data (a user_custom configuration), the bank keeps
in the Item's profile, written when the Item is linked (sandbox/custom.py). Every other answer
is computed from the Item's and account's own ids (and, for transactions, the refresh history
the store keeps), so every server over one database gives the same answer for the same
account.
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
from tokenbridge.domain.models import Account, CreatedTransaction, Institution, Item, Login
from tokenbridge.sandbox import (
    custom,
    identity,
    investments,
    liabilities,
    numbers,
    signal,
    transactions,
)
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
        self, institution_id: str, username: str, password: str, item_id: str
    ) -> Login | None:
        check_login(institution_id)
        # Every sandbox institution knows every test user.
        return accounts_for(username, password, item_id)

    def numbers(self, item: Item, account: Account) -> AccountNumbers:
        institution = INSTITUTIONS.get(item.institution_id)
        derived = (
            numbers.numbers_for(item, account)
            if institution is None
            else numbers.numbers_for(
                item, account, institution.country_codes[0], institution.routing_numbers
            )
        )
        configured = custom.account_profile(item.profile, account.position)
        if configured is None or configured.numbers is None:
            return derived
        return numbers.configured_numbers(account, configured.numbers, derived)

    def owners(self, item: Item, account: Account) -> list[Owner]:
        derived = identity.owners_for(item)
        if item.profile is None:
            return derived
        return identity.configured_owners(custom.profile(item.profile), account.position, derived)

    def liabilities(self, item: Item, accounts: Sequence[Account]) -> LiabilitiesObject:
        found = liabilities.liabilities_for(item, list(accounts))
        if item.profile is None:
            return found
        # A user_custom `liability` sets fields of the account's generated one (credit
        # cards and student loans: "Mortgages are not currently supported").
        configured = {
            a.account_id: c.liability
            for a in accounts
            if (c := custom.account_profile(item.profile, a.position)) and c.liability
        }
        credit = [
            liabilities.configured_credit(x, configured[x.account_id])
            if x.account_id in configured else x
            for x in found.credit or []
        ]  # fmt: skip
        student = [
            liabilities.configured_student(x, configured[x.account_id])
            if x.account_id in configured else x
            for x in found.student or []
        ]  # fmt: skip
        return LiabilitiesObject(credit or None, found.mortgage, student or None)

    def holdings(self, item: Item, account: Account) -> tuple[list[Holding], list[Security]]:
        configured = custom.account_profile(item.profile, account.position)
        if configured is not None and configured.holdings is not None:
            return investments.configured_holdings(item, account, configured.holdings)
        return investments.holdings_for(item, account)

    def investments_numbers(self, item: Item, account: Account) -> InvestmentsAuthNumbers:
        institution = INSTITUTIONS.get(item.institution_id)
        country = institution.country_codes[0] if institution else "US"
        dtc = institution.dtc_numbers if institution else ()
        return investments.investments_numbers_for(item, account, country, dtc)

    def investment_transactions(
        self, item: Item, account: Account
    ) -> tuple[list[InvestmentTransaction], list[Security]]:
        configured = custom.account_profile(item.profile, account.position)
        if configured is not None and configured.investment_transactions is not None:
            return investments.configured_investment_transactions(
                item, account, configured.investment_transactions
            )
        return investments.investment_transactions_for(item, account)

    def signal_scores(
        self, item: Item, account: Account, client_transaction_id: str, amount: float,
        returns: int,
    ) -> SignalScores:  # fmt: skip
        return signal.signal_scores(item, account, client_transaction_id, amount, returns)

    def transactions(
        self, item: Item, account: Account, days_requested: int, refreshes: Sequence[date],
        created: Sequence[CreatedTransaction] = (),
    ) -> dict[str, BankTransaction]:  # fmt: skip
        linked = utc_date(item.created_at)
        configured = custom.account_profile(item.profile, account.position)
        if configured is not None and configured.transactions is not None:
            found = transactions.configured(
                item.item_id, account.account_id, configured.transactions,
                configured.currency, linked, refreshes,
            )  # fmt: skip
        else:
            seed = custom.profile(item.profile).seed if item.profile else None
            found = transactions.state(
                item.item_id, account.account_id, account.type, account.subtype,
                linked, days_requested, refreshes,
                seed=f"{seed}\x1f{account.position}" if seed else None,
            )  # fmt: skip
        if created:
            found.update(transactions.created(item.item_id, created))
        return found

    def accepts_sandbox_transactions(self, item: Item) -> bool:
        # https://plaid.com/docs/api/sandbox/#sandboxtransactionscreate: "can only be used
        # with Items that were created ... using the user_transactions_dynamic test user".
        return item.profile is not None and custom.profile(item.profile).user == (
            custom.DYNAMIC_USERNAME
        )
