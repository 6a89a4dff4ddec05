// The waiting room on the event page (docs/waiting-room.md), while the
// event's room is on: the buyer joins the line and sees the position, the
// people ahead and the estimated wait, live from the entry's Server-Sent
// Events (GET /v1/queue/{entry}/stream) or, if the stream cannot be opened or
// drops, from polling GET /v1/queue/{entry} every refresh_after_s. The map
// stays hidden until `admitted`; then `onAdmitted(pass)` shows it and the
// holds send the pass as `Queue-Pass`. The entry's id (the credential for
// reading, streaming and leaving) is kept in sessionStorage, so a reload
// keeps the place.
import * as api from './api.js';
import { h, notice } from './dom.js';
import { needLogin } from './app.js';

// Kept per account and event: after a sign-out and another sign-in in the
// same tab, the new account does not see the old one's place.
const load = () => JSON.parse(sessionStorage.getItem('queue') || '{}');
const slot = (eventId) => `${api.account()?.email}/${eventId}`;
const kept = (eventId) => load()[slot(eventId)];
function keep(eventId, entryId) {
  const all = load();
  if (entryId) all[slot(eventId)] = entryId;
  else delete all[slot(eventId)];
  sessionStorage.setItem('queue', JSON.stringify(all));
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
export function waitText(s) {
  if (s <= 0) return 'less than a minute';
  if (s < 60) return plural(s, 'second', 'seconds');
  const m = Math.ceil(s / 60);
  return m < 60
    ? `about ${plural(m, 'minute', 'minutes')}`
    : `about ${plural(Math.round(m / 60), 'hour', 'hours')}`;
}

// What a finished entry's state means, in plain words.
const endings = {
  used: 'You have used your turn: your order was placed with it. Each account gets one turn in this waiting room.',
  left: 'You left the waiting room.',
  expired: 'Your turn ran out before you held seats. You can join the line again, at the back.',
  closed: 'The waiting room is closed: this sale has ended, nobody more will be let in.',
  gone: 'Your place in the waiting room no longer exists. You can join the line again.',
  abandoned: 'Your place was given up: this page stopped following the line for too long. You can join the line again, at the back.',
};

// `box`: the element the room is drawn in. `msg`: the page's message area.
// `onAdmitted(pass, focus)`: the buyer may shop now (`focus`: the keyboard
// focus was in the room, move it to the map); `onEnded()`: the turn is over
// (given up, or the pass expired or was used). Answers { pass() (the live
// pass token or null), check(), stop() }.
export function waitingRoom(box, msg, event, { onAdmitted, onEnded, alive }) {
  let entry = null; // the last status seen
  let stream = null;
  let pollTimer = null;
  let stopped = false;
  const status = h('div', { id: 'queue-status', role: 'status', 'aria-live': 'polite' });
  const actions = h('div', { class: 'controls' });
  const intro = h('p', {
    text: 'Many people want tickets for this event. Join the line: you are let in one by one while seats are left, and then the seat map appears here.',
  });
  box.replaceChildren(
    h('h2', { id: 'queue-h', tabindex: '-1', text: 'Waiting room' }),
    intro,
    status,
    actions,
  );

  const button = (id, text, onclick, primary) =>
    h('button', { type: 'button', id, class: primary ? 'primary' : null, text, onclick });
  const facts = (...rows) =>
    h(
      'dl',
      { class: 'queue-facts' },
      ...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]),
    );

  // Buttons change with the state: a keyboard user's focus stays in the room.
  function setActions(...buttons) {
    const hadFocus = actions.contains(document.activeElement);
    actions.replaceChildren(...buttons.filter(Boolean));
    if (hadFocus) (actions.querySelector('button') ?? box.querySelector('#queue-h')).focus();
  }

  function show(s) {
    if (stopped) return;
    if (entry?.state === 'admitted' && s.state !== 'admitted') onEnded();
    entry = s;
    // `away`: skipped at its turn for not listening; this page listens, so
    // it is back in line at once: shown as waiting, and followed on.
    const state = s.state === 'away' ? 'waiting' : s.state;
    box.dataset.queueState = state;
    intro.hidden = state === 'admitted';
    if (state === 'admitted') {
      closeStream();
      stopPolling();
      status.replaceChildren(
        h('p', {
          class: 'notice ok',
          text: `It is your turn: choose your seats before ${new Date(s.pass.expires_at).toLocaleTimeString()}.`,
        }),
      );
      // The focus goes to the map (onAdmitted), never to "Give up my turn".
      const hadFocus = box.contains(document.activeElement);
      actions.replaceChildren(button('leave-queue', 'Give up my turn', leave));
      onAdmitted(s.pass.token, hadFocus);
      return;
    }
    if (state === 'waiting') {
      status.replaceChildren(
        h('p', {
          class: 'queue-place',
          text: s.people_ahead === 0 ? 'You are next in line.' : `You are number ${s.position} in line.`,
        }),
        facts(
          ['People ahead of you', String(s.people_ahead)],
          ['Estimated wait', waitText(s.estimated_wait_s)],
        ),
        h('p', { class: 'meta', text: 'Keep this page open: it moves by itself.' }),
      );
    } else if (state === 'pre_queue') {
      status.replaceChildren(
        h('p', {
          class: 'queue-place',
          text: 'You are in the line. The sale has not opened yet: at the opening, the order of everyone who joined before it is drawn by lottery.',
        }),
        facts(['Opens in', waitText(s.estimated_wait_s)]),
      );
    } else if (state === 'sold_out') {
      status.replaceChildren(
        h('p', {
          class: 'notice info',
          text: 'Sold out for now: every seat is sold. You keep your place in line: if seats come back (a cancelled order), the line moves again.',
        }),
      );
    } else {
      closeStream();
      stopPolling();
      keep(event.id, null);
      status.replaceChildren(h('p', { class: 'notice info', text: endings[state] ?? endings.gone }));
      const again = state !== 'closed' && state !== 'used';
      setActions(again ? button('join-queue', 'Join the line', join, true) : null);
      return;
    }
    setActions(button('leave-queue', 'Leave the line', leave));
  }

  function closeStream() {
    stream?.close();
    stream = null;
  }
  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = null;
  }
  // The fallback: polling at the server's pace.
  function poll(afterS) {
    stopPolling();
    if (stopped || !entry) return;
    pollTimer = setTimeout(async () => {
      try {
        const r = await api.call(`/v1/queue/${entry.id}`);
        if (!alive()) return stop();
        show(r.body);
      } catch (e) {
        if (e.code === 'queue_entry_not_found') return show({ ...entry, state: 'gone' });
      }
      if (!['admitted', 'used', 'left', 'expired', 'closed', 'gone', 'abandoned'].includes(entry.state))
        poll(entry.refresh_after_s);
    }, Math.max(1, afterS) * 1000);
  }

  function follow() {
    closeStream();
    if (typeof EventSource !== 'function') return poll(entry.refresh_after_s);
    stream = new EventSource(`/v1/queue/${encodeURIComponent(entry.id)}/stream`);
    const onEvent = (ev) => {
      if (!alive()) return stop();
      stopPolling(); // the stream works: no need to poll
      const data = JSON.parse(ev.data);
      show(data.state === 'gone' ? { ...entry, state: 'gone' } : data);
    };
    for (const name of ['position', 'sold_out', 'admitted', 'closed']) stream.addEventListener(name, onEvent);
    // EventSource reconnects by itself (with Last-Event-ID); until it does,
    // the page polls, so a proxy that never passes the stream still works.
    stream.onerror = () => {
      if (stream?.readyState === EventSource.CLOSED) closeStream();
      if (!pollTimer) poll(entry.refresh_after_s);
    };
  }

  async function join() {
    if (!api.account()) return needLogin();
    try {
      const r = await api.call(`/v1/events/${event.id}/queue`, { method: 'POST' });
      if (!alive()) return;
      keep(event.id, r.body.id);
      show(r.body);
      if (!['admitted', 'used', 'closed'].includes(r.body.state)) follow();
    } catch (e) {
      notice(msg, e.retryAfter ? `${e.message} (in about ${waitText(e.retryAfter)})` : e.message);
    }
  }

  async function leave() {
    if (!entry) return;
    try {
      await api.call(`/v1/queue/${entry.id}`, { method: 'DELETE' });
    } catch (e) {
      if (e.code !== 'queue_entry_not_found') return notice(msg, e.message);
    }
    show({ ...entry, state: 'left' });
    notice(msg, 'You left the waiting room.', 'ok');
  }

  // Where the buyer stands now: a kept entry is read again, else an offer to join.
  async function check() {
    const id = kept(event.id);
    if (id) {
      try {
        const r = await api.call(`/v1/queue/${id}`);
        if (!alive()) return;
        show(r.body);
        if (!['admitted', 'used', 'left', 'expired', 'closed', 'abandoned'].includes(r.body.state)) follow();
        return;
      } catch {
        keep(event.id, null);
      }
    }
    entry = null;
    box.dataset.queueState = 'none';
    status.replaceChildren(
      h('p', {
        text: api.account()
          ? 'You are not in the line yet.'
          : 'Sign in to join the line (one place per account).',
      }),
    );
    const label = api.account() ? 'Join the line' : 'Sign in to join the line';
    setActions(button('join-queue', label, join, true));
  }

  function stop() {
    stopped = true;
    closeStream();
    stopPolling();
  }

  return { pass: () => (entry?.state === 'admitted' ? entry.pass.token : null), check, stop };
}
