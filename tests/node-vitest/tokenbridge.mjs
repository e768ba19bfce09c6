// What a test uses of the server the global setup started: a client of a world of its own,
// that world's processor partners, and webhook inboxes whose deliveries are verified as
// Plaid's guide says. Each is made through tokenbridge's control API (docs/TESTING.md).
import { createHash, timingSafeEqual } from 'node:crypto';

import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { Configuration, PlaidApi } from 'plaid';
import { inject } from 'vitest';

// A webhook older than this is refused, as Plaid's guide says.
const MAX_AGE_SECONDS = 5 * 60;

// POST /_tokenbridge/control/<operation> with the admin key; its JSON answer, or an Error
// carrying the status and Plaid-style error body.
export async function control(operation, body = {}) {
  const { url, adminKey } = inject('tokenbridge');
  const answer = await fetch(`${url}/_tokenbridge/control/${operation}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${adminKey}` },
    body: JSON.stringify(body),
  });
  const found = await answer.json();
  if (!answer.ok) {
    const message = `${operation}: ${answer.status} ${found.error_code}: ${found.error_message}`;
    throw Object.assign(new Error(message), { status: answer.status, body: found });
  }
  return found;
}

// npm plaid's PlaidApi for these credentials: the only change from Plaid is basePath.
function plaidApi(clientId, secret) {
  return new PlaidApi(new Configuration({
    basePath: inject('tokenbridge').url,
    baseOptions: { headers: { 'PLAID-CLIENT-ID': clientId, 'PLAID-SECRET': secret } },
  }));
}

// A client of a world of its own: no other client sees its Items, tokens or webhooks, so a
// test that makes one needs no reset. `plaid` is bound to it; `clientId`, `secret` and
// `url` are for other HTTP clients.
export async function sandboxClient(name = 'vitest') {
  const { client_id: clientId, secret } = await control('client/create', { name });
  return { plaid: plaidApi(clientId, secret), clientId, secret, url: inject('tokenbridge').url };
}

// A PlaidApi of `processor`'s partner in `client`'s world (e.g. 'dwolla'): it reads the
// processor tokens that client makes for that processor, and only those.
export async function partner(client, processor) {
  const made = await control('partner/create', { client_id: client.clientId, processor });
  return plaidApi(made.client_id, made.secret);
}

// An inbox: a webhook URL served by tokenbridge, and what arrives there. The webhooks are
// verified with keys that `client` reads from /webhook_verification_key/get, as the app
// that receives them would.
export async function inbox(client) {
  const { inbox_id: inboxId, url } = await control('inbox/create');
  const keys = new Map();

  // Every delivery so far, oldest first: `headers` (lower case), `body` (the raw text),
  // `seq` and `received_at`.
  async function received() {
    return (await control('inbox/deliveries/list', { inbox_id: inboxId })).deliveries;
  }

  // Resolves to the claims of a delivery's Plaid-Verification; rejects unless it is an
  // ES256 JWT whose key /webhook_verification_key/get publishes, unexpired, whose `iat` is
  // at most 5 minutes old and whose `request_body_sha256` is that of the raw body (compared
  // in constant time). Like Plaid's sample receiver, it refuses a key as soon as its
  // `expired_at` is set (docs/WEBHOOKS.md shows one that waits until it has passed).
  async function verify({ headers, body }) {
    const token = headers['plaid-verification'];
    if (!token) throw new Error('the webhook has no Plaid-Verification header');
    const header = decodeProtectedHeader(token);
    if (header.alg !== 'ES256') throw new Error(`the webhook is signed with ${header.alg}`);
    if (!keys.has(header.kid)) {
      const found = await client.plaid.webhookVerificationKeyGet({ key_id: header.kid });
      keys.set(header.kid, found.data.key);
    }
    const jwk = keys.get(header.kid);
    if (jwk.expired_at !== null) throw new Error(`the webhook's key ${jwk.kid} has expired`);
    const { payload } = await jwtVerify(token, await importJWK(jwk, 'ES256'), {
      algorithms: ['ES256'],
      maxTokenAge: MAX_AGE_SECONDS,
    });
    const digest = Buffer.from(createHash('sha256').update(body, 'utf8').digest('hex'));
    const claimed = Buffer.from(String(payload.request_body_sha256));
    if (claimed.length !== digest.length || !timingSafeEqual(digest, claimed)) {
      throw new Error('the webhook\'s body is not the one that was signed');
    }
    return payload;
  }

  // The parsed body of the first webhook of `webhookCode`, once it has arrived and
  // verifies; rejects, saying what did arrive, if none has within `timeoutMs`.
  async function wait(webhookCode, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const arrived = await received();
      const codes = arrived.map((delivery) => JSON.parse(delivery.body).webhook_code);
      const found = arrived[codes.indexOf(webhookCode)];
      if (found) {
        await verify(found);
        return JSON.parse(found.body);
      }
      if (Date.now() >= deadline) {
        const what = `arrived: ${JSON.stringify(codes)}`;
        throw new Error(`no ${webhookCode} webhook arrived within ${timeoutMs} ms; ${what}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return { url, inboxId, received, verify, wait };
}

// The clock of `client`'s world (real time until it is advanced): `now()` resolves to a
// Date; `advance({ days, hours, minutes, seconds })` moves it forward and resolves, to the
// new now, once what that time makes to the client's Items (daily transaction updates, the
// 30-day ITEM_LOGIN_REQUIRED, their webhooks) is made.
export function clock(client) {
  const read = (answer) => new Date(answer.unix_time * 1000);
  return {
    now: async () => read(await control('clock/get', { client_id: client.clientId })),
    advance: async (parts = {}) => read(
      await control('clock/advance', { client_id: client.clientId, ...parts }),
    ),
  };
}
