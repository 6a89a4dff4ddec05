// The event page: sections with prices and live free counts, the seat map of
// the chosen reserved section (or a quantity for general admission), "best
// N", and the hold panel. Live: the open map is polled with If-None-Match
// every poll_ms (a 304 costs a few hundred bytes), the counts every second.
// While the event's waiting room is on, the map and the seat buttons stay
// hidden behind the queue (queue.js) until the buyer is admitted, and every
// hold then carries the admission pass.
import * as api from './api.js';
import { h, page, notice, money, when } from './dom.js';
import { SeatMap } from './seatmap.js';
import { holdPanel } from './holds.js';
import { waitingRoom } from './queue.js';
import { needLogin } from './app.js';

const poll_ms = 400;
let timers = [];
let rooms = [];
let alive = 0; // bumped on every navigation: late answers of a left page are dropped

export function stopEventPage() {
  timers.forEach(clearInterval);
  timers = [];
  rooms.forEach((r) => r.stop());
  rooms = [];
  alive++;
}

const roomOn = (ev) => Boolean(ev.waiting_room && ev.waiting_room.mode !== 'off');

export async function eventPage(eventId) {
  const me = alive;
  const msg = h('p', { id: 'problem' });
  let event;
  try {
    event = await api.get(`/v1/events/${eventId}`);
    performance.mark('event-loaded');
  } catch (e) {
    page('Event', msg);
    return notice(msg, e.message);
  }
  if (me !== alive) return;
  const sectionsBody = h('tbody');
  const mapArea = h('section', { id: 'maparea', 'aria-label': 'Seats' });
  const panel = h('aside', { id: 'holds', 'aria-label': 'Your holds' });
  const queueBox = h('section', { id: 'queue', 'aria-labelledby': 'queue-h', hidden: true });
  const buy = h('div', { class: 'buy' }, mapArea, panel);
  // Shopping is open: no room, or admitted through it.
  let shopping = !roomOn(event);
  let room = null;
  page(
    event.title,
    h('p', {
      class: 'meta',
      text: `${event.venue ? event.venue + ' · ' : ''}${when(event.starts_at)} · ${event.status === 'on_sale' ? 'on sale' : event.status}`,
    }),
    event.description ? h('p', { text: event.description }) : null,
    h(
      'table',
      { class: 'sections' },
      h('caption', { text: 'Sections' }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Section', 'Price', 'Free', 'Held', 'Sold', 'Seats'].map((t) =>
            h('th', { scope: 'col', text: t }),
          ),
        ),
      ),
      sectionsBody,
    ),
    msg,
    queueBox,
    buy,
  );

  let current = null; // {section, map: SeatMap|null, etag}
  const holds = holdPanel(panel, msg, event, {
    changed: (mine) => {
      current?.map?.setMine(mine(current.section.id));
      refreshMap();
    },
    pass: () => room?.pass() ?? null,
  });

  const showCounts = (ev) => {
    sectionsBody.replaceChildren(
      ...ev.sections.map((s) =>
        h(
          'tr',
          { 'data-section': s.id },
          h('th', { scope: 'row', text: s.name }),
          h('td', { text: money(s.price_cents) }),
          h('td', { class: 'free', text: s.free }),
          h('td', { text: s.held }),
          h('td', { text: s.sold }),
          h(
            'td',
            {},
            shopping
              ? h('button', {
                  type: 'button',
                  text: `Choose ${s.name}`,
                  'aria-pressed': String(current?.section.id === s.id),
                  onclick: () => openSection(s, true),
                })
              : 'after the waiting room',
          ),
        ),
      ),
    );
  };
  showCounts(event);
  let eventTag = null;
  async function refreshCounts() {
    try {
      const r = await api.call(`/v1/events/${eventId}`, { etag: eventTag });
      if (me !== alive || r.status === 304) return;
      eventTag = r.etag;
      const wasOn = roomOn(event);
      event = r.body;
      if (wasOn !== roomOn(event)) roomChanged();
      showCounts(event);
    } catch {
      /* the next poll tries again */
    }
  }
  timers.push(setInterval(refreshCounts, 1000));

  async function refreshMap(force) {
    const c = current;
    if (!c?.map) return;
    try {
      const r = await api.call(`/v1/events/${eventId}/sections/${c.section.id}/seats`, {
        etag: force ? null : c.etag,
      });
      if (me !== alive || c !== current || r.status === 304) return;
      c.etag = r.etag;
      c.map.update(r.body);
    } catch {
      /* polled again shortly */
    }
  }

  async function openSection(s, chosen) {
    const opened = (current = { section: s, map: null, etag: null });
    showCounts(event);
    const sel = h('p', { id: 'selection', 'aria-live': 'polite', text: 'No seat selected.' });
    const holdSel = h('button', {
      type: 'button',
      id: 'hold-selected',
      disabled: true,
      text: 'Hold selected seats',
    });
    const qty = h('input', { type: 'number', id: 'qty', min: 1, max: 10, value: 2, name: 'quantity' });
    const best = h('button', {
      type: 'button',
      id: 'hold-best',
      text: s.kind === 'general' ? 'Hold places' : 'Hold best seats',
    });
    const intro = h('h2', { tabindex: '-1', text: `${s.name} · ${money(s.price_cents)} each` });
    const placeHold = async (body) => {
      if (!api.account()) return needLogin();
      try {
        await holds.place({ section_id: s.id, ...body });
        current?.map?.clearSelection();
      } catch (e) {
        if (e.code.startsWith('queue_pass_') && roomOn(event)) {
          closeShop();
          notice(msg, e.message);
        } else if (e.code === 'seat_unavailable' && body.seats) {
          await Promise.all([refreshMap(true), refreshCounts()]);
          const taken = body.seats.filter((l) => current?.map?.stateOf(l) !== 'f');
          notice(
            msg,
            `Sorry, ${taken.length ? `seat${taken.length > 1 ? 's' : ''} ${taken.join(', ')} ${taken.length > 1 ? 'were' : 'was'}` : 'a seat was'} just taken by someone else. The map is up to date: pick again.`,
          );
        } else notice(msg, e.message);
      }
    };
    holdSel.addEventListener('click', () => placeHold({ seats: [...current.map.selected] }));
    best.addEventListener('click', () => placeHold({ quantity: Number(qty.value) }));
    const controls = h(
      'div',
      { class: 'controls' },
      h('label', { for: 'qty', text: s.kind === 'general' ? 'Places ' : 'How many seats ' }),
      qty,
      best,
    );
    if (s.kind === 'general') {
      mapArea.replaceChildren(
        intro,
        h('p', { text: `General admission: ${s.free} of ${s.capacity} places free.` }),
        controls,
      );
      if (chosen) intro.focus();
      return;
    }
    const legend = h(
      'ul',
      { class: 'legend', 'aria-label': 'Legend' },
      ...[
        ['f', 'Free'],
        ['x', 'Selected'],
        ['m', 'Yours (held)'],
        ['h', 'Held by others'],
        ['s', 'Sold'],
      ].map(([k, t]) => h('li', {}, h('span', { class: `swatch ${k}`, 'aria-hidden': 'true' }), t)),
    );
    const svgBox = h('div', { class: 'map', id: 'map' });
    mapArea.replaceChildren(intro, legend, svgBox, sel, h('div', { class: 'controls' }, holdSel), controls);
    const map = new SeatMap(svgBox, (labels) => {
      holdSel.disabled = labels.length === 0;
      holdSel.textContent = labels.length
        ? `Hold ${labels.length} selected seat${labels.length > 1 ? 's' : ''}`
        : 'Hold selected seats';
      sel.textContent = labels.length
        ? `Selected: ${labels.join(', ')} · ${money(labels.length * s.price_cents)}`
        : 'No seat selected.';
    });
    const r = await api.call(`/v1/events/${eventId}/sections/${s.id}/seats`);
    if (me !== alive || opened !== current) return; // left, or another section chosen meanwhile
    // Marks for the speed test (and anyone's DevTools): where the time goes.
    performance.mark('seats-loaded');
    current.etag = r.etag;
    current.map = map;
    map.mine = new Set(holds.mine(s.id));
    map.render(r.body);
    performance.mark('map-rendered');
    if (chosen) intro.focus();
    document.body.dataset.mapReady = String(s.id);
  }

  function openShop(pass, focus) {
    shopping = true;
    buy.hidden = false;
    showCounts(event);
    const first = event.sections.find((s) => s.kind === 'reserved') ?? event.sections[0];
    if (first && !current) openSection(first, focus);
  }
  function hideShop() {
    shopping = false;
    buy.hidden = true;
    current = null;
    mapArea.replaceChildren();
    delete document.body.dataset.mapReady;
    showCounts(event);
  }
  // The map hidden again behind the line (the room came on, or a hold was
  // refused for its pass), and the buyer's place read again.
  function closeShop() {
    hideShop();
    queueBox.hidden = false;
    if (!room) {
      room = waitingRoom(queueBox, msg, event, {
        onAdmitted: openShop,
        onEnded: hideShop,
        alive: () => me === alive,
      });
      rooms.push(room);
    }
    room.check();
  }
  function roomChanged() {
    if (roomOn(event)) return closeShop();
    room?.stop();
    room = null;
    queueBox.hidden = true;
    openShop();
  }

  timers.push(setInterval(() => refreshMap(false), poll_ms));
  if (shopping) openShop();
  else closeShop();
}
