// The operator's cluster panel against a node in cluster mode: a one-node
// cluster on the throwaway PostgreSQL of tools/with-postgres.sh (cluster
// mode needs PostgreSQL), with certificates made by the operator's own
// tools/make-cluster-certs.sh. The panel lists the member and its state, and
// who owns each event. Like the end-to-end suites, it fails without
// BOXOFFICE_TEST_PG_URL unless BOXOFFICE_TEST_ALLOW_NO_PG=1 says to leave
// PostgreSQL out on purpose. (The single-node answer: queue.test.js.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, browser, signIn, shot, admin } from './harness.js';

const pg = process.env.BOXOFFICE_TEST_PG_URL;
const leftOut = !pg && process.env.BOXOFFICE_TEST_ALLOW_NO_PG === '1';

test('the cluster panel shows the members, their states and who owns which event', { skip: leftOut }, async () => {
  assert.ok(pg, 'BOXOFFICE_TEST_PG_URL is not set: run through tools/with-postgres.sh (or BOXOFFICE_TEST_ALLOW_NO_PG=1)');
  execFileSync('psql', [pg, '-q', '-c', 'drop schema public cascade', '-c', 'create schema public']);
  const certs = mkdtempSync(join(tmpdir(), 'boxoffice-web-certs-'));
  const tool = fileURLToPath(new URL('../../tools/make-cluster-certs.sh', import.meta.url));
  execFileSync(tool, [certs, 'web-a'], { stdio: 'ignore' });
  const node = await startServer('cluster', {
    BOXOFFICE_DATABASE_URL: pg,
    BOXOFFICE_CLUSTER_ENABLED: 'true',
    BOXOFFICE_CLUSTER_NODE_ID: 'web-a',
    BOXOFFICE_CLUSTER_TLS_CA_FILE: join(certs, 'ca.pem'),
    BOXOFFICE_CLUSTER_TLS_CERT_FILE: join(certs, 'web-a.pem'),
    BOXOFFICE_CLUSTER_TLS_KEY_FILE: join(certs, 'web-a.key'),
    BOXOFFICE_CLUSTER_LEASE_S: '2',
    BOXOFFICE_CLUSTER_HEARTBEAT_MS: '250',
    BOXOFFICE_CLUSTER_POLL_MS: '200',
  });
  const chrome = await browser();
  try {
    const id = await node.event('Clustered night', [
      { name: 'Stalls', kind: 'reserved', rows: 2, seats_per_row: 5, price_cents: 1000 },
    ]);
    const page = await (await chrome.newContext()).newPage();
    await signIn(page, node.base, admin);
    await page.goto(`${node.base}/#/admin`);
    await page.locator('#cluster-panel[data-mode="cluster"]').waitFor();
    const member = page.locator('#cluster-members tr[data-node="web-a"]');
    await page.waitForFunction(
      () => document.querySelector('#cluster-members tr[data-node="web-a"] .state')?.textContent === 'active',
    );
    assert.equal(await member.locator('.owned').textContent(), '1');
    await page.waitForFunction(
      (e) => document.querySelector(`#cluster-owners tr[data-event="${e}"] .owner`)?.textContent === 'web-a',
      id,
    );
    const api = await node.call('GET', `/v1/cluster/events/${id}`, undefined, await node.token(admin.email, admin.password));
    assert.equal(api.body.owner_node, 'web-a');
    await shot(page, 'operator-cluster-panel');
    await page.context().close();
  } finally {
    await chrome.close();
    await node.stop();
    rmSync(certs, { recursive: true, force: true });
  }
});
