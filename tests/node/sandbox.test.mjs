// The sandbox test surface through the official Plaid Node SDK (npm `plaid`) against a live
// tokenbridge server: an error password, reset_login and the Item error it leaves, our
// repair, /item/webhook/update and /sandbox/item/fire_webhook. Run by
// tests/sdk/test_node_sdk.py, which passes TOKENBRIDGE_URL, TOKENBRIDGE_CLIENT_ID,
// TOKENBRIDGE_SECRET and TOKENBRIDGE_WEBHOOK_URL (a receiver it reads afterwards).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Products } from 'plaid';

import { client, rejects } from './helpers.mjs';

const env = process.env;
const INSTITUTION = 'ins_109508';
const plaid = client(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);

async function linkItem() {
  const created = await plaid.sandboxPublicTokenCreate({
    institution_id: INSTITUTION,
    initial_products: [Products.Auth, Products.Transactions],
  });
  const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
  return exchanged.data;
}

test('an error password fails linking with Plaid\'s error', async () => {
  const link = plaid.sandboxPublicTokenCreate({
    institution_id: INSTITUTION,
    initial_products: [Products.Auth],
    options: { override_username: 'user_good', override_password: 'error_ITEM_LOCKED' },
  });
  await rejects(link, 400, 'ITEM_ERROR', 'ITEM_LOCKED');
});

test('reset_login, then ITEM_LOGIN_REQUIRED until the Item is repaired', async () => {
  const { access_token: accessToken } = await linkItem();
  const reset = await plaid.sandboxItemResetLogin({ access_token: accessToken });
  assert.equal(reset.data.reset_login, true);
  const item = await plaid.itemGet({ access_token: accessToken });
  assert.equal(item.data.item.error.error_code, 'ITEM_LOGIN_REQUIRED');
  await rejects(plaid.accountsGet({ access_token: accessToken }), 400, 'ITEM_ERROR', 'ITEM_LOGIN_REQUIRED');

  const repaired = await fetch(`${env.TOKENBRIDGE_URL}/_tokenbridge/sandbox/item/repair`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'PLAID-CLIENT-ID': env.TOKENBRIDGE_CLIENT_ID,
      'PLAID-SECRET': env.TOKENBRIDGE_SECRET,
    },
    body: JSON.stringify({ access_token: accessToken }),
  });
  assert.equal(repaired.status, 200);
  assert.equal((await repaired.json()).repaired, true);
  const accounts = await plaid.accountsGet({ access_token: accessToken });
  assert.ok(accounts.data.accounts.length > 0);
});

test('webhook update, then fire_webhook', async () => {
  const { access_token: accessToken, item_id: itemId } = await linkItem();
  await rejects(
    plaid.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: 'NEW_ACCOUNTS_AVAILABLE' }),
    400, 'SANDBOX_ERROR', 'SANDBOX_WEBHOOK_INVALID',
  );
  const updated = await plaid.itemWebhookUpdate({ access_token: accessToken, webhook: env.TOKENBRIDGE_WEBHOOK_URL });
  assert.equal(updated.data.item.item_id, itemId);
  assert.equal(updated.data.item.webhook, env.TOKENBRIDGE_WEBHOOK_URL);
  const fired = await plaid.sandboxItemFireWebhook({
    access_token: accessToken,
    webhook_code: 'SYNC_UPDATES_AVAILABLE',
  });
  assert.equal(fired.data.webhook_fired, true);
});
