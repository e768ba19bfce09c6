"""Partner reads: what a processor partner reads through a processor token, and the
developer-side reads of the same data through an access token.

Method names are Plaid's operations in snake_case (`/processor/auth/get` ->
`processor_auth_get`). Every partner operation starts with
`ProcessorTokenService.processor_token_for_partner`, which decides who may use the token
and whether its permissions include the product the endpoint needs (the table in
https://plaid.com/docs/api/processor-partners/ and SPEC-SUMMARY.md). Nothing is read or
written before that check passes, so a refused call leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from tokenbridge.domain import errors
from tokenbridge.domain.auth import auth_servable, check_verified
from tokenbridge.domain.bank_records import (
    AccountNumbers,
    Holding,
    InvestmentsAuthNumbers,
    InvestmentTransaction,
    LiabilitiesObject,
    Owner,
    Security,
)
from tokenbridge.domain.dates import check_range
from tokenbridge.domain.eligibility import auth_eligible, investments_eligible, liability_eligible
from tokenbridge.domain.identity_match import IdentityMatchScores, IdentityMatchUser, match_identity
from tokenbridge.domain.items import ItemService
from tokenbridge.domain.models import Account, Client, Item, ItemAccounts, PartnerGrant
from tokenbridge.domain.ports import Bank
from tokenbridge.domain.processor_tokens import ProcessorTokenService

# The product each partner endpoint needs; None means no product gate. Plaid publishes no
# machine-readable table; this follows the endpoint descriptions (SPEC-SUMMARY.md).
AUTH = "auth"
BALANCE = "balance"
IDENTITY = "identity"
IDENTITY_MATCH = "identity_match"
LIABILITIES = "liabilities"
INVESTMENTS = "investments"
INVESTMENTS_AUTH = "investments_auth"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Liabilities:
    """What /liabilities/get answers: the Item and its (selected) accounts, and the details
    of those that are liabilities."""

    item: Item
    accounts: list[Account]
    liabilities: LiabilitiesObject


@dataclass(frozen=True, slots=True)
class Holdings:
    """The investment accounts' holdings, and each security they name once."""

    item: Item
    accounts: list[Account]
    holdings: list[Holding]
    securities: list[Security]


@dataclass(frozen=True, slots=True)
class InvestmentsAuth:
    """What the Investments Auth reads answer: the investment accounts' transfer numbers,
    owners' names (by account_id) and holdings."""

    item: Item
    accounts: list[Account]
    numbers: InvestmentsAuthNumbers
    owner_names: dict[str, list[str]]
    holdings: list[Holding]
    securities: list[Security]


@dataclass(frozen=True, slots=True)
class InvestmentTransactionsPage:
    item: Item
    accounts: list[Account]
    investment_transactions: list[InvestmentTransaction]
    securities: list[Security]
    total_investment_transactions: int


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    item: Item
    accounts: list[Account]
    scores: dict[str, IdentityMatchScores]  # by account_id


def _unique_securities(securities: Sequence[Security]) -> list[Security]:
    """Each security once, in first-seen order: two accounts may hold the same one."""
    return list({s.security_id: s for s in reversed(securities)}.values())[::-1]


class PartnerService:
    """The reads of the partner products, from either side. Raises a `PlaidError` for
    anything Plaid would refuse.

    Each product is served by one method over an Item and some of its accounts (`_holdings`,
    `_liabilities`, ...). The partner form (`processor_*`) reaches it through the processor
    token's grant (its one account, its product permissions); the developer form through
    the access token (the Item's accounts or `account_ids`, and the product rule of
    `ItemService.product_accounts`). The Item-state, account-type and product rules are
    therefore the same for both sides, and so is the data.
    """

    def __init__(
        self, bank: Bank, items: ItemService, processor_tokens: ProcessorTokenService
    ) -> None:
        self.bank = bank
        self.items = items
        # (client, processor_token, product) -> PartnerGrant: every partner read starts here.
        self._grant = processor_tokens.processor_token_for_partner

    # Account, Auth, Balance ------------------------------------------------------------

    async def processor_account_get(self, client: Client, processor_token: str) -> PartnerGrant:
        """The token's account with its cached balances (no product gate in Plaid's docs)."""
        return await self._grant(client, processor_token, None)

    def _account_numbers(self, item: Item, account: Account) -> AccountNumbers | None:
        """The account's numbers, or None if Auth does not serve it (not checking, savings
        or cash management, or its verification expired); an account waiting for its
        micro-deposits is PRODUCT_NOT_READY."""
        if not auth_eligible(account):
            return None
        check_verified(account)
        return self.bank.numbers(item, account) if auth_servable(account) else None

    def _numbers(self, item: Item, accounts: Sequence[Account]) -> list[AccountNumbers]:
        """The numbers of those of `accounts` that Auth serves; NO_AUTH_ACCOUNTS if none."""
        found = [self._account_numbers(item, a) for a in accounts]
        numbers = [n for n in found if n is not None]
        if not numbers:
            raise errors.NoAuthAccounts()
        return numbers

    async def processor_auth_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, AccountNumbers]:
        grant = await self._grant(client, processor_token, AUTH)
        # One account: the list of `_numbers` is skipped on the busiest partner read.
        numbers = self._account_numbers(grant.item, grant.account)
        if numbers is None:
            raise errors.NoAuthAccounts()
        return grant, numbers

    async def processor_balance_get(self, client: Client, processor_token: str) -> PartnerGrant:
        """The account with its balances. The sandbox's balances do not move, so the
        "real-time" balance is the one /accounts/get shows."""
        return await self._grant(client, processor_token, BALANCE)

    # Identity --------------------------------------------------------------------------

    async def processor_identity_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, list[Owner]]:
        grant = await self._grant(client, processor_token, IDENTITY)
        return grant, self.bank.owners(grant.item, grant.account)

    def _identity_match(
        self, item: Item, accounts: Sequence[Account], user: IdentityMatchUser | None
    ) -> IdentityMatch:
        """Each account's scores of `user` against its owners."""
        user = user or IdentityMatchUser()
        scores = {a.account_id: match_identity(user, self.bank.owners(item, a)) for a in accounts}
        return IdentityMatch(item, list(accounts), scores)

    async def processor_identity_match(
        self, client: Client, processor_token: str, user: IdentityMatchUser | None
    ) -> IdentityMatch:
        grant = await self._grant(client, processor_token, IDENTITY_MATCH)
        return self._identity_match(grant.item, [grant.account], user)

    # Liabilities and investments --------------------------------------------------------

    def _liabilities(self, item: Item, accounts: Sequence[Account]) -> Liabilities:
        """NO_LIABILITY_ACCOUNTS unless one of `accounts` is a credit card or a student loan
        or mortgage (https://plaid.com/docs/errors/item/#no_liability_accounts)."""
        if not any(liability_eligible(a) for a in accounts):
            raise errors.NoLiabilityAccounts()
        return Liabilities(item, list(accounts), self.bank.liabilities(item, accounts))

    async def processor_liabilities_get(self, client: Client, processor_token: str) -> Liabilities:
        grant = await self._grant(client, processor_token, LIABILITIES)
        return self._liabilities(grant.item, [grant.account])

    @staticmethod
    def _investment_accounts(accounts: Sequence[Account]) -> list[Account]:
        """The investment accounts among `accounts`; NO_INVESTMENT_ACCOUNTS if there is none."""
        found = [a for a in accounts if investments_eligible(a)]
        if not found:
            raise errors.NoInvestmentAccounts()
        return found

    def _holdings(self, item: Item, accounts: Sequence[Account]) -> Holdings:
        held: list[Holding] = []
        named: list[Security] = []
        for account in self._investment_accounts(accounts):
            holdings, securities = self.bank.holdings(item, account)
            held.extend(holdings)
            named.extend(securities)
        return Holdings(item, list(accounts), held, _unique_securities(named))

    async def processor_investments_holdings_get(
        self, client: Client, processor_token: str
    ) -> Holdings:
        grant = await self._grant(client, processor_token, INVESTMENTS)
        return self._holdings(grant.item, [grant.account])

    def _investments_auth(self, item: Item, accounts: Sequence[Account]) -> InvestmentsAuth:
        """The investment accounts' transfer numbers, owners' names and holdings (the
        `investments_auth` product); NO_INVESTMENT_ACCOUNTS as for the other Investments
        reads."""
        investment = self._investment_accounts(accounts)
        numbers = [self.bank.investments_numbers(item, a) for a in investment]
        names = {
            a.account_id: list(dict.fromkeys(
                name for owner in self.bank.owners(item, a) for name in owner.names
            ))
            for a in investment
        }  # fmt: skip
        held = self._holdings(item, investment)
        return InvestmentsAuth(
            item=item,
            accounts=list(accounts),
            numbers=InvestmentsAuthNumbers(
                acats=[n for found in numbers for n in found.acats],
                aton=[n for found in numbers for n in found.aton],
                retirement_401k=[n for found in numbers for n in found.retirement_401k],
            ),
            owner_names=names,
            holdings=held.holdings,
            securities=held.securities,
        )

    async def processor_investments_auth_get(
        self, client: Client, processor_token: str
    ) -> InvestmentsAuth:
        grant = await self._grant(client, processor_token, INVESTMENTS_AUTH)
        return self._investments_auth(grant.item, [grant.account])

    def _investment_transactions(
        self, item: Item, accounts: Sequence[Account], start_date: date, end_date: date,
        count: int, offset: int,
    ) -> InvestmentTransactionsPage:  # fmt: skip
        """One page (`count` from `offset`, newest first) of the investment accounts'
        transactions dated from `start_date` to `end_date` inclusive."""
        found: list[InvestmentTransaction] = []
        named: list[Security] = []
        for account in self._investment_accounts(accounts):
            transactions, securities = self.bank.investment_transactions(item, account)
            found.extend(t for t in transactions if start_date <= t.date <= end_date)
            named.extend(securities)
        # The bank lists each account's newest first; a stable sort keeps that order among
        # transactions of one day, so one account's pages are the same from either side.
        found.sort(key=lambda t: t.date, reverse=True)
        page = found[offset : offset + count]
        # Plaid lists the securities of the transactions returned, not of every one.
        wanted = {t.security_id for t in page if t.security_id is not None}
        securities = [s for s in _unique_securities(named) if s.security_id in wanted]
        return InvestmentTransactionsPage(item, list(accounts), page, securities, len(found))

    async def processor_investments_transactions_get(
        self,
        client: Client,
        processor_token: str,
        start_date: date,
        end_date: date,
        count: int = 100,
        offset: int = 0,
    ) -> InvestmentTransactionsPage:
        check_range(start_date, end_date)
        grant = await self._grant(client, processor_token, INVESTMENTS)
        return self._investment_transactions(
            grant.item, [grant.account], start_date, end_date, count, offset
        )

    # Developer side --------------------------------------------------------------------

    async def _developer_read(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None,
        operation: str, product: str, read: Callable[[Item, list[Account]], T],
        request_id: str | None,
    ) -> T:  # fmt: skip
        """`read` over the access token's Item and its (selected) accounts, under the product
        rule: checked first, and the product added to the Item only once `read` succeeded."""
        found = await self.items.product_accounts(
            client, access_token, account_ids, operation, product
        )
        result = read(found.item, found.accounts)
        await self.items.add_product(
            client, access_token, found.item, product, request_id=request_id
        )
        return result

    async def auth_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None,
        *, request_id: str | None = None,
    ) -> tuple[ItemAccounts, list[AccountNumbers]]:  # fmt: skip
        """The Item's accounts and the numbers of those Auth can serve; NO_AUTH_ACCOUNTS
        when none of the (selected) accounts can."""
        return await self._developer_read(
            client, access_token, account_ids, "auth_get", AUTH,
            lambda item, accounts: (ItemAccounts(item, accounts), self._numbers(item, accounts)),
            request_id,
        )  # fmt: skip

    async def accounts_balance_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None
    ) -> ItemAccounts:
        return await self.items.accounts_get(
            client, access_token, account_ids, "accounts_balance_get"
        )

    async def identity_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None,
        *, request_id: str | None = None,
    ) -> tuple[ItemAccounts, dict[str, list[Owner]]]:  # fmt: skip
        """The Item's accounts and the owners of each (by account_id)."""
        return await self._developer_read(
            client, access_token, account_ids, "identity_get", IDENTITY,
            lambda item, accounts: (
                ItemAccounts(item, accounts),
                {a.account_id: self.bank.owners(item, a) for a in accounts},
            ),
            request_id,
        )  # fmt: skip

    async def identity_match(
        self, client: Client, access_token: str, user: IdentityMatchUser | None,
        account_ids: Sequence[str] | None = None, *, request_id: str | None = None,
    ) -> IdentityMatch:  # fmt: skip
        return await self._developer_read(
            client, access_token, account_ids, "identity_match", IDENTITY_MATCH,
            lambda item, accounts: self._identity_match(item, accounts, user), request_id,
        )  # fmt: skip

    async def liabilities_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None,
        *, request_id: str | None = None,
    ) -> Liabilities:  # fmt: skip
        return await self._developer_read(
            client, access_token, account_ids, "liabilities_get", LIABILITIES,
            self._liabilities, request_id,
        )  # fmt: skip

    async def investments_holdings_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None,
        *, request_id: str | None = None,
    ) -> Holdings:  # fmt: skip
        return await self._developer_read(
            client, access_token, account_ids, "investments_holdings_get", INVESTMENTS,
            self._holdings, request_id,
        )  # fmt: skip

    async def investments_auth_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None,
        *, request_id: str | None = None,
    ) -> InvestmentsAuth:  # fmt: skip
        return await self._developer_read(
            client, access_token, account_ids, "investments_auth_get", INVESTMENTS_AUTH,
            self._investments_auth, request_id,
        )  # fmt: skip

    async def investments_transactions_get(
        self,
        client: Client,
        access_token: str,
        start_date: date,
        end_date: date,
        account_ids: Sequence[str] | None = None,
        count: int = 100,
        offset: int = 0,
        *,
        request_id: str | None = None,
    ) -> InvestmentTransactionsPage:
        check_range(start_date, end_date)
        return await self._developer_read(
            client, access_token, account_ids, "investments_transactions_get", INVESTMENTS,
            lambda item, accounts: self._investment_transactions(
                item, accounts, start_date, end_date, count, offset
            ),
            request_id,
        )  # fmt: skip
