// The pages' entry point: a hash router (#/, #/event/1, #/orders, #/login,
// #/admin...) so that the server serves one HTML file, the header with who is
// signed in, and the small pages: events, sign in / sign up, my orders.
import * as api from './api.js';
import { h, page, notice, money, when } from './dom.js';
import { eventPage, stopEventPage } from './event.js';
import { adminPage, adminEventPage, stopAdmin } from './admin.js';

const routes = [
  [/^#?\/?$/, () => eventsPage()],
  [/^#\/event\/(\d+)$/, (m) => eventPage(Number(m[1]))],
  [/^#\/login$/, () => authPage('login')],
  [/^#\/signup$/, () => authPage('signup')],
  [/^#\/orders$/, () => ordersPage()],
  [/^#\/order\/([0-9-]+)$/, (m) => ordersPage(m[1])],
  [/^#\/admin$/, () => adminPage()],
  [/^#\/admin\/event\/(\d+)$/, (m) => adminEventPage(Number(m[1]))],
];

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function route() {
  stopEventPage();
  stopAdmin();
  header();
  for (const [re, show] of routes) {
    const m = location.hash.match(re);
    if (m) return show(m);
  }
  page('Not found', h('p', { text: 'There is no such page.' }), h('a', { href: '#/', text: 'All events' }));
}

function header() {
  const who = api.account();
  const nav = document.getElementById('account');
  nav.replaceChildren(
    ...(who
      ? [
          h('span', { text: who.email }),
          h('a', { href: '#/orders', text: 'My orders' }),
          who.role === 'admin' ? h('a', { href: '#/admin', text: 'Box office' }) : null,
          h('button', {
            type: 'button',
            class: 'link',
            onclick: async () => {
              await api.logout();
              go('#/');
            },
            text: 'Sign out',
          }),
        ]
      : [h('a', { href: `#/login`, text: 'Sign in' }), h('a', { href: '#/signup', text: 'Sign up' })]
    ).filter(Boolean),
  );
}

async function eventsPage() {
  const q = h('input', {
    type: 'search',
    id: 'q',
    name: 'q',
    value: new URLSearchParams(location.search).get('q') ?? '',
  });
  const list = h('ul', { class: 'events', 'aria-live': 'polite' });
  const msg = h('p');
  // Searches can overlap (the page's own first search and an early Enter):
  // only the latest answer is shown, and an answer listing the same events
  // leaves the list alone, so the link a keyboard or screen-reader user is on
  // keeps the focus.
  let latest = 0;
  let shown = '';
  const search = async () => {
    const mine = ++latest;
    try {
      const r = await api.get(`/v1/events?page_size=50&q=${encodeURIComponent(q.value)}`);
      if (mine !== latest) return;
      const ids = JSON.stringify(r.items.map((e) => [e.id, e.title, e.venue, e.starts_at]));
      notice(msg, r.total ? `${r.total} event${r.total === 1 ? '' : 's'}` : 'No event matches.', 'info');
      if (ids === shown) return;
      shown = ids;
      list.replaceChildren(
        ...r.items.map((e) =>
          h(
            'li',
            {},
            h('a', { href: `#/event/${e.id}`, text: e.title }),
            h('span', { class: 'meta', text: ` ${e.venue ? e.venue + ' · ' : ''}${when(e.starts_at)}` }),
          ),
        ),
      );
    } catch (e) {
      if (mine === latest) notice(msg, e.message);
    }
  };
  const form = h(
    'form',
    {
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        search();
      },
    },
    h('label', { for: 'q', text: 'Search events ' }),
    q,
    h('button', { type: 'submit', text: 'Search' }),
  );
  page('Events', form, msg, list);
  search();
}

function authPage(kind) {
  const email = h('input', {
    type: 'email',
    id: 'email',
    name: 'email',
    autocomplete: 'username',
    required: true,
  });
  const password = h('input', {
    type: 'password',
    id: 'password',
    name: 'password',
    required: true,
    autocomplete: kind === 'login' ? 'current-password' : 'new-password',
    minlength: kind === 'signup' ? 10 : null,
  });
  const msg = h('p');
  const back = sessionStorage.getItem('after_login') ?? '#/';
  const form = h(
    'form',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await (kind === 'login' ? api.login : api.signup)(email.value, password.value);
          sessionStorage.removeItem('after_login');
          go(back);
        } catch (err) {
          notice(msg, err.message);
        }
      },
    },
    h('p', {}, h('label', { for: 'email', text: 'Email' }), email),
    h(
      'p',
      {},
      h('label', {
        for: 'password',
        text: kind === 'signup' ? 'Password (at least 10 characters)' : 'Password',
      }),
      password,
    ),
    h('button', { type: 'submit', text: kind === 'login' ? 'Sign in' : 'Create account' }),
    msg,
  );
  page(
    kind === 'login' ? 'Sign in' : 'Sign up',
    form,
    kind === 'login'
      ? h('p', {}, 'No account yet? ', h('a', { href: '#/signup', text: 'Sign up' }))
      : h('p', {}, 'Have an account? ', h('a', { href: '#/login', text: 'Sign in' })),
  );
}

export function needLogin() {
  sessionStorage.setItem('after_login', location.hash);
  go('#/login');
}

async function ordersPage(confirmed) {
  if (!api.account()) return needLogin();
  const msg = h('p');
  const list = h('ul', { class: 'orders' });
  const intro = confirmed
    ? h('p', { class: 'notice ok', role: 'status', text: `Thank you: order ${confirmed} is confirmed.` })
    : null;
  page(confirmed ? 'Order confirmed' : 'My orders', intro, msg, list);
  const load = async () => {
    try {
      const r = await api.get('/v1/orders?page_size=100');
      list.replaceChildren(
        ...r.items.map((o) =>
          h(
            'li',
            { 'data-order': o.id, class: o.id === confirmed ? 'new' : null },
            h('strong', { text: `Order ${o.id}` }),
            ` · event ${o.event_id} · `,
            o.seats.length
              ? `seats ${o.seats.join(', ')}`
              : `${o.quantity} place${o.quantity === 1 ? '' : 's'}`,
            ` · ${money(o.total_cents)} · `,
            h('span', { class: 'status', text: o.status }),
            o.status === 'confirmed'
              ? h('button', {
                  type: 'button',
                  text: `Cancel order ${o.id}`,
                  onclick: async () => {
                    try {
                      await api.call(`/v1/orders/${o.id}/cancel`, {
                        method: 'POST',
                        headers: { 'Idempotency-Key': crypto.randomUUID() },
                      });
                      notice(msg, `Order ${o.id} is cancelled; its seats are on sale again.`, 'ok');
                      load();
                    } catch (e) {
                      notice(msg, e.message);
                    }
                  },
                })
              : null,
          ),
        ),
      );
      if (!r.items.length) notice(msg, 'You have no orders yet.', 'info');
    } catch (e) {
      notice(msg, e.message);
    }
  };
  load();
}

window.addEventListener('hashchange', route);
route();
