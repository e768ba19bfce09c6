// Webhooks verified as Plaid's guide says, with the official Plaid Node SDK (npm `plaid`)
// and `jose`, against a live tokenbridge server: a receiver on a loopback port of this test
// gets the WEBHOOK_UPDATE_ACKNOWLEDGED of /item/webhook/update, and `verify` (the code that
// docs/WEBHOOKS.md shows) checks it; then the refusals: a changed body, an old `iat`, another
// `alg`. Run by tests/sdk/test_node_sdk.py, which passes TOKENBRIDGE_URL,
// TOKENBRIDGE_CLIENT_ID and TOKENBRIDGE_SECRET.
import assert from 'node:assert/strict';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { Products } from 'plaid';

import { client } from './helpers.mjs';

const env = process.env;
const plaid = client(env.TOKENBRIDGE_CLIENT_ID, env.TOKENBRIDGE_SECRET);

// The receiver's code, as docs/WEBHOOKS.md shows it --------------------------------------

const MAX_AGE_SECONDS = 5 * 60;
const keys = new Map(); // kid -> JWK, as /webhook_verification_key/get answers it

async function keyFor(kid) {
  if (!keys.has(kid)) {
    const answer = await plaid.webhookVerificationKeyGet({ key_id: kid });
    keys.set(kid, answer.data.key);
  }
  return keys.get(kid);
}

// Resolves to the claims of a webhook whose raw body (a Buffer) and headers came in at `now`
// (a Date); rejects unless the JWT is ES256, its key valid, its `iat` at most 5 minutes old
// and its body hash that of `body`.
export async function verify(body, headers, now = new Date()) {
  const token = headers['plaid-verification'];
  if (!token) throw new Error('no Plaid-Verification header');
  const header = decodeProtectedHeader(token);
  if (header.alg !== 'ES256') throw new Error(`alg ${header.alg} is not ES256`);
  const jwk = await keyFor(header.kid);
  if (jwk.expired_at !== null && jwk.expired_at <= now.getTime() / 1000) {
    throw new Error('the key has expired');
  }
  const key = await importJWK(jwk, 'ES256');
  const { payload } = await jwtVerify(token, key, {
    algorithms: ['ES256'],
    maxTokenAge: MAX_AGE_SECONDS,
    currentDate: now,
  });
  const digest = createHash('sha256').update(body).digest('hex');
  const claimed = String(payload.request_body_sha256);
  if (claimed.length !== digest.length || !timingSafeEqual(Buffer.from(digest), Buffer.from(claimed))) {
    throw new Error('the body is not the one that was signed');
  }
  return payload;
}

// A receiver on a loopback port, and a webhook sent to it ---------------------------------

const deliveries = [];
const waiting = [];
const receiver = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    deliveries.push({ body: Buffer.concat(chunks), headers: request.headers });
    response.writeHead(200).end();
    while (waiting.length) waiting.shift()();
  });
});
let hookUrl;

before(async () => {
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
});
after(() => receiver.close());

async function acknowledged() {
  const created = await plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: [Products.Auth],
  });
  const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
  const count = deliveries.length;
  const arrived = new Promise((resolve) => waiting.push(resolve));
  await plaid.itemWebhookUpdate({ access_token: exchanged.data.access_token, webhook: hookUrl });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no webhook')), 10000));
  while (deliveries.length <= count) await Promise.race([arrived, timeout]);
  return deliveries[deliveries.length - 1];
}

// Tests ----------------------------------------------------------------------------------

test('a webhook verifies as Plaid\'s guide says', async () => {
  const { body, headers } = await acknowledged();
  assert.equal(headers['content-type'], 'application/json');
  const header = decodeProtectedHeader(headers['plaid-verification']);
  assert.equal(header.alg, 'ES256');
  assert.equal(header.typ, 'JWT');
  const claims = await verify(body, headers);
  assert.ok(Number.isInteger(claims.iat));
  assert.equal(JSON.parse(body).webhook_code, 'WEBHOOK_UPDATE_ACKNOWLEDGED');
  const jwk = keys.get(header.kid);
  assert.deepEqual([jwk.alg, jwk.crv, jwk.kty, jwk.use, jwk.expired_at], ['ES256', 'P-256', 'EC', 'sig', null]);
});

test('a changed body is refused', async () => {
  const { body, headers } = await acknowledged();
  const changed = JSON.parse(body);
  changed.new_webhook_url = 'https://attacker.example/hook';
  await assert.rejects(verify(Buffer.from(JSON.stringify(changed)), headers), /not the one that was signed/);
  // The same JSON re-serialised with spaces is refused too: the hash is of the raw bytes.
  await assert.rejects(verify(Buffer.from(JSON.stringify(JSON.parse(body), null, 2)), headers),
    /not the one that was signed/);
});

test('an old iat and another alg are refused', async () => {
  const { body, headers } = await acknowledged();
  const later = (minutes) => new Date(Date.now() + minutes * 60 * 1000);
  await verify(body, headers, later(4));
  await assert.rejects(verify(body, headers, later(6)), { code: 'ERR_JWT_EXPIRED' });
  const [, payload, signature] = headers['plaid-verification'].split('.');
  const kid = decodeProtectedHeader(headers['plaid-verification']).kid;
  const none = Buffer.from(JSON.stringify({ alg: 'none', kid, typ: 'JWT' })).toString('base64url');
  await assert.rejects(verify(body, { 'plaid-verification': `${none}.${payload}.${signature}` }),
    /alg none is not ES256/);
  await assert.rejects(
    plaid.webhookVerificationKeyGet({ key_id: 'no-such-key' }),
    (error) => error.response.status === 400
      && error.response.data.error_type === 'INVALID_INPUT'
      && error.response.data.error_code === 'INVALID_WEBHOOK_VERIFICATION_KEY_ID',
  );
});
