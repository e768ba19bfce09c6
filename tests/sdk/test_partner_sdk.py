"""A processor partner created with the CLI reads, through plaid-python, the token that a
developer made for it: every response deserialises in the official client, unmodified."""

from __future__ import annotations

from datetime import date

import pytest
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.identity_match_user import IdentityMatchUser
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.processor_account_get_request import ProcessorAccountGetRequest
from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest
from plaid.model.processor_balance_get_request import ProcessorBalanceGetRequest
from plaid.model.processor_identity_get_request import ProcessorIdentityGetRequest
from plaid.model.processor_identity_match_request import ProcessorIdentityMatchRequest
from plaid.model.processor_investments_auth_get_request import ProcessorInvestmentsAuthGetRequest
from plaid.model.processor_investments_holdings_get_request import (
    ProcessorInvestmentsHoldingsGetRequest,
)
from plaid.model.processor_investments_transactions_get_request import (
    ProcessorInvestmentsTransactionsGetRequest,
)
from plaid.model.processor_liabilities_get_request import ProcessorLiabilitiesGetRequest
from plaid.model.processor_signal_decision_report_request import (
    ProcessorSignalDecisionReportRequest,
)
from plaid.model.processor_signal_evaluate_request import ProcessorSignalEvaluateRequest
from plaid.model.processor_signal_prepare_request import ProcessorSignalPrepareRequest
from plaid.model.processor_signal_return_report_request import (
    ProcessorSignalReturnReportRequest,
)
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_token_permissions_set_request import (
    ProcessorTokenPermissionsSetRequest,
)
from plaid.model.processor_token_webhook_update import ProcessorTokenWebhookUpdate
from plaid.model.processor_token_webhook_update_request import ProcessorTokenWebhookUpdateRequest
from plaid.model.products import Products
from plaid.model_utils import validate_and_convert_types

from tests.helpers import LiveServer, WebhookReceiver
from tests.sdk.conftest import Linked, api_error, create_partner, link, sdk_client
from tokenbridge.sandbox.numbers import aba_valid

NAMES = ("Plaid Checking", "Plaid Saving", "Plaid CD", "Plaid Credit Card", "Plaid Money Market",
         "Plaid IRA", "Plaid 401k", "Plaid Student Loan", "Plaid Mortgage")  # fmt: skip


@pytest.fixture(scope="module")
def moov(server: LiveServer) -> plaid_api.PlaidApi:
    return sdk_client(server, *create_partner(server.database_url, "moov"))


def tokens_for(client: plaid_api.PlaidApi, linked: Linked, processor: str = "dwolla"
               ) -> dict[str, str]:  # fmt: skip
    """One processor token per default account, by account name (the Item's order)."""
    return {
        name: client.processor_token_create(
            ProcessorTokenCreateRequest(
                access_token=linked.access_token, account_id=account_id, processor=processor
            )
        ).processor_token
        for name, account_id in zip(NAMES, linked.account_ids, strict=False)
    }


def test_partner_reads_every_endpoint(client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi
                                      ) -> None:  # fmt: skip
    linked = link(client)
    tokens = tokens_for(client, linked)
    checking = tokens["Plaid Checking"]

    account = dwolla.processor_account_get(ProcessorAccountGetRequest(processor_token=checking))
    assert account.institution_id == "ins_109508"
    assert account.account.account_id == linked.account_ids[0]

    auth = dwolla.processor_auth_get(ProcessorAuthGetRequest(processor_token=checking))
    assert auth.numbers.ach.account_id == linked.account_ids[0]
    assert aba_valid(auth.numbers.ach.routing)
    assert auth.numbers.eft is None and auth.numbers.bacs is None

    balance = dwolla.processor_balance_get(ProcessorBalanceGetRequest(processor_token=checking))
    assert (balance.account.balances.available, balance.account.balances.current) == (100, 110)

    identity = dwolla.processor_identity_get(ProcessorIdentityGetRequest(processor_token=checking))
    owner = identity.account.owners[0]
    assert owner.names and owner.addresses[0].data.street

    match = dwolla.processor_identity_match(
        ProcessorIdentityMatchRequest(
            processor_token=checking,
            user=IdentityMatchUser(legal_name=owner.names[0],
                                   email_address=owner.emails[0].data),
        )
    )  # fmt: skip
    assert match.account.legal_name.score == 100
    assert match.account.email_address.score == 100

    for name, kind in (("Plaid Credit Card", "credit"), ("Plaid Student Loan", "student"),
                       ("Plaid Mortgage", "mortgage")):  # fmt: skip
        liabilities = dwolla.processor_liabilities_get(
            ProcessorLiabilitiesGetRequest(processor_token=tokens[name])
        ).liabilities
        assert len(liabilities[kind]) == 1

    holdings = dwolla.processor_investments_holdings_get(
        ProcessorInvestmentsHoldingsGetRequest(processor_token=tokens["Plaid 401k"])
    )
    total = sum(h.institution_value for h in holdings.holdings)
    assert total == pytest.approx(23631.9805, abs=1e-3)
    assert len(holdings.securities) == len(holdings.holdings)
    # Plaid's Security requires these; the sandbox holds no bonds or options.
    assert all(s.fixed_income is None and s.option_contract is None and s.figi is None
               for s in holdings.securities)  # fmt: skip

    moves = dwolla.processor_investments_transactions_get(
        ProcessorInvestmentsTransactionsGetRequest(
            processor_token=tokens["Plaid IRA"], start_date=date(2000, 1, 1),
            end_date=date(2100, 1, 1),
        )
    )  # fmt: skip
    assert moves.total_investment_transactions == len(moves.investment_transactions) > 0

    scores = dwolla.processor_signal_evaluate(
        ProcessorSignalEvaluateRequest(processor_token=checking, client_transaction_id="t-1",
                                       amount=42.0)
    ).scores  # fmt: skip
    assert 1 <= scores.customer_initiated_return_risk.score.value <= 99
    assert 1 <= scores.bank_initiated_return_risk.risk_tier.value <= 8
    dwolla.processor_signal_decision_report(
        ProcessorSignalDecisionReportRequest(processor_token=checking, client_transaction_id="t-1",
                                             initiated=True)
    )  # fmt: skip
    dwolla.processor_signal_return_report(
        ProcessorSignalReturnReportRequest(processor_token=checking, client_transaction_id="t-1",
                                           return_code="R01")
    )  # fmt: skip
    dwolla.processor_signal_prepare(ProcessorSignalPrepareRequest(processor_token=checking))

    api_error(lambda: dwolla.processor_auth_get(
        ProcessorAuthGetRequest(processor_token=tokens["Plaid Credit Card"])),
        400, "ITEM_ERROR", "NO_AUTH_ACCOUNTS")  # fmt: skip


def test_developer_reads_match_the_partner(client: plaid_api.PlaidApi,
                                           dwolla: plaid_api.PlaidApi) -> None:  # fmt: skip
    linked = link(client)
    saving = tokens_for(client, linked)["Plaid Saving"]
    auth = client.auth_get(AuthGetRequest(access_token=linked.access_token))
    partner = dwolla.processor_auth_get(ProcessorAuthGetRequest(processor_token=saving))
    by_account = {n.account_id: n.routing for n in auth.numbers.ach}
    assert by_account[linked.account_ids[1]] == partner.numbers.ach.routing
    assert auth.numbers.eft == []
    balance = client.accounts_balance_get(
        AccountsBalanceGetRequest(access_token=linked.access_token)
    )
    assert len(balance.accounts) == 12
    identity = client.identity_get(IdentityGetRequest(access_token=linked.access_token))
    assert (
        identity.accounts[1].owners[0].names
        == dwolla.processor_identity_get(ProcessorIdentityGetRequest(processor_token=saving))
        .account.owners[0]
        .names
    )


def test_permissions_partners_and_removal(client: plaid_api.PlaidApi,
                                          dwolla: plaid_api.PlaidApi,
                                          moov: plaid_api.PlaidApi) -> None:  # fmt: skip
    linked = link(client)
    token = tokens_for(client, linked)["Plaid Checking"]
    client.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(processor_token=token, products=[Products("auth")])
    )
    body = api_error(
        lambda: dwolla.processor_identity_get(ProcessorIdentityGetRequest(processor_token=token)),
        400, "INVALID_INPUT", "INVALID_PRODUCT",
    )  # fmt: skip
    assert '"identity"' in body["error_message"]
    api_error(
        lambda: dwolla.processor_balance_get(ProcessorBalanceGetRequest(processor_token=token)),
        400, "INVALID_INPUT", "INVALID_PRODUCT",
    )  # fmt: skip
    assert dwolla.processor_auth_get(ProcessorAuthGetRequest(processor_token=token)).numbers.ach

    client.processor_token_permissions_set(
        ProcessorTokenPermissionsSetRequest(processor_token=token, products=[])
    )
    dwolla.processor_identity_get(ProcessorIdentityGetRequest(processor_token=token))

    # A dwolla token is refused to moov and to the developer who made it.
    request = ProcessorAuthGetRequest(processor_token=token)
    api_error(lambda: moov.processor_auth_get(request),
              400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip
    api_error(lambda: client.processor_auth_get(request),
              400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")  # fmt: skip

    client.item_remove(ItemRemoveRequest(access_token=linked.access_token))
    calls = [
        lambda: dwolla.processor_account_get(ProcessorAccountGetRequest(processor_token=token)),
        lambda: dwolla.processor_auth_get(ProcessorAuthGetRequest(processor_token=token)),
        lambda: dwolla.processor_balance_get(ProcessorBalanceGetRequest(processor_token=token)),
        lambda: dwolla.processor_identity_get(ProcessorIdentityGetRequest(processor_token=token)),
        lambda: dwolla.processor_signal_prepare(
            ProcessorSignalPrepareRequest(processor_token=token)
        ),
    ]  # fmt: skip
    for call in calls:
        api_error(call, 400, "INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")


def test_webhook_update_acknowledged(client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi,
                                     receiver: WebhookReceiver) -> None:  # fmt: skip
    linked = link(client)
    token = tokens_for(client, linked)["Plaid Checking"]
    dwolla.processor_token_webhook_update(
        ProcessorTokenWebhookUpdateRequest(processor_token=token, webhook=receiver.url)
    )
    receiver.wait(1)
    (body,) = receiver.received
    # The body is what plaid-python's ProcessorTokenWebhookUpdate model describes.
    config = dwolla.api_client.configuration
    hook = validate_and_convert_types(
        body, (ProcessorTokenWebhookUpdate,), ["webhook"], True, True, config
    )
    assert hook.webhook_code == "WEBHOOK_UPDATE_ACKNOWLEDGED"
    assert hook.account_id == linked.account_ids[0]
    assert hook.new_webhook_url == receiver.url


def test_investments_auth_get(client: plaid_api.PlaidApi, dwolla: plaid_api.PlaidApi) -> None:
    linked = link(client)
    tokens = tokens_for(client, linked)
    got = dwolla.processor_investments_auth_get(
        ProcessorInvestmentsAuthGetRequest(processor_token=tokens["Plaid 401k"])
    )
    account_id = linked.account_ids[6]
    assert got.account.account_id == account_id
    (acats,) = got.numbers.acats
    assert acats.account.endswith("6666") and acats.dtc_numbers
    (rollover,) = got.numbers.retirement_401k
    assert rollover.account_id == account_id and rollover.plan
    assert got.owners[0].account_id == account_id and got.owners[0].names
    total = sum(h.institution_value for h in got.holdings)
    assert total == pytest.approx(23631.9805, abs=1e-3)
    assert got.data_sources.numbers.value == "INSTITUTION"
    api_error(lambda: dwolla.processor_investments_auth_get(
        ProcessorInvestmentsAuthGetRequest(processor_token=tokens["Plaid Checking"])),
        400, "ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS")  # fmt: skip
