"""The partner side: what a processor partner reads and reports through a processor token,
and the developer-side reads of the same data through an access token.

Method names are Plaid's operations in snake_case (`/processor/auth/get` ->
`processor_auth_get`). Every partner operation starts with
`TokenService.processor_token_for_partner`, which decides who may use the token and
whether its permissions include the product the endpoint needs (the table in
https://plaid.com/docs/api/processor-partners/ and SPEC-SUMMARY.md). Nothing is read or
written before that check passes, so a refused call leaves no trace.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from tokenbridge.domain import audit, errors
from tokenbridge.domain.models import Account, Client
from tokenbridge.domain.service import ItemAccounts, PartnerGrant, TokenService
from tokenbridge.sandbox import data
from tokenbridge.sandbox.institutions import INSTITUTIONS
from tokenbridge.webhooks import WebhookSender

# The product each partner endpoint needs; None means no product gate. Plaid publishes no
# machine-readable table; this follows the endpoint descriptions (SPEC-SUMMARY.md).
AUTH = "auth"
BALANCE = "balance"
IDENTITY = "identity"
IDENTITY_MATCH = "identity_match"
LIABILITIES = "liabilities"
INVESTMENTS = "investments"
SIGNAL = "signal"

# ACH return reason codes are "R" and two digits (R01 insufficient funds, R10, ...).
_RETURN_CODE = re.compile(r"^R\d{2}$")


@dataclass(frozen=True, slots=True)
class IdentityMatchUser:
    """The user data a partner compares with the account holder (all optional)."""

    legal_name: str | None = None
    phone_number: str | None = None
    email_address: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None

    @property
    def has_address(self) -> bool:
        return any((self.street, self.city, self.region, self.postal_code))


@dataclass(frozen=True, slots=True)
class NameMatchScore:
    score: int | None
    is_first_name_or_last_name_match: bool | None
    is_nickname_match: bool | None
    is_business_name_detected: bool | None


@dataclass(frozen=True, slots=True)
class PhoneNumberMatchScore:
    score: int | None


@dataclass(frozen=True, slots=True)
class EmailAddressMatchScore:
    score: int | None


@dataclass(frozen=True, slots=True)
class AddressMatchScore:
    score: int | None
    is_postal_code_match: bool | None


@dataclass(frozen=True, slots=True)
class IdentityMatchScores:
    """Plaid's scores, 0-100; a field the partner did not send has a null score."""

    legal_name: NameMatchScore
    phone_number: PhoneNumberMatchScore
    email_address: EmailAddressMatchScore
    address: AddressMatchScore


@dataclass(frozen=True, slots=True)
class SignalEvaluation:
    scores: data.SignalScores
    core_attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InvestmentTransactionsPage:
    grant: PartnerGrant
    investment_transactions: list[data.InvestmentTransaction]
    securities: list[data.Security]
    total_investment_transactions: int


def _country(institution_id: str) -> str:
    institution = INSTITUTIONS.get(institution_id)
    return institution.country_codes[0] if institution else "US"


def _similarity(a: str, b: str) -> int:
    return round(100 * difflib.SequenceMatcher(None, a, b).ratio())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def match_identity(user: IdentityMatchUser, owners: Sequence[data.Owner]) -> IdentityMatchScores:
    """Score the user's data against the best-matching value of any owner of the account.

    Plaid does not publish its scoring; these scores are a string similarity of the
    normalised values (100 for equal ones), which is enough to tell a match (Plaid
    suggests 70 or more) from a mismatch.
    """
    names = [n for o in owners for n in o.names]
    phones = [p.data for o in owners for p in o.phone_numbers]
    emails = [e.data for o in owners for e in o.emails]
    addresses = [a.data for o in owners for a in o.addresses]

    legal_name = NameMatchScore(None, None, None, None)
    if user.legal_name:
        given = _words(user.legal_name)
        best = max(names, key=lambda n: _similarity(" ".join(given), " ".join(_words(n))))
        have = _words(best)
        legal_name = NameMatchScore(
            score=_similarity(" ".join(given), " ".join(have)),
            is_first_name_or_last_name_match=bool(given and have)
            and (given[0] == have[0] or given[-1] == have[-1]),
            is_nickname_match=False,
            is_business_name_detected=False,
        )
    phone_number = PhoneNumberMatchScore(None)
    if user.phone_number:
        digits = re.sub(r"\D", "", user.phone_number)[-10:]
        phone_number = PhoneNumberMatchScore(
            max(_similarity(digits, re.sub(r"\D", "", p)[-10:]) for p in phones)
        )
    email_address = EmailAddressMatchScore(None)
    if user.email_address:
        wanted = user.email_address.strip().lower()
        email_address = EmailAddressMatchScore(max(_similarity(wanted, e.lower()) for e in emails))
    address = AddressMatchScore(None, None)
    if user.has_address:
        wanted_words = " ".join(_words(" ".join(filter(None, (user.street, user.city,
                                                              user.region)))))  # fmt: skip
        scored = [
            (_similarity(wanted_words, " ".join(_words(f"{a.street} {a.city} {a.region}"))), a)
            for a in addresses
        ]
        score, best_address = max(scored, key=lambda pair: pair[0])
        postal = (user.postal_code or "").strip()[:5]
        address = AddressMatchScore(
            score=score,
            is_postal_code_match=bool(postal) and (best_address.postal_code or "")[:5] == postal,
        )
    return IdentityMatchScores(legal_name, phone_number, email_address, address)


def _validate_webhook(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.InvalidField("webhook must be an http or https URL")


class PartnerService:
    """Partner reads and reports. Raises a `PlaidError` for anything Plaid would refuse."""

    def __init__(self, tokens: TokenService, webhooks: WebhookSender) -> None:
        self.tokens = tokens
        self.store = tokens.store
        self.webhooks = webhooks
        # (client, processor_token, product) -> PartnerGrant: every partner read starts here.
        self._grant = tokens.processor_token_for_partner

    # Account, Auth, Balance ------------------------------------------------------------

    async def processor_account_get(self, client: Client, processor_token: str) -> PartnerGrant:
        """The token's account with its cached balances (no product gate in Plaid's docs)."""
        return await self._grant(client, processor_token, None)

    async def processor_auth_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, data.AccountNumbers]:
        """The account's numbers; NO_AUTH_ACCOUNTS for an account Auth cannot serve
        (anything but a checking, savings or cash management account)."""
        grant = await self._grant(client, processor_token, AUTH)
        if not data.auth_eligible(grant.account):
            raise errors.NoAuthAccounts()
        numbers = data.numbers_for(grant.item, grant.account, _country(grant.item.institution_id))
        return grant, numbers

    async def processor_balance_get(self, client: Client, processor_token: str) -> PartnerGrant:
        """The account with its balances. The sandbox's balances do not move, so the
        "real-time" balance is the one /accounts/get shows."""
        return await self._grant(client, processor_token, BALANCE)

    # Identity --------------------------------------------------------------------------

    async def processor_identity_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, list[data.Owner]]:
        grant = await self._grant(client, processor_token, IDENTITY)
        return grant, data.owners_for(grant.item)

    async def processor_identity_match(
        self, client: Client, processor_token: str, user: IdentityMatchUser | None
    ) -> tuple[PartnerGrant, IdentityMatchScores]:
        grant = await self._grant(client, processor_token, IDENTITY_MATCH)
        scores = match_identity(user or IdentityMatchUser(), data.owners_for(grant.item))
        return grant, scores

    # Liabilities and investments --------------------------------------------------------

    async def processor_liabilities_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, data.LiabilitiesObject]:
        """NO_LIABILITY_ACCOUNTS unless the account is a credit card or a student loan or
        mortgage (https://plaid.com/docs/errors/item/#no_liability_accounts)."""
        grant = await self._grant(client, processor_token, LIABILITIES)
        if not data.liability_eligible(grant.account):
            raise errors.NoLiabilityAccounts()
        return grant, data.liabilities_for(grant.item, [grant.account])

    async def processor_investments_holdings_get(
        self, client: Client, processor_token: str
    ) -> tuple[PartnerGrant, list[data.Holding], list[data.Security]]:
        """NO_INVESTMENT_ACCOUNTS unless the account is an investment account."""
        grant = await self._grant(client, processor_token, INVESTMENTS)
        if not data.investments_eligible(grant.account):
            raise errors.NoInvestmentAccounts()
        holdings, securities = data.holdings_for(grant.item, grant.account)
        return grant, holdings, securities

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
        grant = await self._grant(client, processor_token, INVESTMENTS)
        if not data.investments_eligible(grant.account):
            raise errors.NoInvestmentAccounts()
        found, named = data.investment_transactions_for(grant.item, grant.account)
        in_range = [t for t in found if start_date <= t.date <= end_date]
        page = in_range[offset : offset + count]
        # Plaid lists the securities of the transactions returned, not of every one.
        wanted = {t.security_id for t in page if t.security_id is not None}
        securities = [s for s in named if s.security_id in wanted]
        return InvestmentTransactionsPage(grant, page, securities, len(in_range))

    # Signal ----------------------------------------------------------------------------

    async def processor_signal_evaluate(
        self,
        client: Client,
        processor_token: str,
        client_transaction_id: str,
        amount: float,
        request: dict[str, Any] | None = None,
    ) -> SignalEvaluation:
        """Return-risk scores for a planned ACH debit of `amount` from the account.

        Each evaluation is recorded, so that decision and return reports can name it; a
        return already reported for the account raises later scores.
        """
        if not amount > 0:
            raise errors.InvalidField("amount must be greater than 0")
        grant = await self._grant(client, processor_token, SIGNAL)
        records = await self.store.list_signal_records(grant.item.item_id)
        returns = sum(1 for r in records if r[0] == grant.account.account_id and r[1] == "return")
        scores = data.signal_scores(
            grant.item, grant.account, client_transaction_id, amount, returns
        )
        await self.store.add_signal_record(
            grant.item.item_id, grant.account.account_id, "evaluate", client_transaction_id,
            {"amount": amount, "scores": asdict(scores), **(request or {})}, self.tokens.clock(),
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
            report, self.tokens.clock(),
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
            {"return_code": return_code, "returned_at": returned_at}, self.tokens.clock(),
        )  # fmt: skip

    async def processor_signal_prepare(self, client: Client, processor_token: str) -> bool:
        """Opt the token's Item in to Signal; False (and no change) if it already was, as
        Plaid answers 200 in that case too."""
        grant = await self._grant(client, processor_token, SIGNAL)
        if await self.store.list_signal_records(grant.item.item_id, "prepare"):
            return False
        await self.store.add_signal_record(
            grant.item.item_id, grant.account.account_id, "prepare", None, {},
            self.tokens.clock(),
        )  # fmt: skip
        return True

    # Webhook ---------------------------------------------------------------------------

    async def processor_token_webhook_update(
        self,
        client: Client,
        processor_token: str,
        webhook: str | None,
        *,
        request_id: str | None = None,
    ) -> None:
        """Store the token's webhook URL (None removes it) and send WEBHOOK_UPDATE_ACKNOWLEDGED
        to the new URL in the background.

        The payload is Plaid's processor variant (ProcessorTokenWebhookUpdate): webhook_type
        `PROCESSOR_TOKEN`, and the token's `account_id` where an Item's webhook names the
        `item_id` (https://plaid.com/docs/api/processor-partners/#processortokenwebhookupdate).
        """
        if webhook is not None:
            _validate_webhook(webhook)
        grant = await self._grant(client, processor_token, None)
        token = grant.token
        entry = audit.entry(
            self.tokens.clock(), client.client_id, audit.PROCESSOR_TOKEN_WEBHOOK_UPDATE,
            request_id, item_id=token.item_id, account_id=token.account_id,
            token_hash=token.token_hash, processor=token.processor, detail=webhook,
        )  # fmt: skip
        if not await self.store.set_processor_token_webhook(token.token_hash, webhook, [entry]):
            raise errors.InvalidProcessorToken()
        if webhook is not None:
            self.webhooks.send(
                webhook,
                {
                    "webhook_type": "PROCESSOR_TOKEN",
                    "webhook_code": "WEBHOOK_UPDATE_ACKNOWLEDGED",
                    "account_id": grant.account.account_id,
                    "new_webhook_url": webhook,
                    "error": None,
                    "environment": self.tokens.environment,
                },
            )

    # Developer side --------------------------------------------------------------------

    async def auth_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None
    ) -> tuple[ItemAccounts, list[data.AccountNumbers]]:
        """The Item's accounts and the numbers of those Auth can serve; NO_AUTH_ACCOUNTS
        when none of the (selected) accounts can."""
        found = await self.tokens.accounts_get(client, access_token, account_ids, "auth_get")
        country = _country(found.item.institution_id)
        numbers = [
            data.numbers_for(found.item, a, country)
            for a in found.accounts
            if data.auth_eligible(a)
        ]
        if not numbers:
            raise errors.NoAuthAccounts()
        return found, numbers

    async def accounts_balance_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None
    ) -> ItemAccounts:
        return await self.tokens.accounts_get(
            client, access_token, account_ids, "accounts_balance_get"
        )

    async def identity_get(
        self, client: Client, access_token: str, account_ids: Sequence[str] | None = None
    ) -> tuple[ItemAccounts, list[data.Owner]]:
        found = await self.tokens.accounts_get(client, access_token, account_ids, "identity_get")
        return found, data.owners_for(found.item)


def _core_attributes(
    account: Account,
    records: Sequence[tuple[str, str, str | None, dict[str, Any], float]],
    grant: PartnerGrant,
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
