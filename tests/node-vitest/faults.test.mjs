// Fault rules from Vitest (docs/TESTING.md, Faults): this test's client meets an
// institution that is down, twice, and then the usual answer; a dropped connection; and a
// client of another world, at the same moment, meets no fault.
import { afterEach, beforeEach, expect, test } from 'vitest';

import { faults, sandboxClient } from './tokenbridge.mjs';

let client;
let rules;
beforeEach(async () => {
  rules = null;
  client = await sandboxClient();
  rules = faults(client);
});
// The client is this test's alone, so its rules would hurt no other test; cleared anyway.
afterEach(() => rules?.clear());

async function linkItem(plaid) {
  const created = await plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508', initial_products: ['auth'],
  });
  const exchanged = await plaid.itemPublicTokenExchange({
    public_token: created.data.public_token,
  });
  return exchanged.data.access_token;
}

test('an institution that is down, then up again', async () => {
  const accessToken = await linkItem(client.plaid);
  const other = await sandboxClient();
  const otherToken = await linkItem(other.plaid);

  await rules.add('/accounts/get', { error_code: 'INSTITUTION_DOWN', times: 2 });
  for (const _ of [1, 2]) {
    await expect(client.plaid.accountsGet({ access_token: accessToken })).rejects.toMatchObject({
      response: {
        status: 400,
        data: { error_type: 'INSTITUTION_ERROR', error_code: 'INSTITUTION_DOWN' },
      },
    });
    // Another client, at the same moment, gets its accounts.
    expect((await other.plaid.accountsGet({ access_token: otherToken })).status).toBe(200);
  }
  expect((await client.plaid.accountsGet({ access_token: accessToken })).status).toBe(200);
  expect(await rules.list()).toEqual([]);
});

test('a connection dropped without an answer', async () => {
  const accessToken = await linkItem(client.plaid);
  await rules.add('/item/get', { drop: true });
  // axios reports a socket closed before any answer, with no response.
  const failed = await client.plaid.itemGet({ access_token: accessToken }).catch((e) => e);
  expect(failed.response).toBeUndefined();
  expect(failed.code).toBe('ECONNRESET');
  expect((await client.plaid.itemGet({ access_token: accessToken })).status).toBe(200);
});
