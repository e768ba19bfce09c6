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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

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
from tokenbridge.domain.eligibility import auth_eligible, investments_eligible, liability_eligible
from tokenbridge.domain.identity_match import IdentityMatchScores, IdentityMatchUser, match_identity
from tokenbridge.domain.items import ItemService
from tokenbridge.domain.models import Client, ItemAccounts, PartnerGrant
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


@dataclass(frozen=True, slots=True)
class InvestmentsAuth:
    """What /processor/investments/auth/get answers about the token's account."""

    grant: PartnerGrant
    numbers: InvestmentsAuthNumbers
    owner_names: list[str]
    holdings: list[Holding]
    securities: list[Security]


@dataclass(frozen=True, slots=True)
class InvestmentTransactionsPage:
    grant: PartnerGrant
    investment_transactions: list[InvestmentTransaction]
    securities: list[Security]
    total_investment_transactions: int


class PartnerService:
    """Partner reads. Raises a `PlaidError` for anything Plaid would refuse."""

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

    async def processor_auth_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, AccountNumbers]:
        """The account's numbers; NO_AUTH_ACCOUNTS for an account Auth cannot serve
        (anything but a checking, savings or cash management account)."""
        grant = await self._grant(client, processor_token, AUTH)
        if not auth_eligible(grant.account):
            raise errors.NoAuthAccounts()
        check_verified(grant.account)
        if not auth_servable(grant.account):
            raise errors.NoAuthAccounts()
        return grant, self.bank.numbers(grant.item, grant.account)

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

    async def processor_identity_match(
        self, client: Client, processor_token: str, user: IdentityMatchUser | None
    ) -> tuple[PartnerGrant, IdentityMatchScores]:
        grant = await self._grant(client, processor_token, IDENTITY_MATCH)
        owners = self.bank.owners(grant.item, grant.account)
        scores = match_identity(user or IdentityMatchUser(), owners)
        return grant, scores

    # Liabilities and investments --------------------------------------------------------

    async def processor_liabilities_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, LiabilitiesObject]:
        """NO_LIABILITY_ACCOUNTS unless the account is a credit card or a student loan or
        mortgage (https://plaid.com/docs/errors/item/#no_liability_accounts)."""
        grant = await self._grant(client, processor_token, LIABILITIES)
        if not liability_eligible(grant.account):
            raise errors.NoLiabilityAccounts()
        return grant, self.bank.liabilities(grant.item, [grant.account])

    async def processor_investments_holdings_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, list[Holding], list[Security]]:
        """NO_INVESTMENT_ACCOUNTS unless the account is an investment account."""
        grant = await self._investment_grant(client, processor_token, INVESTMENTS)
        holdings, securities = self.bank.holdings(grant.item, grant.account)
        return grant, holdings, securities

    async def _investment_grant(
        self, client: Client, processor_token: str, product: str
    ) -> PartnerGrant:
        """The grant of a token for an Investments read (`product`): NO_INVESTMENT_ACCOUNTS
        unless its account is an investment account."""
        grant = await self._grant(client, processor_token, product)
        if not investments_eligible(grant.account):
            raise errors.NoInvestmentAccounts()
        return grant

    async def processor_investments_auth_get(
        self, client: Client, processor_token: str
    ) -> InvestmentsAuth:
        """The investment account's transfer numbers, owners' names and holdings (the
        `investments_auth` product); NO_INVESTMENT_ACCOUNTS unless it is an investment
        account, as for the other Investments reads."""
        grant = await self._investment_grant(client, processor_token, INVESTMENTS_AUTH)
        holdings, securities = self.bank.holdings(grant.item, grant.account)
        names = [
            name for owner in self.bank.owners(grant.item, grant.account) for name in owner.names
        ]
        return InvestmentsAuth(
            grant=grant,
            numbers=self.bank.investments_numbers(grant.item, grant.account),
            owner_names=list(dict.fromkeys(names)),
            holdings=holdings,
            securities=securities,
        )

    async def processor_investments_transactions_get(
        self,
        client: Client,
        processor_token: str,
        start_date: date,
        end_date: date,
        count: int = 100,
        offset: int = 0,
    ) -> InvestmentTransactionsPage:
        """One page (`count` from `offset`, newest first) of the account's investment
        transactions dated from `start_date` to `end_date` inclusive."""
        if start_date > end_date:
            raise errors.InvalidField("start_date must be on or before end_date")
        grant = await self._investment_grant(client, processor_token, INVESTMENTS)
        found, named = self.bank.investment_transactions(grant.item, grant.account)
        in_range = [t for t in found if start_date <= t.date <= end_date]
        page = in_range[offset : offset + count]
        # Plaid lists the securities of the transactions returned, not of every one.
        wanted = {t.security_id for t in page if t.security_id is not None}
        securities = [s for s in named if s.security_id in wanted]
        return InvestmentTransactionsPage(grant, page, securities, len(in_range))

    # Developer side --------------------------------------------------------------------

    async def auth_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None
    ) -> tuple[ItemAccounts, list[AccountNumbers]]:
        """The Item's accounts and the numbers of those Auth can serve; NO_AUTH_ACCOUNTS
        when none of the (selected) accounts can."""
        found = await self.items.accounts_get(client, access_token, account_ids, "auth_get")
        eligible = [a for a in found.accounts if auth_eligible(a)]
        for account in eligible:
            check_verified(account)
        numbers = [self.bank.numbers(found.item, a) for a in eligible if auth_servable(a)]
        if not numbers:
            raise errors.NoAuthAccounts()
        return found, numbers

    async def accounts_balance_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None
    ) -> ItemAccounts:
        return await self.items.accounts_get(
            client, access_token, account_ids, "accounts_balance_get"
        )

    async def identity_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None
    ) -> tuple[ItemAccounts, dict[str, list[Owner]]]:
        """The Item's accounts and the owners of each (by account_id)."""
        found = await self.items.accounts_get(client, access_token, account_ids, "identity_get")
        return found, {a.account_id: self.bank.owners(found.item, a) for a in found.accounts}
