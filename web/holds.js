// The hold panel: each of my holds in this event with its seats, total and
// a countdown to expires_at (corrected by the server's clock: created_at
// against the local time the answer came), extend, release and buy. A buy
// makes an Idempotency-Key per attempt, kept with the hold until the
// outcome is known, so a retry after a timeout or a lost answer reuses it
// and can never buy twice. Holds survive a reload (sessionStorage).
import * as api from './api.js';
import { h, notice, money } from './dom.js';
import { go } from './app.js';

const retries_max = 3;
const load = () => JSON.parse(sessionStorage.getItem('holds') || '[]');
const save = (list) => sessionStorage.setItem('holds', JSON.stringify(list));

function remember(hold) {
  // Server time minus local time, from the hold's own creation stamp.
  const offset = Date.parse(hold.created_at) - Date.now();
  save([...load().filter((x) => x.hold.id !== hold.id), { hold, offset, key: null }]);
}

function forget(id) {
  save(load().filter((x) => x.hold.id !== id));
}

// `hooks.changed(mine)`: the set of my seats changed. `hooks.pass()`: the
// waiting room's admission pass, sent as Queue-Pass with a new hold (or null).
export function holdPanel(panel, msg, event, hooks) {
  const mine = (sectionId) =>
    load()
      .filter((x) => x.hold.event_id === event.id && x.hold.section_id === sectionId)
      .flatMap((x) => x.hold.seats);
  const sectionName = (id) => event.sections.find((s) => s.id === id)?.name ?? `section ${id}`;
  const what = (hd) =>
    hd.seats.length
      ? `${sectionName(hd.section_id)}: seat${hd.seats.length > 1 ? 's' : ''} ${hd.seats.join(', ')}`
      : `${sectionName(hd.section_id)}: ${hd.quantity} place${hd.quantity > 1 ? 's' : ''}`;

  function draw() {
    const list = load().filter((x) => x.hold.event_id === event.id);
    panel.replaceChildren(
      h('h2', { text: 'Your holds' }),
      list.length
        ? h('ul', {}, ...list.map(item))
        : h('p', { text: 'Nothing held yet. Choose seats, then hold them.' }),
    );
    tick();
  }

  function item({ hold }) {
    const buy = h('button', {
      type: 'button',
      class: 'primary',
      text: `Buy for ${money(hold.total_cents)}`,
      onclick: () => purchase(hold.id),
    });
    return h(
      'li',
      { 'data-hold': hold.id },
      h('p', { class: 'what', text: what(hold) }),
      h('p', {}, 'Total ', h('strong', { text: money(hold.total_cents) })),
      h('p', { class: 'countdown', role: 'timer', 'aria-live': 'off', 'data-hold': hold.id }),
      h(
        'div',
        { class: 'controls' },
        buy,
        h('button', { type: 'button', text: 'Extend', onclick: () => act(hold.id, 'extend') }),
        h('button', { type: 'button', text: 'Release', onclick: () => act(hold.id, 'release') }),
      ),
    );
  }

  function tick() {
    for (const x of load()) {
      const el = panel.querySelector(`.countdown[data-hold="${x.hold.id}"]`);
      if (!el) continue;
      const left = Math.max(0, Math.ceil((Date.parse(x.hold.expires_at) - (Date.now() + x.offset)) / 1000));
      el.textContent = `Held for ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
      if (left === 0 && !x.key) {
        forget(x.hold.id);
        notice(
          msg,
          `Your hold expired: ${what(x.hold)} ${x.hold.seats.length > 1 || x.hold.quantity > 1 ? 'are' : 'is'} back on sale.`,
        );
        draw();
        hooks.changed(mine);
      }
    }
  }
  const timer = setInterval(() => {
    if (!panel.isConnected) clearInterval(timer);
    else tick();
  }, 250);

  async function act(id, action) {
    try {
      if (action === 'extend') {
        const r = await api.call(`/v1/holds/${id}/extend`, {
          method: 'POST',
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        });
        remember(r.body);
        notice(msg, `Extended: held until ${new Date(r.body.expires_at).toLocaleTimeString()}.`, 'ok');
      } else {
        await api.call(`/v1/holds/${id}`, {
          method: 'DELETE',
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        });
        forget(id);
        notice(msg, 'Released: the seats are back on sale.', 'ok');
      }
    } catch (e) {
      if (['hold_expired', 'hold_released', 'hold_not_found', 'hold_purchased'].includes(e.code)) forget(id);
      notice(msg, e.message);
    }
    draw();
    hooks.changed(mine);
  }

  async function purchase(id) {
    const list = load();
    const x = list.find((y) => y.hold.id === id);
    if (!x) return;
    x.key ??= crypto.randomUUID(); // reused until this attempt's outcome is known
    save(list);
    notice(msg, 'Buying…', 'info');
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await api.call(`/v1/holds/${id}/purchase`, {
          method: 'POST',
          headers: { 'Idempotency-Key': x.key },
        });
        forget(id);
        return go(`#/order/${r.body.id}`);
      } catch (e) {
        if (e.retriable && attempt < retries_max) {
          await new Promise((ok) => setTimeout(ok, 500 * (attempt + 1)));
          continue;
        }
        if (!e.retriable) {
          // The outcome is known: a new click is a new attempt.
          const now = load();
          const y = now.find((z) => z.hold.id === id);
          if (y) {
            y.key = null;
            save(now);
          }
          if (['hold_expired', 'hold_released', 'hold_not_found'].includes(e.code)) forget(id);
        }
        notice(msg, e.retriable ? `${e.message}. Press Buy again: it will not charge twice.` : e.message);
        draw();
        hooks.changed(mine);
        return;
      }
    }
  }

  async function place(body) {
    const pass = hooks.pass?.();
    const r = await api.call(`/v1/events/${event.id}/holds`, {
      method: 'POST',
      body,
      headers: { 'Idempotency-Key': crypto.randomUUID(), ...(pass ? { 'Queue-Pass': pass } : {}) },
    });
    remember(r.body);
    notice(msg, `Held ${what(r.body)}. Buy before the countdown ends.`, 'ok');
    draw();
    hooks.changed(mine);
    panel.querySelector(`li[data-hold="${r.body.id}"] button.primary`)?.focus();
    return r.body;
  }

  draw();
  return { place, mine };
}
