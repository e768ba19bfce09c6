"""The rules of the developer-side API, decided by the domain's services alone."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.unit.conftest import Clock, Domain, build_services, close_domain, open_domain
from tokenbridge.domain import errors
from tokenbridge.domain.items import PUBLIC_TOKEN_TTL
from tokenbridge.domain.randomness import hash_token


def public_token(domain: Domain) -> str:
    return domain.run(
        domain.services.items.sandbox_public_token_create(domain.client, "ins_109508", ["auth"])
    )


# Public tokens ------------------------------------------------------------------------


def test_public_token_exchanges_once(domain: Domain) -> None:
    public = public_token(domain)
    access, item_id = domain.run(
        domain.services.items.item_public_token_exchange(domain.client, public)
    )
    assert access.startswith("access-sandbox-")
    item = domain.run(domain.services.items.item_get(domain.client, access))
    assert item.item_id == item_id
    with pytest.raises(errors.InvalidPublicToken) as info:
        domain.run(domain.services.items.item_public_token_exchange(domain.client, public))
    assert (info.value.error_type, info.value.error_code) == (
        "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
    )  # fmt: skip


def test_public_token_expires_after_30_minutes(domain: Domain) -> None:
    assert PUBLIC_TOKEN_TTL == 30 * 60
    fresh, stale = public_token(domain), public_token(domain)
    domain.clock.at += PUBLIC_TOKEN_TTL - 1
    access, _ = domain.run(domain.services.items.item_public_token_exchange(domain.client, fresh))
    assert access
    # Plaid: "expires after 30 minutes"; at 30:00 it is already gone.
    domain.clock.at += 1
    with pytest.raises(errors.InvalidPublicToken):
        domain.run(domain.services.items.item_public_token_exchange(domain.client, stale))


def test_unknown_public_token(domain: Domain) -> None:
    with pytest.raises(errors.InvalidPublicToken):
        domain.run(
            domain.services.items.item_public_token_exchange(domain.client, "public-sandbox-x")
        )


# Processor tokens ---------------------------------------------------------------------


def test_several_processor_tokens_per_account(domain: Domain) -> None:
    access = domain.link()
    checking, saving = domain.account_ids(access)[:2]
    ptokens = domain.services.processor_tokens
    made = [
        (account, processor, domain.run(
            ptokens.processor_token_create(domain.client, access, account, processor)
        ))
        for account, processor in [
            (checking, "dwolla"), (checking, "dwolla"), (checking, "moov"), (saving, "dwolla"),
        ]
    ]  # fmt: skip
    tokens = [t for _, _, t in made]
    assert len(set(tokens)) == 4
    # Each token carries its own permission list.
    domain.run(ptokens.processor_token_permissions_set(domain.client, tokens[0], ["auth"]))
    lists = [domain.run(ptokens.processor_token_permissions_get(domain.client, t)) for t in tokens]
    assert lists == [("auth",), (), (), ()]
    for account, processor, token in made:
        stored = domain.run(domain.store.get_processor_token(hash_token(token)))
        assert stored is not None
        assert (stored.account_id, stored.processor) == (account, processor)


def test_permissions_replace_and_deduplicate(domain: Domain) -> None:
    token = domain.processor_token()
    ptokens = domain.services.processor_tokens
    domain.run(ptokens.processor_token_permissions_set(
        domain.client, token, ["identity", "auth", "identity"]
    ))  # fmt: skip
    got = domain.run(ptokens.processor_token_permissions_get(domain.client, token))
    assert got == ("identity", "auth")
    domain.run(ptokens.processor_token_permissions_set(domain.client, token, ["balance"]))
    assert domain.run(ptokens.processor_token_permissions_get(domain.client, token)) == (
        "balance",
    )  # fmt: skip


def test_empty_permissions_grant_every_product(domain: Domain) -> None:
    partner = domain.new_client("dwolla", processor="dwolla")
    token = domain.processor_token("dwolla")
    ptokens = domain.services.processor_tokens
    for product in ("auth", "identity", "transactions", None):
        grant = domain.run(ptokens.processor_token_for_partner(partner, token, product))
        assert grant.token.products == ()
    domain.run(ptokens.processor_token_permissions_set(domain.client, token, ["identity"]))
    assert domain.run(ptokens.processor_token_for_partner(partner, token, "identity"))
    with pytest.raises(errors.InvalidProduct) as info:
        domain.run(ptokens.processor_token_for_partner(partner, token, "auth"))
    assert (info.value.error_type, info.value.error_code) == ("INVALID_INPUT", "INVALID_PRODUCT")
    assert '"auth"' in info.value.error_message
    # Back to the empty list: everything again, and get says [].
    domain.run(ptokens.processor_token_permissions_set(domain.client, token, []))
    assert domain.run(ptokens.processor_token_for_partner(partner, token, "auth"))
    assert domain.run(ptokens.processor_token_permissions_get(domain.client, token)) == ()


def test_processor_token_only_for_its_processor(domain: Domain) -> None:
    token = domain.processor_token("dwolla")
    moov = domain.new_client("moov", processor="moov")
    with pytest.raises(errors.InvalidProcessorToken):
        domain.run(domain.services.processor_tokens.processor_token_for_partner(moov, token, None))


def test_account_must_belong_to_the_item(domain: Domain) -> None:
    first, second = domain.link(), domain.link()
    other_account = domain.account_ids(second)[0]
    items = domain.services.items
    ptokens = domain.services.processor_tokens
    for account_id in (other_account, "no-such-account"):
        with pytest.raises(errors.InvalidAccountId):
            domain.run(ptokens.processor_token_create(domain.client, first, account_id, "unit"))
        with pytest.raises(errors.InvalidAccountId):
            domain.run(
                ptokens.processor_stripe_bank_account_token_create(domain.client, first, account_id)
            )
        with pytest.raises(errors.InvalidAccountId):
            domain.run(items.accounts_get(domain.client, first, [account_id]))


def test_sandbox_processor_token_binds_first_checking_account(domain: Domain) -> None:
    token = domain.run(
        domain.services.processor_tokens.sandbox_processor_token_create(domain.client, "ins_109511")
    )
    assert token.startswith("processor-sandbox-")
    stored = domain.run(domain.store.get_processor_token(hash_token(token)))
    assert stored is not None
    assert stored.processor is None
    account = domain.run(domain.store.get_account(stored.account_id))
    assert account is not None
    assert (account.name, account.mask, account.subtype) == ("Plaid Checking", "0000", "checking")
    item = domain.run(domain.store.get_item(stored.item_id))
    assert item is not None
    assert item.institution_id == "ins_109511"


def test_unknown_institution_and_bad_credentials(domain: Domain) -> None:
    items = domain.services.items
    ptokens = domain.services.processor_tokens
    with pytest.raises(errors.InvalidInstitution) as info:
        domain.run(items.sandbox_public_token_create(domain.client, "ins_0", ["auth"]))
    assert (info.value.error_type, info.value.error_code) == (
        "INVALID_INPUT", "INVALID_INSTITUTION",
    )  # fmt: skip
    with pytest.raises(errors.InvalidInstitution):
        domain.run(ptokens.sandbox_processor_token_create(domain.client, "ins_0"))
    with pytest.raises(errors.InvalidCredentials):
        domain.run(items.sandbox_public_token_create(
            domain.client, "ins_109508", ["auth"], "user_good", "pass_bad"
        ))  # fmt: skip


# Clients ------------------------------------------------------------------------------


def test_authenticate(domain: Domain) -> None:
    client, secret = domain.run(domain.services.clients.create_client("someone"))
    assert domain.run(domain.services.clients.authenticate(client.client_id, secret)) == client
    # After one success the secret is checked against the one that succeeded: wrong ones,
    # non-ASCII ones included, still fail the same way.
    attempts = [(client.client_id, secret + "x"), ("nobody", secret), (client.client_id, ""),
                (client.client_id, secret + "é")]  # fmt: skip
    for client_id, attempt in attempts:
        with pytest.raises(errors.InvalidApiKeys) as info:
            domain.run(domain.services.clients.authenticate(client_id, attempt))
        assert (info.value.error_type, info.value.error_code) == (
            "INVALID_INPUT", "INVALID_API_KEYS",
        )  # fmt: skip
    stored = domain.run(domain.store.get_client(client.client_id))
    assert stored is not None
    assert stored.secret_hash == hash_token(secret)
    assert secret not in repr(stored)


def test_pin_client_replaces_the_secret(domain: Domain) -> None:
    domain.run(domain.services.clients.pin_client("pinned", "first-secret", "sandbox"))
    assert domain.run(domain.services.clients.authenticate("pinned", "first-secret"))
    # A restart with another TOKENBRIDGE_SECRET: a new service (no cached client).
    restarted = build_services(domain.store, Clock()).clients
    domain.run(restarted.pin_client("pinned", "second-secret", "sandbox"))
    assert domain.run(restarted.authenticate("pinned", "second-secret"))
    with pytest.raises(errors.InvalidApiKeys):
        domain.run(restarted.authenticate("pinned", "first-secret"))


def test_tenant_isolation(domain: Domain) -> None:
    access = domain.link()
    account = domain.account_ids(access)[0]
    token = domain.processor_token("moov", access)
    public = public_token(domain)
    other = domain.new_client("other")
    items = domain.services.items
    ptokens = domain.services.processor_tokens
    for call in (
        items.item_get(other, access),
        items.accounts_get(other, access),
        items.item_remove(other, access),
        ptokens.processor_token_create(other, access, account, "dwolla"),
        ptokens.processor_stripe_bank_account_token_create(other, access, account),
    ):
        with pytest.raises(errors.InvalidAccessToken) as info:
            domain.run(call)
        assert info.value.error_message == errors.InvalidAccessToken().error_message
    for token_call in (
        ptokens.processor_token_permissions_get(other, token),
        ptokens.processor_token_permissions_set(other, token, []),
    ):
        with pytest.raises(errors.InvalidProcessorToken) as perror:
            domain.run(token_call)
        assert perror.value.error_message == errors.InvalidProcessorToken().error_message
    with pytest.raises(errors.InvalidPublicToken):
        domain.run(items.item_public_token_exchange(other, public))
    # None of the attempts touched the owner's Item or tokens.
    assert domain.run(items.item_get(domain.client, access))
    assert domain.run(ptokens.processor_token_permissions_get(domain.client, token)) == ()
    assert domain.run(items.item_public_token_exchange(domain.client, public))


# Item removal -------------------------------------------------------------------------


def test_item_remove_revokes_every_token(domain: Domain) -> None:
    access = domain.link()
    checking, saving = domain.account_ids(access)[:2]
    items = domain.services.items
    ptokens = domain.services.processor_tokens
    tokens = [
        domain.run(ptokens.processor_token_create(domain.client, access, a, p))
        for a, p in ((checking, "dwolla"), (checking, "moov"), (saving, "unit"))
    ]
    btok = domain.run(
        ptokens.processor_stripe_bank_account_token_create(domain.client, access, checking)
    )
    assert domain.run(domain.store.get_bank_account_token(hash_token(btok))) is not None
    survivor = domain.link()

    domain.run(items.item_remove(domain.client, access))

    for call in (
        items.item_get(domain.client, access),
        items.accounts_get(domain.client, access),
        items.item_remove(domain.client, access),
        ptokens.processor_token_create(domain.client, access, checking, "dwolla"),
        ptokens.processor_stripe_bank_account_token_create(domain.client, access, checking),
    ):
        with pytest.raises(errors.InvalidAccessToken):
            domain.run(call)
    partner = domain.new_client("dwolla", processor="dwolla")
    for token in tokens:
        with pytest.raises(errors.InvalidProcessorToken):
            domain.run(ptokens.processor_token_permissions_get(domain.client, token))
        with pytest.raises(errors.InvalidProcessorToken):
            domain.run(ptokens.processor_token_permissions_set(domain.client, token, ["auth"]))
        with pytest.raises(errors.InvalidProcessorToken):
            domain.run(ptokens.processor_token_for_partner(partner, token, None))
    assert domain.run(domain.store.get_bank_account_token(hash_token(btok))) is None
    # Another Item of the same client is untouched.
    assert domain.run(items.item_get(domain.client, survivor))


# Token shapes and determinism -----------------------------------------------------------


UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_token_formats(domain: Domain) -> None:
    public = public_token(domain)
    access, item_id = domain.run(
        domain.services.items.item_public_token_exchange(domain.client, public)
    )
    account = domain.account_ids(access)[0]
    processor = domain.processor_token("dwolla", access)
    btok = domain.run(
        domain.services.processor_tokens.processor_stripe_bank_account_token_create(
            domain.client, access, account
        )
    )
    for token, kind in ((public, "public"), (access, "access"), (processor, "processor")):
        match = re.fullmatch(rf"{kind}-sandbox-({UUID4})", token)
        assert match, token
        assert uuid.UUID(match.group(1)).version == 4
    # 24 base62 characters: 142 bits, above the 128 the issue asks for.
    assert re.fullmatch(r"btok_[0-9A-Za-z]{24}", btok), btok
    assert re.fullmatch(r"[0-9A-Za-z]{37}", item_id)
    assert re.fullmatch(r"[0-9A-Za-z]{37}", account)
    assert re.fullmatch(r"[0-9A-Za-z]{15}", domain.services.ids.request_id())


def test_unseeded_tokens_do_not_repeat(domain: Domain) -> None:
    tokens = {public_token(domain) for _ in range(50)}
    assert len(tokens) == 50
    # No two share even the first 32 bits of their random part.
    assert len({t.removeprefix("public-sandbox-")[:8] for t in tokens}) == 50
    assert not domain.services.ids.random.seeded


def scripted_run(seed: str) -> list[str]:
    """Every id and token that one fixed sequence of operations hands out."""
    d = open_domain(seed)
    try:
        public = public_token(d)
        access, item_id = d.run(d.services.items.item_public_token_exchange(d.client, public))
        accounts = d.account_ids(access)
        processor = d.processor_token("moov", access)
        btok = d.run(
            d.services.processor_tokens.processor_stripe_bank_account_token_create(
                d.client, access, accounts[0]
            )
        )
        sandbox = d.run(
            d.services.processor_tokens.sandbox_processor_token_create(d.client, "ins_109508")
        )
        return [d.client.client_id, public, access, item_id, *accounts, processor, btok, sandbox,
                d.services.ids.request_id()]  # fmt: skip
    finally:
        close_domain(d)


def test_seeded_services_hand_out_identical_output() -> None:
    first, second = scripted_run("fixed"), scripted_run("fixed")
    assert first == second
    assert len(set(first)) == len(first)
    assert scripted_run("other") != first
    assert all(a != b for a, b in zip(first, scripted_run("other"), strict=True))


def test_hash_token() -> None:
    # SHA-256 of "abc", the FIPS 180-2 test vector.
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert hash_token("access-sandbox-x") != hash_token("access-sandbox-y")
    assert re.fullmatch(r"[0-9a-f]{64}", hash_token(""))
    # A lone surrogate, which UTF-8 cannot encode, still hashes instead of raising.
    assert re.fullmatch(r"[0-9a-f]{64}", hash_token("\ud800"))
