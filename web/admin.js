// The operator pages (admin role): events (drafts included), create an event
// and its sections, open and close the sale, edit, and live per-section
// counters polled every counters_poll_ms, so that they are at most 1 s stale
// (sales per second computed here from the sold count between polls; holds
// expiring in the next minute from the section's own count), the event's
// waiting-room panel (room_panel.js) and the cluster panel (cluster_panel.js).
// Every
// call is the public API with the admin's token; a customer's token is
// refused by the server (403), shown in plain words.
import * as api from './api.js';
import { h, page, notice, money, when } from './dom.js';
import { go, needLogin } from './app.js';
import { roomPanel, room_poll_ms } from './room_panel.js';
import { clusterPanel, cluster_poll_ms } from './cluster_panel.js';

const counters_poll_ms = 500;
let timers = [];
export function stopAdmin() {
  timers.forEach(clearInterval);
  timers = [];
}

function field(id, label, attrs = {}) {
  const input = h(attrs.tag ?? 'input', { id, name: id, ...attrs, tag: null });
  return [h('p', {}, h('label', { for: id, text: label }), input), input];
}

const isoFromLocal = (v) => new Date(v + 'Z').toISOString();

export async function adminPage() {
  if (!api.account()) return needLogin();
  const msg = h('p');
  const list = h('ul', { class: 'events' });
  const [titleP, title] = field('title', 'Title', { required: true, maxlength: 200 });
  const [venueP, venue] = field('venue', 'Venue', { maxlength: 200 });
  const [startsP, starts] = field('starts_at', 'Starts at (UTC)', { type: 'datetime-local', required: true });
  const [maxP, max] = field('max_tickets', 'Tickets per customer (empty: the server default)', {
    type: 'number',
    min: 1,
    max: 10000,
  });
  const form = h(
    'form',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const body = { title: title.value, venue: venue.value, starts_at: isoFromLocal(starts.value) };
          if (max.value) body.max_tickets_per_customer = Number(max.value);
          const r = await api.call('/v1/events', {
            method: 'POST',
            body,
            headers: { 'Idempotency-Key': crypto.randomUUID() },
          });
          go(`#/admin/event/${r.body.id}`);
        } catch (err) {
          notice(msg, err.message);
        }
      },
    },
    h(
      'fieldset',
      {},
      h('legend', { text: 'New event (draft)' }),
      titleP,
      venueP,
      startsP,
      maxP,
      h('button', { type: 'submit', text: 'Create event' }),
    ),
  );
  let listed = [];
  const cluster = clusterPanel(() => listed);
  page('Box office', msg, form, h('h2', { text: 'Events' }), list, cluster.panel);
  try {
    const r = await api.get('/v1/events?page_size=100');
    listed = r.items;
    list.replaceChildren(
      ...r.items.map((e) =>
        h(
          'li',
          {},
          h('a', { href: `#/admin/event/${e.id}`, text: e.title }),
          h('span', { class: 'meta', text: ` ${e.status} · ${when(e.starts_at)}` }),
        ),
      ),
    );
  } catch (e) {
    notice(msg, e.message);
  }
  await cluster.poll();
  timers.push(setInterval(cluster.poll, cluster_poll_ms));
}

export async function adminEventPage(id) {
  if (!api.account()) return needLogin();
  const msg = h('p', { id: 'problem' });
  let event;
  try {
    event = await api.get(`/v1/events/${id}`);
  } catch (e) {
    page('Event', msg);
    return notice(msg, e.message);
  }
  const status = h('p', { id: 'sale-status' });
  const counters = h('tbody');
  const stamp = h('p', { class: 'meta', id: 'counters-age' });
  const saleButtons = h('div', { class: 'controls' });
  const [titleP, title] = field('title', 'Title', { required: true, maxlength: 200, value: event.title });
  const [venueP, venue] = field('venue', 'Venue', { maxlength: 200, value: event.venue });
  const [descP, desc] = field('description', 'Description', { tag: 'textarea', maxlength: 10000 });
  desc.value = event.description;
  const [startsP, starts] = field('starts_at', 'Starts at (UTC)', {
    type: 'datetime-local',
    value: event.starts_at.slice(0, 16),
  });
  const [maxP, max] = field('max_tickets', 'Tickets per customer', {
    type: 'number',
    min: 1,
    max: 10000,
    value: event.max_tickets_per_customer,
  });
  const room = roomPanel(id, msg);
  const patch = async (body, done) => {
    try {
      await api.call(`/v1/events/${id}`, {
        method: 'PATCH',
        body,
        headers: { 'Idempotency-Key': crypto.randomUUID() },
      });
      notice(msg, done, 'ok');
      await poll();
    } catch (e) {
      notice(msg, e.message);
    }
  };
  const edit = h(
    'form',
    {
      onsubmit: (e) => {
        e.preventDefault();
        patch(
          {
            title: title.value,
            venue: venue.value,
            description: desc.value,
            starts_at: isoFromLocal(starts.value),
            max_tickets_per_customer: Number(max.value),
          },
          'Saved.',
        );
      },
    },
    h(
      'fieldset',
      {},
      h('legend', { text: 'Edit' }),
      titleP,
      venueP,
      descP,
      startsP,
      maxP,
      h('button', { type: 'submit', text: 'Save' }),
    ),
  );

  const [nameP, name] = field('section_name', 'Name', { required: true, maxlength: 100 });
  const kind = h(
    'select',
    { id: 'kind', name: 'kind' },
    h('option', { value: 'reserved', text: 'Reserved seats' }),
    h('option', { value: 'general', text: 'General admission' }),
  );
  const [rowsP, rows] = field('rows', 'Rows', { type: 'number', min: 1, value: 10 });
  const [perRowP, perRow] = field('seats_per_row', 'Seats per row', { type: 'number', min: 1, value: 20 });
  const [capP, cap] = field('capacity', 'Capacity (general admission)', {
    type: 'number',
    min: 1,
    value: 100,
  });
  const [priceP, price] = field('price', 'Price (EUR)', {
    type: 'number',
    min: 0,
    step: '0.01',
    value: '25.00',
    required: true,
  });
  const addSection = h(
    'form',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        const body = {
          name: name.value,
          kind: kind.value,
          price_cents: Math.round(Number(price.value) * 100),
        };
        if (kind.value === 'reserved')
          Object.assign(body, { rows: Number(rows.value), seats_per_row: Number(perRow.value) });
        else body.capacity = Number(cap.value);
        try {
          await api.call(`/v1/events/${id}/sections`, {
            method: 'POST',
            body,
            headers: { 'Idempotency-Key': crypto.randomUUID() },
          });
          notice(msg, `Section ${body.name} added.`, 'ok');
          name.value = '';
          await poll();
        } catch (err) {
          notice(msg, err.message);
        }
      },
    },
    h(
      'fieldset',
      {},
      h('legend', { text: 'Add a section' }),
      nameP,
      h('p', {}, h('label', { for: 'kind', text: 'Kind' }), kind),
      rowsP,
      perRowP,
      capP,
      priceP,
      h('button', { type: 'submit', text: 'Add section' }),
    ),
  );

  page(
    `Box office: ${event.title}`,
    msg,
    status,
    saleButtons,
    h(
      'table',
      { class: 'sections', id: 'counters' },
      h('caption', { text: 'Live counters' }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Section', 'Kind', 'Price', 'Capacity', 'Free', 'Held', 'Expiring in 1 min', 'Sold', 'Sales/s'].map(
            (t) => h('th', { scope: 'col', text: t }),
          ),
        ),
      ),
      counters,
    ),
    stamp,
    h('p', {
      class: 'meta',
      text: 'Expiring in 1 min: holds whose time runs out within the next 60 seconds, unless bought or extended.',
    }),
    room.panel,
    addSection,
    edit,
    h('p', {}, h('a', { href: `#/event/${id}`, text: 'See the buyer page' })),
  );

  let last = null,
    shownStatus = null;
  async function poll() {
    try {
      const ev = await api.get(`/v1/events/${id}`);
      const now = performance.now();
      const rate = (s) => {
        const before = last?.ev.sections.find((x) => x.id === s.id);
        return before ? ((s.sold - before.sold) / ((now - last.at) / 1000)).toFixed(1) : '0.0';
      };
      counters.replaceChildren(
        ...ev.sections.map((s) =>
          h(
            'tr',
            { 'data-section': s.id },
            h('th', { scope: 'row', text: s.name }),
            h('td', { text: s.kind }),
            h('td', { text: money(s.price_cents) }),
            h('td', { text: s.capacity }),
            h('td', { class: 'free', text: s.free }),
            h('td', { class: 'held', text: s.held }),
            h('td', { class: 'expiring', text: s.holds_expiring_60s }),
            h('td', { class: 'sold', text: s.sold }),
            h('td', { class: 'rate', text: rate(s) }),
          ),
        ),
      );
      last = { ev, at: now };
      stamp.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      status.textContent = `Sale: ${ev.status === 'on_sale' ? 'open' : ev.status}`;
      if (ev.status !== shownStatus)
        saleButtons.replaceChildren(
          ...[
            ev.status === 'draft'
              ? h('button', {
                  type: 'button',
                  id: 'open-sale',
                  text: 'Open the sale',
                  onclick: () => patch({ status: 'on_sale' }, 'The sale is open.'),
                })
              : null,
            ev.status === 'on_sale'
              ? h('button', {
                  type: 'button',
                  id: 'close-sale',
                  text: 'Close the sale',
                  onclick: () => patch({ status: 'closed' }, 'The sale is closed.'),
                })
              : null,
          ].filter(Boolean),
        );
      shownStatus = ev.status;
    } catch (e) {
      notice(msg, e.message);
    }
  }
  await Promise.all([poll(), room.poll()]);
  timers.push(setInterval(poll, counters_poll_ms), setInterval(room.poll, room_poll_ms));
}
