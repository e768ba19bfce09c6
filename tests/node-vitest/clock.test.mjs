// The clock of a test's world (docs/TESTING.md, "Time"): thirty days on, the Sandbox puts
// the Item into ITEM_LOGIN_REQUIRED, and the app's webhook hears of it; the clock of
// another test's world has not moved.
import { beforeEach, expect, test } from 'vitest';

import { clock, inbox, sandboxClient } from './tokenbridge.mjs';

let client;
let webhooks;
beforeEach(async () => {
  client = await sandboxClient();
  webhooks = await inbox(client);
});

test('an Item needs a new login after 30 days', async () => {
  const created = await client.plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: ['auth'],
    options: { webhook: webhooks.url },
  });
  const { access_token: accessToken } = (await client.plaid.itemPublicTokenExchange({
    public_token: created.data.public_token,
  })).data;

  const later = await clock(client).advance({ days: 30, minutes: 1 });
  expect(later.getTime() - Date.now()).toBeGreaterThan(30 * 86400 * 1000);

  const error = await webhooks.wait('ERROR');
  expect(error.error.error_code).toBe('ITEM_LOGIN_REQUIRED');
  await expect(client.plaid.accountsGet({ access_token: accessToken })).rejects.toMatchObject({
    response: { status: 400, data: { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED' } },
  });
});

test('each test\'s clock starts at real time', async () => {
  const now = await clock(client).now();
  expect(Math.abs(now.getTime() - Date.now())).toBeLessThan(5000);
});
