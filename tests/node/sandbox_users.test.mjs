// Sandbox test users through the official Plaid Node SDK (npm `plaid`) against a live
// tokenbridge server: user_custom read by the developer and by a partner, microdeposits_good
// with /sandbox/item/set_verification_status, user_transactions_dynamic with
// /sandbox/transactions/create. Run by tests/sdk/test_node_sdk.py, which passes
// TOKENBRIDGE_URL, TOKENBRIDGE_CLIENT_ID, TOKENBRIDGE_SECRET and a partner's
// TOKENBRIDGE_PARTNER_CLIENT_ID and TOKENBRIDGE_PARTNER_SECRET.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Products } from 'plaid';

import { client, rejects } from './helpers.mjs';

const env = process.env;
const INSTITUTION = 'ins_109508';

const plaid = client(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);
const partner = client(env.TOKENBRIDGE_PARTNER_CLIENT_ID, env.TOKENBRIDGE_PARTNER_SECRET);

function day(daysAgo) {
  return new Date(Date.now() - daysAgo * 86400000).toISOString().slice(0, 10);
}

async function link(username, password) {
  const created = await plaid.sandboxPublicTokenCreate({
    institution_id: INSTITUTION,
    initial_products: [Products.Auth, Products.Transactions],
    options: { override_username: username, override_password: password },
  });
  const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
  const accounts = await plaid.accountsGet({ access_token: exchanged.data.access_token });
  return { accessToken: exchanged.data.access_token, accounts: accounts.data.accounts };
}

test('user_custom: the configured data on the developer side and the partner side', async () => {
  const config = {
    override_accounts: [{
      type: 'depository',
      subtype: 'checking',
      starting_balance: 321.5,
      meta: { name: 'Node Checking' },
      numbers: { account: '5550001111', ach_routing: '011000015' },
      identity: { names: ['Ada Node'] },
      transactions: [{ date_transacted: day(2), date_posted: day(1), amount: 7.25, description: 'Node Cafe' }],
    }],
  };
  const { accessToken, accounts } = await link('user_custom', JSON.stringify(config));
  assert.equal(accounts[0].name, 'Node Checking');
  assert.equal(accounts[0].balances.current, 321.5);
  const auth = await plaid.authGet({ access_token: accessToken });
  assert.equal(auth.data.numbers.ach[0].account, '5550001111');
  const identity = await plaid.identityGet({ access_token: accessToken });
  assert.deepEqual(identity.data.accounts[0].owners[0].names, ['Ada Node']);
  const made = await plaid.processorTokenCreate({
    access_token: accessToken, account_id: accounts[0].account_id, processor: 'dwolla',
  });
  const token = made.data.processor_token;
  const partnerAuth = await partner.processorAuthGet({ processor_token: token });
  assert.equal(partnerAuth.data.numbers.ach.account, '5550001111');
  assert.equal(partnerAuth.data.numbers.ach.routing, '011000015');
  const transactions = await partner.processorTransactionsGet({
    processor_token: token, start_date: day(30), end_date: day(0),
  });
  assert.deepEqual(transactions.data.transactions.map((t) => [t.name, t.amount]), [['Node Cafe', 7.25]]);
  await rejects(
    plaid.sandboxPublicTokenCreate({
      institution_id: INSTITUTION,
      initial_products: [Products.Auth],
      options: { override_username: 'user_custom', override_password: '{"override_accounts": [{"type": "bank"}]}' },
    }),
    400, 'INVALID_REQUEST', 'INVALID_FIELD',
  );
});

test('microdeposits_good, then set_verification_status', async () => {
  const { accessToken, accounts } = await link('user_good', 'microdeposits_good');
  assert.equal(accounts[0].verification_status, 'pending_automatic_verification');
  await rejects(plaid.authGet({ access_token: accessToken }), 400, 'ITEM_ERROR', 'PRODUCT_NOT_READY');
  await plaid.sandboxItemSetVerificationStatus({
    access_token: accessToken, account_id: accounts[0].account_id, verification_status: 'automatically_verified',
  });
  const auth = await plaid.authGet({ access_token: accessToken });
  assert.equal(auth.data.accounts[0].verification_status, 'automatically_verified');
});

test('user_transactions_dynamic, then transactions/create shows on sync', async () => {
  const { accessToken } = await link('user_transactions_dynamic', 'anything');
  let cursor = '';
  for (;;) {
    const page = await plaid.transactionsSync({ access_token: accessToken, cursor });
    cursor = page.data.next_cursor;
    if (!page.data.has_more) break;
  }
  await plaid.sandboxTransactionsCreate({
    access_token: accessToken,
    transactions: [{ date_transacted: day(1), date_posted: day(0), amount: 3.5, description: 'Node Created' }],
  });
  const after = await plaid.transactionsSync({ access_token: accessToken, cursor });
  assert.ok(after.data.added.some((t) => t.name === 'Node Created' && t.amount === 3.5));
});
