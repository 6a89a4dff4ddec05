// Keyboard only: sign in, search, open the event, join its waiting room and
// be admitted, pick two seats on the map with the arrow keys, hold them and
// buy, all with Tab, arrows, Space and Enter. Then axe-core scans every page a buyer or an operator sees: no
// serious or critical violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, shot, admin, noSeriousViolations } from './harness.js';

const stalls = { name: 'Stalls', kind: 'reserved', rows: 4, seats_per_row: 8, price_cents: 2000 };
const env = serverAndBrowser('keyboard');

// Presses Tab until the focused element matches `selector` (at most 40 times).
async function tabTo(page, selector) {
  for (let i = 0; i < 40; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

test('a purchase works with the keyboard alone, through the waiting room', async () => {
  const id = await env.server.event('Keyboard recital', [stalls]);
  await env.server.room(id, { mode: 'queue', rate_per_s: 50, active_max: 5 });
  const buyer = await env.server.customer('keys');
  const page = await (await env.chrome.newContext()).newPage();
  await page.goto(`${env.server.base}/#/login`);
  await tabTo(page, '#email');
  await page.keyboard.type(buyer.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(buyer.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Events' }).waitFor();
  await tabTo(page, '#q');
  await page.keyboard.type('keyboard');
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: 'Keyboard recital' }).waitFor();
  await tabTo(page, `a[href="#/event/${id}"]`);
  await page.keyboard.press('Enter');
  await tabTo(page, '#join-queue');
  await page.keyboard.press('Enter');
  await page.locator('body[data-map-ready]').waitFor();
  // Admitted: the focus went to the map's heading, not to "Give up my turn".
  await page.waitForFunction(() => document.activeElement?.matches('#maparea h2'));
  await tabTo(page, '#seatsvg');
  assert.match(await page.locator('#announce').textContent(), /A-1, free/);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  assert.match(await page.locator('#selection').textContent(), /B-2, B-3/);
  await tabTo(page, '#hold-selected');
  await page.keyboard.press('Enter');
  // The new hold's Buy button takes the focus.
  await page.waitForFunction(() => document.activeElement?.textContent.startsWith('Buy for'));
  await shot(page, 'keyboard-hold');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Order confirmed' }).waitFor();
  assert.match(await page.locator('li.new').textContent(), /seats B-2, B-3/);
  await shot(page, 'keyboard-confirmed');
  await page.context().close();
});

test('axe finds no serious or critical violation on the pages', async () => {
  const id = await env.server.event('Accessible gala', [
    stalls,
    { name: 'Standing', kind: 'general', capacity: 20, price_cents: 900 },
  ]);
  const buyer = await env.server.customer('axe');
  const page = await (await env.chrome.newContext()).newPage();
  await page.goto(`${env.server.base}/#/`);
  await page.getByRole('link', { name: 'Accessible gala' }).waitFor();
  await noSeriousViolations(page, 'events');
  await page.goto(`${env.server.base}/#/login`);
  await noSeriousViolations(page, 'sign-in');
  await page.getByLabel('Email').fill(buyer.email);
  await page.getByLabel('Password').fill(buyer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.goto(`${env.server.base}/#/event/${id}`);
  await page.locator('body[data-map-ready]').waitFor();
  await noSeriousViolations(page, 'event and seat map');
  await page.locator('#seatsvg rect[data-seat="A-1"]').click();
  await page.getByRole('button', { name: 'Hold 1 selected seat' }).click();
  await page.locator('#holds li[data-hold]').waitFor();
  await noSeriousViolations(page, 'hold panel');
  await page.getByRole('button', { name: 'Choose Standing' }).click();
  await page.getByRole('button', { name: 'Hold places' }).waitFor();
  await noSeriousViolations(page, 'general admission');
  await page.getByRole('button', { name: /Buy for/ }).click();
  await page.getByRole('heading', { name: 'Order confirmed' }).waitFor();
  await noSeriousViolations(page, 'confirmation and orders');
  await page.context().close();

  const ops = await (await env.chrome.newContext()).newPage();
  await ops.goto(`${env.server.base}/#/login`);
  await ops.getByLabel('Email').fill(admin.email);
  await ops.getByLabel('Password').fill(admin.password);
  await ops.getByRole('button', { name: 'Sign in' }).click();
  await ops.getByRole('button', { name: 'Sign out' }).waitFor();
  await ops.goto(`${env.server.base}/#/admin`);
  await ops.getByRole('heading', { name: 'Box office' }).waitFor();
  await noSeriousViolations(ops, 'operator events');
  await ops.goto(`${env.server.base}/#/admin/event/${id}`);
  await ops.locator('#counters tbody tr').first().waitFor();
  await noSeriousViolations(ops, 'operator event');
  await ops.context().close();
});
