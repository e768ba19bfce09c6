// What every Node SDK test file shares: a client of the live server the Python test started
// (TOKENBRIDGE_URL), and the check of a call that must fail with a Plaid error.
import assert from 'node:assert/strict';

import { Configuration, PlaidApi } from 'plaid';

// A PlaidApi with these credentials: the only change a user makes is basePath.
export function client(clientId, secret, headers = {}) {
  return new PlaidApi(
    new Configuration({
      basePath: process.env.TOKENBRIDGE_URL,
      baseOptions: {
        headers: { 'PLAID-CLIENT-ID': clientId, 'PLAID-SECRET': secret, ...headers },
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
