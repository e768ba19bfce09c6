// What the previous-series Node SDK tests share. A copy of ../node/helpers.mjs rather than an
// import of it: an import there resolves `plaid` from tests/node/node_modules, the newest
// package, and the point of this directory is its own, older one.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import { Configuration, PlaidApi } from 'plaid';

// The version of the npm `plaid` that this directory's node_modules holds.
export const SDK_VERSION = createRequire(import.meta.url)('plaid/package.json').version;

// A PlaidApi with these credentials: the only change a user makes is basePath.
export function client(clientId, secret) {
  return new PlaidApi(
    new Configuration({
      basePath: process.env.TOKENBRIDGE_URL,
      baseOptions: {
        headers: { 'PLAID-CLIENT-ID': clientId, 'PLAID-SECRET': secret, 'Plaid-Version': '2020-09-14' },
      },
    }),
  );
}

// A call that must fail: its HTTP status and Plaid error, as the SDK (axios) reports them.
export async function rejects(call, status, errorType, errorCode) {
  await assert.rejects(call, (error) => {
    assert.ok(error.response, `no HTTP response: ${error}`);
    assert.equal(error.response.status, status);
    assert.equal(error.response.data.error_type, errorType);
    assert.equal(error.response.data.error_code, errorCode);
    assert.ok(error.response.data.request_id);
    return true;
  });
}
