// The official Plaid Node SDK (npm `plaid`) against a live tokenbridge server: the only
// change a user makes is basePath. Run by tests/sdk/test_node_sdk.py, which starts the
// server and passes it in the environment:
//   TOKENBRIDGE_URL, TOKENBRIDGE_CLIENT_ID, TOKENBRIDGE_SECRET, and for the partner read
//   TOKENBRIDGE_PARTNER_CLIENT_ID, TOKENBRIDGE_PARTNER_SECRET (absent: that test skips).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Products } from 'plaid';

import { client, rejects } from './helpers.mjs';

const env = process.env;
const INSTITUTION = 'ins_109508';

// The version header is sent as Plaid's own examples send it.
function plaidClient(clientId, secret) {
  return client(clientId, secret, { 'Plaid-Version': '2020-09-14' });
}

async function linkItem(plaid) {
  const created = await plaid.sandboxPublicTokenCreate({
    institution_id: INSTITUTION,
    initial_products: [Products.Auth],
  });
  assert.match(created.data.public_token, /^public-sandbox-/);
  const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
  assert.match(exchanged.data.access_token, /^access-sandbox-/);
  assert.ok(exchanged.data.item_id);
  return { publicToken: created.data.public_token, ...exchanged.data };
}

test('core flow: public token to item removal', async () => {
  const plaid = plaidClient(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);
  const { publicToken, access_token: accessToken, item_id: itemId } = await linkItem(plaid);

  const accounts = await plaid.accountsGet({ access_token: accessToken });
  assert.equal(accounts.data.item.item_id, itemId);
  assert.ok(accounts.data.accounts.length > 0);
  const accountId = accounts.data.accounts[0].account_id;

  const created = await plaid.processorTokenCreate({
    access_token: accessToken,
    account_id: accountId,
    processor: 'dwolla',
  });
  const processorToken = created.data.processor_token;
  assert.match(processorToken, /^processor-sandbox-/);

  const before = await plaid.processorTokenPermissionsGet({ processor_token: processorToken });
  assert.deepEqual(before.data.products, []);
  await plaid.processorTokenPermissionsSet({
    processor_token: processorToken,
    products: [Products.Auth, Products.Identity],
  });
  const after = await plaid.processorTokenPermissionsGet({ processor_token: processorToken });
  assert.deepEqual(after.data.products, ['auth', 'identity']);

  const stripe = await plaid.processorStripeBankAccountTokenCreate({
    access_token: accessToken,
    account_id: accountId,
  });
  assert.match(stripe.data.stripe_bank_account_token, /^btok_/);

  const removed = await plaid.itemRemove({ access_token: accessToken });
  assert.ok(removed.data.request_id);

  // Everything of the Item is refused from now on, each with its own error code.
  await rejects(() => plaid.itemGet({ access_token: accessToken }),
    400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
  await rejects(() => plaid.processorTokenPermissionsGet({ processor_token: processorToken }),
    400, 'INVALID_INPUT', 'INVALID_PROCESSOR_TOKEN');
  await rejects(() => plaid.itemPublicTokenExchange({ public_token: publicToken }),
    400, 'INVALID_INPUT', 'INVALID_PUBLIC_TOKEN');
});

test('rejections: wrong secret, unknown processor, missing field', async () => {
  const plaid = plaidClient(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);
  const wrong = plaidClient(env.TOKENBRIDGE_CLIENT_ID, `${env.TOKENBRIDGE_SECRET}x`);
  await rejects(() => wrong.itemGet({ access_token: 'access-sandbox-unknown' }),
    400, 'INVALID_INPUT', 'INVALID_API_KEYS');
  const { access_token: accessToken } = await linkItem(plaid);
  const accounts = await plaid.accountsGet({ access_token: accessToken });
  await rejects(() => plaid.processorTokenCreate({
    access_token: accessToken,
    account_id: accounts.data.accounts[0].account_id,
    processor: 'not_a_processor',
  }), 400, 'INVALID_REQUEST', 'INVALID_FIELD');
  await rejects(() => plaid.processorTokenCreate({ access_token: accessToken }),
    400, 'INVALID_REQUEST', 'MISSING_FIELDS');
});

test('partner read with partner credentials', { skip: !env.TOKENBRIDGE_PARTNER_CLIENT_ID }, async () => {
  const plaid = plaidClient(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);
  const partner = plaidClient(env.TOKENBRIDGE_PARTNER_CLIENT_ID, env.TOKENBRIDGE_PARTNER_SECRET);
  const { access_token: accessToken } = await linkItem(plaid);
  const accounts = await plaid.accountsGet({ access_token: accessToken });
  const account = accounts.data.accounts[0];
  const { data } = await plaid.processorTokenCreate({
    access_token: accessToken,
    account_id: account.account_id,
    processor: 'dwolla',
  });

  const auth = await partner.processorAuthGet({ processor_token: data.processor_token });
  assert.equal(auth.data.account.account_id, account.account_id);
  assert.equal(auth.data.numbers.ach.account_id, account.account_id);
  assert.match(auth.data.numbers.ach.routing, /^\d{9}$/);

  // The developer's own credentials are not the partner's: refused as an unknown token.
  await rejects(() => plaid.processorAuthGet({ processor_token: data.processor_token }),
    400, 'INVALID_INPUT', 'INVALID_PROCESSOR_TOKEN');
  // Once the Item is removed, the partner's token stops working.
  await plaid.itemRemove({ access_token: accessToken });
  await rejects(() => partner.processorAuthGet({ processor_token: data.processor_token }),
    400, 'INVALID_INPUT', 'INVALID_PROCESSOR_TOKEN');
});

test('link token: create, then read back what it was made with', async () => {
  const plaid = plaidClient(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);
  const created = await plaid.linkTokenCreate({
    user: { client_user_id: 'user-1' },
    client_name: 'Plaid Test App',
    products: [Products.Auth, Products.Transactions],
    country_codes: ['US'],
    language: 'en',
    webhook: 'https://example.com/plaid-webhook',
  });
  assert.match(created.data.link_token, /^link-sandbox-[0-9a-f-]{36}$/);
  const got = await plaid.linkTokenGet({ link_token: created.data.link_token });
  assert.equal(got.data.link_token, created.data.link_token);
  assert.equal(got.data.expiration, created.data.expiration);
  // Four hours by default.
  assert.equal(Date.parse(got.data.expiration) - Date.parse(got.data.created_at), 4 * 3600 * 1000);
  assert.deepEqual(got.data.link_sessions, []);
  assert.deepEqual(got.data.metadata.initial_products, ['auth', 'transactions']);
  assert.deepEqual(got.data.metadata.country_codes, ['US']);
  assert.equal(got.data.metadata.webhook, 'https://example.com/plaid-webhook');
  assert.equal(got.data.metadata.client_name, 'Plaid Test App');
  await rejects(() => plaid.linkTokenCreate({
    user: { client_user_id: 'user-1' }, client_name: 'Plaid Test App', country_codes: ['US'],
    language: 'en',
  }), 400, 'INVALID_REQUEST', 'INVALID_FIELD');
  await rejects(() => plaid.linkTokenGet({ link_token: 'link-sandbox-unknown' }),
    400, 'INVALID_INPUT', 'INVALID_LINK_TOKEN');
});
