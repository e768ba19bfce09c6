// The core flow through the previous npm `plaid` series (package.json pins it) against a live
// tokenbridge server. Run by tests/sdk/test_previous_sdks.py, which starts the server and
// passes TOKENBRIDGE_URL, TOKENBRIDGE_CLIENT_ID, TOKENBRIDGE_SECRET,
// TOKENBRIDGE_PARTNER_CLIENT_ID, TOKENBRIDGE_PARTNER_SECRET and TOKENBRIDGE_SDK_SERIES (the
// major version the test expects to find installed).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Products } from 'plaid';

import { SDK_VERSION, client, rejects } from './helpers.mjs';

const env = process.env;

test('the installed SDK is the pinned previous series', () => {
  assert.equal(SDK_VERSION.split('.')[0], env.TOKENBRIDGE_SDK_SERIES);
});

test('core flow: link, reads, processor token, partner read, removal', async () => {
  const plaid = client(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);
  const partner = client(env.TOKENBRIDGE_PARTNER_CLIENT_ID, env.TOKENBRIDGE_PARTNER_SECRET);

  const created = await plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: [Products.Auth, Products.Transactions],
  });
  assert.match(created.data.public_token, /^public-sandbox-/);
  const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
  const accessToken = exchanged.data.access_token;
  assert.match(accessToken, /^access-sandbox-/);

  const accounts = await plaid.accountsGet({ access_token: accessToken });
  assert.equal(accounts.data.item.item_id, exchanged.data.item_id);
  const accountIds = accounts.data.accounts.map((a) => a.account_id);
  assert.ok(accountIds.length > 0);

  const auth = await plaid.authGet({ access_token: accessToken });
  assert.deepEqual(auth.data.accounts.map((a) => a.account_id), accountIds);
  const ach = auth.data.numbers.ach;
  assert.ok(ach.length > 0);
  for (const numbers of ach) assert.ok(accountIds.includes(numbers.account_id));

  // Page through until the server says there is no more.
  const added = [];
  let cursor;
  let page;
  do {
    page = await plaid.transactionsSync({ access_token: accessToken, cursor, count: 100 });
    for (const t of page.data.added) {
      assert.ok(accountIds.includes(t.account_id));
      added.push(t.transaction_id);
    }
    cursor = page.data.next_cursor;
  } while (page.data.has_more);
  assert.ok(added.length > 0);
  assert.equal(new Set(added).size, added.length);

  const checking = ach[0];
  const token = (await plaid.processorTokenCreate({
    access_token: accessToken,
    account_id: checking.account_id,
    processor: 'dwolla',
  })).data.processor_token;
  assert.match(token, /^processor-sandbox-/);
  const before = await plaid.processorTokenPermissionsGet({ processor_token: token });
  assert.deepEqual(before.data.products, []);
  await plaid.processorTokenPermissionsSet({
    processor_token: token,
    products: [Products.Auth, Products.Identity],
  });
  const after = await plaid.processorTokenPermissionsGet({ processor_token: token });
  assert.deepEqual(after.data.products, ['auth', 'identity']);

  const read = await partner.processorAuthGet({ processor_token: token });
  assert.equal(read.data.account.account_id, checking.account_id);
  assert.equal(read.data.numbers.ach.account_id, checking.account_id);
  assert.equal(read.data.numbers.ach.routing, checking.routing);

  const removed = await plaid.itemRemove({ access_token: accessToken });
  assert.ok(removed.data.request_id);
  await rejects(() => partner.processorAuthGet({ processor_token: token }),
    400, 'INVALID_INPUT', 'INVALID_PROCESSOR_TOKEN');
});
