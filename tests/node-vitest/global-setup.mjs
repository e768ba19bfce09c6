// Vitest's global setup: one `tokenbridge serve` for the whole run, on a free loopback port
// over a temporary SQLite database, with an admin key made here. The tests get its URL and
// key through `inject` (tokenbridge.mjs); the server stops when the run ends.
//
// TOKENBRIDGE_COMMAND is the command that runs tokenbridge (`tokenbridge` on PATH by default;
// split on spaces, so `python -m tokenbridge` works too). With TOKENBRIDGE_URL and
// TOKENBRIDGE_ADMIN_KEY set, the server already running there is used and none is started.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function healthy(url) {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

function stop(server) {
  const gone = server.pid === undefined || server.exitCode !== null || server.signalCode !== null;
  if (gone) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
    server.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    server.kill('SIGTERM');
  });
}

// Starts `tokenbridge serve` and resolves, once it answers /health, to its `url`, its
// `adminKey` and `stop()`, which stops it and removes its database.
export async function startTokenbridge() {
  const folder = mkdtempSync(join(tmpdir(), 'tokenbridge-'));
  const logPath = join(folder, 'serve.log');
  const log = () => readFileSync(logPath, 'utf8');
  const port = await freePort();
  const adminKey = randomBytes(24).toString('base64url');
  const [command, ...args] = (process.env.TOKENBRIDGE_COMMAND || 'tokenbridge').split(/\s+/);
  const output = openSync(logPath, 'w');
  const server = spawn(
    command,
    [...args, 'serve', '--host', '127.0.0.1', '--port', String(port),
      '--database-url', `sqlite:///${join(folder, 'tb.db')}`],
    { env: { ...process.env, TOKENBRIDGE_ADMIN_KEY: adminKey }, stdio: ['ignore', output, output] },
  );
  closeSync(output);
  const failed = new Promise((_, reject) => {
    server.once('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
  });
  const stopped = async () => {
    await stop(server);
    rmSync(folder, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      await Promise.race([failed, new Promise((resolve) => setTimeout(resolve, 50))]);
      if (server.exitCode !== null) {
        throw new Error(`tokenbridge serve exited (${server.exitCode}):\n${log()}`);
      }
      if (await healthy(url)) break;
      if (Date.now() >= deadline) {
        throw new Error(`tokenbridge serve did not start within ${START_TIMEOUT_MS} ms:\n${log()}`);
      }
    }
  } catch (error) {
    await stopped();
    throw error;
  }
  return { url, adminKey, stop: stopped };
}

// Vitest's global setup: the server's URL and admin key to the tests (`inject`), and its
// stop as the teardown.
export default async function setup(project) {
  const { TOKENBRIDGE_URL, TOKENBRIDGE_ADMIN_KEY } = process.env;
  if (TOKENBRIDGE_URL) {
    if (!TOKENBRIDGE_ADMIN_KEY) throw new Error('TOKENBRIDGE_URL needs TOKENBRIDGE_ADMIN_KEY');
    const url = TOKENBRIDGE_URL.replace(/\/+$/, '');
    project.provide('tokenbridge', { url, adminKey: TOKENBRIDGE_ADMIN_KEY });
    return undefined;
  }
  const { url, adminKey, stop: teardown } = await startTokenbridge();
  project.provide('tokenbridge', { url, adminKey });
  return teardown;
}
