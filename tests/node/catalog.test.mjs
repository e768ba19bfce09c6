// npm `plaid` against a live tokenbridge server: the newest processor and product names,
// the Institutions endpoints and the unhealthy sandbox institutions. Run by
// tests/sdk/test_catalog_sdk.py, which starts the server and passes it in the environment
// (TOKENBRIDGE_URL, TOKENBRIDGE_CLIENT_ID, TOKENBRIDGE_SECRET).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CountryCode, ProcessorTokenCreateRequestProcessorEnum, Products } from 'plaid';

import { client, rejects } from './helpers.mjs';

const env = process.env;
const plaid = client(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);

test('the newest processor and product names', async () => {
  const created = await plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: [Products.Auth, Products.CraHomeLending],
  });
  const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
  const accounts = await plaid.accountsGet({ access_token: exchanged.data.access_token });
  const token = await plaid.processorTokenCreate({
    access_token: exchanged.data.access_token,
    account_id: accounts.data.accounts[0].account_id,
    processor: ProcessorTokenCreateRequestProcessorEnum.Seamlessach,
  });
  assert.match(token.data.processor_token, /^processor-sandbox-/);
  await plaid.processorTokenPermissionsSet({
    processor_token: token.data.processor_token,
    products: [Products.CraQualify, Products.CraHomeLending],
  });
  const got = await plaid.processorTokenPermissionsGet({ processor_token: token.data.processor_token });
  assert.deepEqual(got.data.products, ['cra_qualify', 'cra_home_lending']);
});

test('institutions and the unhealthy sandbox banks', async () => {
  const down = await plaid.institutionsGetById({
    institution_id: 'ins_132361',
    country_codes: [CountryCode.Us],
    options: { include_status: true },
  });
  assert.equal(down.data.institution.name, 'Unhealthy Platypus Bank - Down');
  assert.equal(down.data.institution.status.item_logins.status, 'DOWN');
  const found = await plaid.institutionsSearch({ query: 'houndstooth', country_codes: [CountryCode.Us] });
  assert.deepEqual(found.data.institutions.map((i) => i.institution_id), ['ins_109512']);
  const page = await plaid.institutionsGet({ count: 2, offset: 0, country_codes: [CountryCode.Gb] });
  assert.equal(page.data.total, 3);
  assert.equal(page.data.institutions.length, 2);
  await rejects(
    plaid.sandboxPublicTokenCreate({ institution_id: 'ins_132361', initial_products: [Products.Auth] }),
    400, 'INSTITUTION_ERROR', 'INSTITUTION_DOWN',
  );
  await rejects(
    plaid.sandboxProcessorTokenCreate({ institution_id: 'ins_133402' }),
    400, 'INSTITUTION_ERROR', 'INSTITUTION_NO_LONGER_SUPPORTED',
  );
});
