// The waiting room in the browser: a buyer in line sees "sold out" and then
// "closed" in plain words (and axe finds no serious violation on the queue
// page); with the event stream blocked the page polls and still moves
// (position, admission), and the buyer can give the turn up; an open page
// follows the room being turned on and off; the operator's
// room panel shows depth and active shoppers, pauses and resumes admission
// and sets the rate, and the section counters show the holds expiring in the
// next minute; the cluster panel says plainly that this is a single server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signIn, shot, admin, noSeriousViolations } from './harness.js';

// Holds of 45 s: every new hold is one "expiring in the next minute".
const env = serverAndBrowser('queue', {
  BOXOFFICE_RESERVATION_HOLD_TTL_S: '45',
  BOXOFFICE_WAITING_ROOM_REFRESH_AFTER_S: '1',
  BOXOFFICE_HTTP_QUEUE_STREAM_POLL_MS: '100',
});
const stalls = { name: 'Stalls', kind: 'reserved', rows: 4, seats_per_row: 10, price_cents: 2000 };

// A customer who joins over the API; answers the customer and the entry.
async function joined(eventId, who) {
  const c = await env.server.customer(who);
  const r = await env.server.call('POST', `/v1/events/${eventId}/queue`, undefined, c.token);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { ...c, entry: r.body };
}

async function adminPage(path) {
  const page = await (await env.chrome.newContext()).newPage();
  await signIn(page, env.server.base, admin);
  await page.goto(`${env.server.base}/#${path}`);
  return page;
}

test('a buyer in line sees "sold out", then "closed", in plain words; the queue page passes axe', async () => {
  const id = await env.server.event('Tiny gig', [{ name: 'Floor', kind: 'general', capacity: 2, price_cents: 1000 }]);
  await env.server.room(id, { mode: 'queue', rate_per_s: 50, active_max: 1 });
  // Someone else is let in first and buys both places.
  const first = await joined(id, 'first');
  const pass = (await env.server.waitForEntry(first.entry.id, 'admitted')).pass.token;
  const hold = await env.server.call('POST', `/v1/events/${id}/holds`, { section_id: 1, quantity: 2 }, first.token, {
    'Queue-Pass': pass,
  });
  assert.equal(hold.status, 201, JSON.stringify(hold.body));
  const bought = await env.server.call('POST', `/v1/holds/${hold.body.id}/purchase`, undefined, first.token, {
    'Idempotency-Key': 'tiny-1',
  });
  assert.equal(bought.status, 201);

  const page = await (await env.chrome.newContext()).newPage();
  await signIn(page, env.server.base, await env.server.customer('late'));
  await page.goto(`${env.server.base}/#/event/${id}`);
  await page.getByRole('button', { name: 'Join the line' }).click();
  await page.getByText(/Sold out for now: every seat is sold\. You keep your place in line/).waitFor();
  assert.equal(await page.locator('#seatsvg, #qty').count(), 0, 'no map or quantity while in line');
  await shot(page, 'queue-sold-out');
  await noSeriousViolations(page, 'queue page, sold out');

  // The operator closes the sale: the stream's last event says so.
  const t = await env.server.token(admin.email, admin.password);
  await env.server.call('PATCH', `/v1/events/${id}`, { status: 'closed' }, t);
  await page.getByText(/The waiting room is closed: this sale has ended/).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Join the line' }).count(), 0);
  await shot(page, 'queue-closed');
  await page.context().close();
});

test('with the stream blocked the page polls: it moves up the line, is admitted, and gives the turn up', async () => {
  const id = await env.server.event('Polled show', [stalls]);
  await env.server.room(id, { mode: 'queue', rate_per_s: 50, active_max: 5, paused: true });
  const ahead = await joined(id, 'ahead');
  const page = await (await env.chrome.newContext()).newPage();
  let streams = 0;
  await page.route('**/stream', (route) => {
    streams++;
    return route.abort('connectionrefused');
  });
  await signIn(page, env.server.base, await env.server.customer('polled'));
  await page.goto(`${env.server.base}/#/event/${id}`);
  await page.getByRole('button', { name: 'Join the line' }).click();
  await page.getByText('You are number 2 in line.').waitFor();
  assert.match(await page.locator('#queue-status').innerText(), /People ahead of you\s+1[\s\S]*Estimated wait\s+1 second/);
  await noSeriousViolations(page, 'queue page, waiting');
  await shot(page, 'queue-waiting');
  // The one ahead leaves: the next poll (refresh_after_s = 1) moves the buyer up.
  await env.server.call('DELETE', `/v1/queue/${ahead.entry.id}`);
  await page.getByText('You are next in line.').waitFor({ timeout: 4000 });
  await env.server.room(id, { paused: false });
  await page.locator('body[data-map-ready]').waitFor({ timeout: 4000 });
  assert.ok(streams >= 1, 'the page tried the stream first');
  await page.getByRole('button', { name: 'Give up my turn' }).click();
  await page.getByText('You left the waiting room.').first().waitFor();
  assert.ok(await page.locator('.buy').isHidden(), 'the map is hidden again');
  await page.getByRole('button', { name: 'Join the line' }).waitFor();
  await page.context().close();
});

test('an open event page follows the room: turned on, the map hides behind the line; turned off, it is back', async () => {
  const id = await env.server.event('Switched show', [stalls]);
  const page = await (await env.chrome.newContext()).newPage();
  await signIn(page, env.server.base, await env.server.customer('switched'));
  await page.goto(`${env.server.base}/#/event/${id}`);
  await page.locator('body[data-map-ready]').waitFor();
  await env.server.room(id, { mode: 'queue', rate_per_s: 50, active_max: 5, paused: true });
  await page.getByRole('button', { name: 'Join the line' }).waitFor({ timeout: 3000 });
  assert.equal(await page.locator('#seatsvg').count(), 0);
  assert.ok(await page.locator('.buy').isHidden());
  await env.server.room(id, { mode: 'off' });
  await page.locator('body[data-map-ready]').waitFor({ timeout: 3000 });
  assert.ok(await page.locator('#queue').isHidden());
  await page.context().close();
});

test('the operator watches the room, resumes and pauses it, sets the rate, and sees holds about to expire', async () => {
  const id = await env.server.event('Operated show', [stalls]);
  await env.server.room(id, { mode: 'queue', rate_per_s: 50, active_max: 5, paused: true });
  const people = [];
  for (const who of ['q1', 'q2', 'q3']) people.push(await joined(id, who));
  const ops = await adminPage(`/admin/event/${id}`);
  const figure = (key) => ops.locator(`#room-figures tr[data-figure="${key}"] td`);
  await ops.locator('#room-panel[data-paused="true"]').waitFor();
  await ops.waitForFunction(() => document.querySelector('#room-figures tr[data-figure="depth"] td')?.textContent === '3');
  assert.equal(await figure('active').textContent(), '0');
  assert.match(await ops.locator('#room-state').textContent(), /Queue: paused, nobody is let in/);
  await shot(ops, 'operator-room-paused');

  // The highest "admitted per second" the panel ever shows, from here on.
  await ops.evaluate(() => {
    window.maxRate = 0;
    const figures = document.getElementById('room-figures');
    new MutationObserver(() => {
      const v = Number(figures.querySelector('tr[data-figure="admitted_per_s"] td')?.textContent);
      window.maxRate = Math.max(window.maxRate, v);
    }).observe(figures, { childList: true, subtree: true });
  });
  await ops.getByRole('button', { name: 'Resume admission' }).click();
  await ops.getByText('Admission resumed.').waitFor();
  await ops.waitForFunction(
    () =>
      document.querySelector('#room-figures tr[data-figure="active"] td')?.textContent === '3' &&
      document.querySelector('#room-figures tr[data-figure="depth"] td')?.textContent === '0',
    null,
    { timeout: 4000 },
  );
  assert.equal(await figure('admitted_total').textContent(), '3');
  await ops.waitForFunction(() => window.maxRate > 0, null, { timeout: 3000 });
  assert.equal((await env.server.roomStatus(id)).settings.paused, false);

  // Each admitted shopper holds two seats: 6 held, in 3 holds due within the minute.
  for (const p of people) {
    const pass = (await env.server.waitForEntry(p.entry.id, 'admitted')).pass.token;
    const r = await env.server.call('POST', `/v1/events/${id}/holds`, { section_id: 1, quantity: 2 }, p.token, {
      'Queue-Pass': pass,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  await ops.waitForFunction(() => document.querySelector('#counters tbody tr .expiring')?.textContent === '3');
  assert.equal(await ops.locator('#counters tbody tr .held').first().textContent(), '6');
  const api = (await env.server.call('GET', `/v1/events/${id}`)).body.sections[0];
  assert.equal(api.holds_expiring_60s, 3);

  await ops.getByRole('button', { name: 'Pause admission' }).click();
  await ops.getByText('Admission paused: nobody is let in.').waitFor();
  await ops.locator('#room-panel[data-paused="true"]').waitFor();
  await ops.getByLabel('Admitted per second (rate)').fill('7');
  await ops.getByRole('button', { name: 'Apply waiting-room settings' }).click();
  await ops.getByText('Waiting-room settings saved.').waitFor();
  const room = await env.server.roomStatus(id);
  assert.equal(room.settings.rate_per_s, 7);
  assert.equal(room.settings.paused, true);
  assert.doesNotMatch(await ops.locator('main').innerText(), /\b(null|undefined|NaN)\b/);
  await shot(ops, 'operator-room-and-expiring');
  await noSeriousViolations(ops, 'operator room panel');

  await ops.goto(`${env.server.base}/#/admin`);
  await ops
    .locator('#cluster-panel')
    .getByText('Single server: this box office runs on one node (cluster mode is off)', { exact: false })
    .waitFor();
  await ops.context().close();
});
