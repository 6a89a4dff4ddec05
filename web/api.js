// The public API (http/openapi.json) as the pages use it: JSON in and out,
// the access token on every call, one silent refresh when it has expired,
// and every problem+json turned into an Error whose message is plain words.

const session = {
  get tokens() {
    return JSON.parse(sessionStorage.getItem('tokens') || 'null');
  },
  set tokens(t) {
    if (t) sessionStorage.setItem('tokens', JSON.stringify(t));
    else sessionStorage.removeItem('tokens');
  },
};

export function account() {
  return session.tokens?.account ?? null;
}
export function isAdmin() {
  return account()?.role === 'admin';
}

// What a buyer reads for each stable problem code; the server's detail is
// added where it names a field or a limit.
const words = {
  invalid_field: 'Something in the form is missing or wrong',
  invalid_value: 'A value is out of range',
  malformed_json: 'The page sent something the server could not read',
  invalid_credentials: 'The email or the password is wrong',
  invalid_refresh_token: 'You have been signed out; please sign in again',
  refresh_token_reused: 'You have been signed out everywhere for safety; please sign in again',
  invalid_token: 'You have been signed out; please sign in again',
  token_expired: 'You have been signed out; please sign in again',
  unauthorized: 'Please sign in first',
  forbidden: 'This page is for box-office staff only',
  event_not_found: 'This event does not exist (or is not on sale yet)',
  hold_not_found: 'This hold no longer exists',
  order_not_found: 'This order does not exist',
  section_not_found: 'This section does not exist',
  not_found: 'Nothing here',
  method_not_allowed: 'The page asked for something the server does not do here',
  body_too_large: 'What the page sent is too large',
  unsupported_media_type: 'The page sent something in a form the server does not take',
  email_taken: 'An account with this email already exists; sign in instead',
  hold_purchased: 'This hold has already been bought',
  idempotency_key_in_use: 'Your previous attempt is still being processed; try again in a moment',
  invalid_transition: 'The sale cannot change that way',
  limit_exceeded: 'You have reached the ticket limit for this event',
  not_enough_seats: 'There are not that many seats left together',
  order_cancelled: 'This order was already cancelled',
  sale_not_open: 'This sale is not open',
  seat_unavailable: 'A seat you asked for was just taken',
  storage_conflict: 'The change could not be saved; try again',
  too_many_holds: 'You already hold as many sets of seats as allowed; buy or release one first',
  hold_expired: 'Your hold has expired; the seats are back on sale',
  hold_released: 'This hold was released',
  hold_lifetime_exceeded: 'This hold cannot be extended any further',
  idempotency_key_reused: 'The page reused a request key by mistake; reload and try again',
  invalid_email: 'That does not look like an email address',
  invalid_quantity: 'The quantity must be at least 1',
  invalid_request: 'The request is not valid (a seat named twice?)',
  invalid_section: 'This section layout is not valid',
  too_many_seats: 'Too many seats in one hold',
  too_many_sections: 'This event has as many sections as allowed',
  unknown_seat: 'There is no such seat',
  weak_password: 'The password is too short (at least 10 characters)',
  rate_limited: 'Too many attempts; wait a little and try again',
  auth_busy: 'Too many people are signing in right now; try again in a moment',
  internal_error: 'Something went wrong on our side',
  not_ready: 'The box office is starting; try again in a moment',
  overloaded: 'The box office is very busy; try again in a moment',
  request_timeout: 'No answer in time; trying again is safe',
  storage_unavailable: 'The box office cannot save right now; nothing was changed',
  unavailable: 'The box office is unavailable; try again in a moment',
  not_owner: 'This event is moving between our servers; try again in a moment',
  owner_unreachable: 'The server selling this event cannot be reached; try again in a moment',
  cluster_disabled: 'This box office runs on a single server: there is no cluster to show',
  invalid_queue_settings: 'These waiting-room settings do not fit together',
  queue_off: 'This event has no waiting room right now',
  queue_not_open: 'The waiting room is not open yet',
  queue_full: 'The waiting room is full; try again in a moment',
  queue_closed: 'The waiting room is closed',
  queue_entry_not_found: 'Your place in the waiting room was not found; join again',
  queue_pass_missing: 'Wait for your turn in the waiting room first',
  queue_pass_forged: 'Your admission pass is not valid; join the waiting room again',
  queue_pass_other_customer: 'This admission pass belongs to someone else',
  queue_pass_other_event: 'This admission pass is for another event',
  queue_pass_expired: 'Your admission pass has expired; join the waiting room again',
  queue_pass_used: 'Your admission pass was already used',
};

export class Problem extends Error {
  constructor(p, status) {
    const plain = words[p.code] ?? p.title ?? `Error ${status}`;
    const named = ['invalid_field', 'invalid_value'].includes(p.code) && p.detail;
    super(named ? `${plain}: ${p.detail}` : plain);
    this.code = p.code ?? 'http_' + status;
    this.status = status;
    this.detail = p.detail;
    this.retryAfter = p.retryAfter;
  }
  // The outcome is unknown or nothing was done: the same request may be sent again.
  get retriable() {
    return this.status === 503 || this.status === 0 || this.code === 'idempotency_key_in_use';
  }
}

let refreshing = null;

async function refresh() {
  const t = session.tokens;
  if (!t) return false;
  refreshing ??= fetch('/v1/auth/refresh', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: t.refresh_token }),
  })
    .then(async (r) => {
      if (!r.ok) {
        session.tokens = null;
        return false;
      }
      saveTokens(await r.json());
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function saveTokens(pair) {
  session.tokens = { ...pair, refresh_at: Date.now() + pair.expires_in * 800 };
}

// Silent refresh: ahead of expiry while the page is open, and once on a 401.
setInterval(() => {
  const t = session.tokens;
  if (t && Date.now() > t.refresh_at) refresh();
}, 5000);

// One call. `opts`: method, body (JSON), headers, etag (If-None-Match).
// Answers {status, body, etag}; a 304 has body null. Throws Problem.
export async function call(path, opts = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { ...(opts.headers ?? {}) };
    const t = session.tokens;
    if (t) headers.Authorization = `Bearer ${t.access_token}`;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.etag) headers['If-None-Match'] = opts.etag;
    let r;
    try {
      r = await fetch(path, {
        method: opts.method ?? 'GET',
        headers,
        cache: 'no-store',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch {
      throw new Problem({ code: 'unavailable' }, 0);
    }
    if (r.status === 304) return { status: 304, body: null, etag: opts.etag };
    const type = r.headers.get('Content-Type') ?? '';
    const body = r.status === 204 ? null : type.includes('json') ? await r.json() : await r.text();
    if (r.ok) return { status: r.status, body, etag: r.headers.get('ETag') };
    const p = typeof body === 'object' && body ? body : { title: `Error ${r.status}` };
    if (
      r.status === 401 &&
      attempt === 0 &&
      ['token_expired', 'invalid_token'].includes(p.code) &&
      (await refresh())
    )
      continue;
    if (r.status === 401 && ['token_expired', 'invalid_token'].includes(p.code)) session.tokens = null;
    p.retryAfter = Number(r.headers.get('Retry-After')) || 0;
    throw new Problem(p, r.status);
  }
}

export const get = (path, etag) => call(path, { etag }).then((r) => r.body);

export async function login(email, password) {
  const r = await call('/v1/auth/login', { method: 'POST', body: { email, password } });
  saveTokens(r.body);
  return r.body.account;
}

export async function signup(email, password) {
  await call('/v1/auth/signup', { method: 'POST', body: { email, password } });
  return login(email, password);
}

export async function logout() {
  const t = session.tokens;
  session.tokens = null;
  if (t)
    await call('/v1/auth/logout', { method: 'POST', body: { refresh_token: t.refresh_token } }).catch(
      () => {},
    );
}
