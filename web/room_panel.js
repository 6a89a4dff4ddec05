// The operator's waiting-room panel (docs/waiting-room.md), on the operator
// page of one event: the line's depth (pre-queue and waiting), admitted per
// second (the change in admitted_total between two polls, as sales per
// second are), active shoppers (live passes), and the settings an operator
// turns during a sale: mode, pause/resume, rate and the shoppers' cap. Read
// with GET /v1/events/{id}/queue, changed with PATCH (admins only).
import * as api from './api.js';
import { h, notice } from './dom.js';

export const room_poll_ms = 1000;

export function roomPanel(eventId, msg) {
  const figures = h('tbody');
  const state = h('p', { id: 'room-state', class: 'queue-place' });
  const mode = h(
    'select',
    { id: 'room-mode', name: 'room-mode' },
    h('option', { value: 'off', text: 'Off: no waiting room' }),
    h('option', { value: 'queue', text: 'Queue: everyone waits for a turn' }),
    h('option', { value: 'safety_net', text: 'Safety net: let in at once while there is room' }),
  );
  const rate = h('input', { id: 'room-rate', name: 'room-rate', type: 'number', min: 1, step: 1 });
  const active = h('input', { id: 'room-active', name: 'room-active', type: 'number', min: 1, step: 1 });
  const pause = h('button', { type: 'button', id: 'room-pause' });
  let paused = false;
  let editing = false; // the inputs are left alone while the operator types

  const change = async (body, done) => {
    try {
      const r = await api.call(`/v1/events/${eventId}/queue`, {
        method: 'PATCH',
        body,
        headers: { 'Idempotency-Key': crypto.randomUUID() },
      });
      notice(msg, done, 'ok');
      editing = false;
      show(r.body);
    } catch (e) {
      notice(msg, e.message);
    }
  };
  pause.addEventListener('click', () =>
    change({ paused: !paused }, paused ? 'Admission resumed.' : 'Admission paused: nobody is let in.'),
  );
  const settings = h(
    'form',
    {
      onsubmit: (e) => {
        e.preventDefault();
        change(
          { mode: mode.value, rate_per_s: Number(rate.value), active_max: Number(active.value) },
          'Waiting-room settings saved.',
        );
      },
      oninput: () => {
        editing = true;
      },
    },
    h('p', {}, h('label', { for: 'room-mode', text: 'Mode' }), mode),
    h('p', {}, h('label', { for: 'room-rate', text: 'Admitted per second (rate)' }), rate),
    h('p', {}, h('label', { for: 'room-active', text: 'Active shoppers at most' }), active),
    h('button', { type: 'submit', text: 'Apply waiting-room settings' }),
  );
  const panel = h(
    'section',
    { class: 'panel', id: 'room-panel', 'aria-labelledby': 'room-h' },
    h('h2', { id: 'room-h', text: 'Waiting room' }),
    state,
    h('div', { class: 'controls' }, pause),
    h(
      'table',
      { class: 'sections', id: 'room-figures' },
      h('caption', { text: 'The line now' }),
      figures,
    ),
    settings,
  );

  let last = null;
  function show(room) {
    const now = performance.now();
    const s = room.settings;
    const perS = last ? ((room.admitted_total - last.room.admitted_total) / ((now - last.at) / 1000)) : 0;
    last = { room, at: now };
    paused = s.paused;
    const depth = room.pre_queue + room.waiting;
    panel.dataset.mode = s.mode;
    panel.dataset.paused = String(s.paused);
    state.textContent =
      s.mode === 'off'
        ? 'Off: buyers shop without waiting.'
        : `${s.mode === 'queue' ? 'Queue' : 'Safety net'}: ${s.paused ? 'paused, nobody is let in' : `letting in up to ${s.rate_per_s} per second`}${room.sold_out ? ' · sold out, nobody is let in until seats come back' : ''}.`;
    pause.textContent = s.paused ? 'Resume admission' : 'Pause admission';
    pause.disabled = s.mode === 'off';
    const row = (key, label, value) =>
      h('tr', { 'data-figure': key }, h('th', { scope: 'row', text: label }), h('td', { text: String(value) }));
    figures.replaceChildren(
      row('depth', 'In line (depth)', depth),
      row('pre_queue', 'of which before the opening', room.pre_queue),
      row('admitted_per_s', 'Admitted per second', Math.max(0, perS).toFixed(1)),
      row('active', 'Active shoppers (live passes)', room.admitted),
      row('admitted_total', 'Admitted in all', room.admitted_total),
    );
    if (!editing) {
      mode.value = s.mode;
      rate.value = s.rate_per_s;
      active.value = s.active_max;
    }
  }

  async function poll() {
    try {
      show(await api.get(`/v1/events/${eventId}/queue`));
    } catch (e) {
      notice(msg, e.message);
    }
  }
  return { panel, poll };
}
