// What every browser test needs: the real boxoffice binary on a fresh SQLite
// database and free loopback ports, Debian's chromium driven by Playwright
// (executablePath; never a downloaded browser, and no test is skipped when
// chromium is missing: it fails), API helpers, and screenshots kept in
// $WEB_ARTIFACTS for CI.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import assert from 'node:assert/strict';

// Limits out of the way, for tests that hold many seats as one customer.
export const roomyLimits = {
  BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER: '1000',
  BOXOFFICE_RESERVATION_MAX_TICKETS_PER_CUSTOMER: '10000',
};
export const admin = { email: 'admin@web.test', password: 'admin-password-web' };
export const artifacts = process.env.WEB_ARTIFACTS ?? fileURLToPath(new URL('artifacts', import.meta.url));
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

export function chromiumPath() {
  const path =
    process.env.CHROMIUM ??
    (() => {
      try {
        return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
      } catch {
        return '';
      }
    })();
  if (!path) throw new Error("chromium is missing: run ./tools/install-deps.sh (Debian's chromium package)");
  return path;
}

let printedVersion = false;
export async function browser() {
  const executablePath = chromiumPath();
  if (!printedVersion) {
    console.log(
      `# ${execFileSync(executablePath, ['--version'], { encoding: 'utf8' }).trim()} at ${executablePath}`,
    );
    printedVersion = true;
  }
  return chromium.launch({ executablePath, headless: true });
}

// A server of its own: `settings` are extra BOXOFFICE_* variables.
export async function startServer(name, settings = {}) {
  const binary = process.env.BOXOFFICE_BINARY;
  if (!binary) throw new Error('BOXOFFICE_BINARY is not set (CTest sets it)');
  const dir = mkdtempSync(join(tmpdir(), `boxoffice-web-${name}-`));
  const [httpPort, nodePort] = [await freePort(), await freePort()];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BOXOFFICE_')));
  Object.assign(env, {
    BOXOFFICE_DATABASE_URL: `sqlite://${join(dir, 'web.db')}`,
    BOXOFFICE_HTTP_PORT: String(httpPort),
    BOXOFFICE_CLUSTER_LISTEN_PORT: String(nodePort),
    BOXOFFICE_AUTH_JWT_SECRET: 'web-tests-secret-of-at-least-32-bytes!!',
    BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS: '1',
    BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB: '8',
    BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN: '0',
    BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN: '0',
    BOXOFFICE_AUTH_ADMIN_EMAIL: admin.email,
    BOXOFFICE_AUTH_ADMIN_PASSWORD: admin.password,
    ...settings,
  });
  const log = openSync(join(dir, 'server.log'), 'a');
  const proc = spawn(binary, ['serve'], { env, stdio: ['ignore', log, log] });
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`boxoffice exited at start; see ${dir}/server.log`);
    try {
      if ((await fetch(`${base}/v1/ready`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`boxoffice not ready in 30 s; see ${dir}/server.log`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const server = {
    base,
    dir,
    async call(method, path, body, token, headers = {}) {
      const r = await fetch(base + path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
    },
    async token(email, password) {
      const r = await server.call('POST', '/v1/auth/login', { email, password });
      if (r.status !== 200) throw new Error(`login ${email}: ${r.status}`);
      return r.body.access_token;
    },
    async customer(who) {
      const email = `${who}-${Math.random().toString(36).slice(2, 8)}@web.test`,
        password = 'customer-password';
      const r = await server.call('POST', '/v1/auth/signup', { email, password });
      if (r.status !== 201 && r.status !== 200)
        throw new Error(`signup: ${r.status} ${JSON.stringify(r.body)}`);
      return { email, password, token: await server.token(email, password) };
    },
    // An event on sale with these sections; answers its id.
    async event(title, sections, onSale = true) {
      const t = await server.token(admin.email, admin.password);
      const e = await server.call(
        'POST',
        '/v1/events',
        { title, venue: 'Test hall', starts_at: '2027-01-01T20:00:00Z' },
        t,
      );
      if (e.status !== 201) throw new Error(`event: ${e.status} ${JSON.stringify(e.body)}`);
      for (const s of sections) {
        const r = await server.call('POST', `/v1/events/${e.body.id}/sections`, s, t);
        if (r.status !== 201) throw new Error(`section: ${r.status} ${JSON.stringify(r.body)}`);
      }
      if (onSale) await server.call('PATCH', `/v1/events/${e.body.id}`, { status: 'on_sale' }, t);
      return e.body.id;
    },
    // Changes the event's waiting room (PATCH /v1/events/{id}/queue) as the admin.
    async room(eventId, settings) {
      const t = await server.token(admin.email, admin.password);
      const r = await server.call('PATCH', `/v1/events/${eventId}/queue`, settings, t);
      if (r.status !== 200) throw new Error(`room: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async roomStatus(eventId) {
      const t = await server.token(admin.email, admin.password);
      return (await server.call('GET', `/v1/events/${eventId}/queue`, undefined, t)).body;
    },
    // A customer's place in the room, polled until `state` (or any state if none).
    async waitForEntry(entryId, state, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await server.call('GET', `/v1/queue/${entryId}`);
        if (!state || r.body?.state === state) return r.body;
        if (Date.now() > deadline) throw new Error(`entry ${entryId}: ${JSON.stringify(r.body)}, not ${state}`);
        await new Promise((ok) => setTimeout(ok, 50));
      }
    },
    // One query on the server's database (the sqlite3 command-line shell), for audits.
    sql(query) {
      return execFileSync('sqlite3', [join(dir, 'web.db'), query], { encoding: 'utf8' }).trim();
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((ok) => (proc.exitCode !== null ? ok() : proc.on('exit', ok)));
      if (!process.env.WEB_KEEP_SERVERS) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

// A server and a browser for the tests of one file: started before the
// first, stopped after the last. Read env.server and env.chrome in a test.
export function serverAndBrowser(name, settings = {}) {
  const env = {};
  before(async () => {
    env.server = await startServer(name, settings);
    env.chrome = await browser();
  });
  after(async () => {
    await env.chrome?.close();
    await env.server?.stop();
  });
  return env;
}

// Signs in through the page itself.
export async function signIn(page, base, who) {
  await page.goto(`${base}/#/login`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// axe-core on the page as it is: no serious or critical violation.
export async function noSeriousViolations(page, name) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  const all = result.violations.map((v) => `${v.id}(${v.impact})`);
  console.log(`# axe ${name}: ${result.passes.length} rules pass, violations: ${all.join(' ') || 'none'}`);
  assert.deepEqual(
    bad.map(
      (v) =>
        `${v.id}: ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    ),
    [],
    name,
  );
}

// The seat <rect> of a label in the open map.
export const seat = (page, label) => page.locator(`#seatsvg rect.seat[data-seat="${label}"]`);
