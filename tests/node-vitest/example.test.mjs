// The pytest example of the README, in Vitest: every test gets a client of a world of its
// own (beforeEach), so no test sees another's Items, tokens or webhooks, and nothing is
// reset between tests. The global setup (global-setup.mjs) started the server.
import { beforeEach, expect, test } from 'vitest';

import { inbox, partner, sandboxClient } from './tokenbridge.mjs';

let client;
let webhooks;
beforeEach(async () => {
  client = await sandboxClient();
  webhooks = await inbox(client);
});

// What the first test made, which the second must not be able to use.
const first = {};

test('an app hands an account to Dwolla', async () => {
  // Link a sandbox Item with Transactions and a webhook, and exchange its public token.
  const created = await client.plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: ['auth', 'transactions'],
    options: { webhook: webhooks.url },
  });
  const exchanged = (await client.plaid.itemPublicTokenExchange({
    public_token: created.data.public_token,
  })).data;
  const accounts = await client.plaid.accountsGet({ access_token: exchanged.access_token });
  const checking = accounts.data.accounts[0];

  // Hand the checking account to Dwolla: Dwolla reads its numbers with the token.
  const token = (await client.plaid.processorTokenCreate({
    access_token: exchanged.access_token,
    account_id: checking.account_id,
    processor: 'dwolla',
  })).data.processor_token;
  const dwolla = await partner(client, 'dwolla');
  const auth = (await dwolla.processorAuthGet({ processor_token: token })).data;
  expect(auth.account.account_id).toBe(checking.account_id);
  expect(auth.numbers.ach.routing).toBeTruthy();

  // Plaid's INITIAL_UPDATE reached the app's webhook, signed and verified.
  const update = await webhooks.wait('INITIAL_UPDATE');
  expect(update.item_id).toBe(exchanged.item_id);
  Object.assign(first, { accessToken: exchanged.access_token, processorToken: token });
});

// A call that must fail: its HTTP status and Plaid error, as npm plaid (axios) reports them.
function plaidError(status, errorType, errorCode) {
  return { response: { status, data: { error_type: errorType, error_code: errorCode } } };
}

test('another test\'s tokens are unknown to this test\'s client and partner', async () => {
  expect(first.accessToken).toBeDefined();
  await expect(client.plaid.itemGet({ access_token: first.accessToken }))
    .rejects.toMatchObject(plaidError(400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN'));
  const dwolla = await partner(client, 'dwolla');
  await expect(dwolla.processorAuthGet({ processor_token: first.processorToken }))
    .rejects.toMatchObject(plaidError(400, 'INVALID_INPUT', 'INVALID_PROCESSOR_TOKEN'));
  // And no webhook of the first test's Item came to this test's inbox.
  expect(await webhooks.received()).toEqual([]);
});
