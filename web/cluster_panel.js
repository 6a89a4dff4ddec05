// The operator's cluster panel (README "Running a cluster", docs/cluster.md):
// the members with their states, incarnations, addresses and leases, from
// GET /v1/cluster, and which member owns each listed event, from
// GET /v1/cluster/events/{id}. A single node answers 404 cluster_disabled,
// and the panel says so in plain words.
import * as api from './api.js';
import { h } from './dom.js';

export const cluster_poll_ms = 2000;

const headRow = (...names) => h('thead', {}, h('tr', {}, ...names.map((t) => h('th', { scope: 'col', text: t }))));

export function clusterPanel(events) {
  const body = h('div', { id: 'cluster-body' }, h('p', { text: 'Reading the cluster…' }));
  const panel = h(
    'section',
    { class: 'panel', id: 'cluster-panel', 'aria-labelledby': 'cl-h' },
    h('h2', { id: 'cl-h', text: 'Cluster' }),
    body,
  );

  async function poll() {
    let c;
    try {
      c = await api.get('/v1/cluster');
    } catch (e) {
      panel.dataset.mode = e.code === 'cluster_disabled' ? 'single' : 'error';
      body.replaceChildren(
        h('p', {
          text:
            e.code === 'cluster_disabled'
              ? 'Single server: this box office runs on one node (cluster mode is off), so it serves every event itself.'
              : e.code === 'forbidden'
                ? 'Only box-office staff can see the cluster.'
                : e.message,
        }),
      );
      return;
    }
    const owners = await Promise.all(
      events().map((e) =>
        api.get(`/v1/cluster/events/${e.id}`).then(
          (o) => [e, o],
          () => [e, null],
        ),
      ),
    );
    panel.dataset.mode = 'cluster';
    body.replaceChildren(
      h('p', {
        text: `${c.members.length} member${c.members.length === 1 ? '' : 's'}; this page is served by ${c.self.node_id} (${c.self.state}${c.self.serving ? ', serving' : ', not serving'}).`,
      }),
      h(
        'table',
        { class: 'sections', id: 'cluster-members' },
        h('caption', { text: 'Members' }),
        headRow('Node', 'State', 'Incarnation', 'HTTP', 'Lease left', 'Events owned'),
        h(
          'tbody',
          {},
          ...c.members.map((m) =>
            h(
              'tr',
              { 'data-node': m.node_id },
              h('th', { scope: 'row', text: m.node_id }),
              h('td', { class: 'state', text: m.state }),
              h('td', { text: m.incarnation }),
              h('td', { text: m.http_address }),
              h('td', { text: m.lease_left_ms >= 0 ? `${(m.lease_left_ms / 1000).toFixed(1)} s` : 'expired' }),
              h('td', { class: 'owned', text: m.owned_events }),
            ),
          ),
        ),
      ),
      h(
        'table',
        { class: 'sections', id: 'cluster-owners' },
        h('caption', { text: 'Who owns which event' }),
        headRow('Event', 'Owner', 'Epoch', 'Placement'),
        h(
          'tbody',
          {},
          ...owners.map(([e, o]) =>
            h(
              'tr',
              { 'data-event': e.id },
              h('th', { scope: 'row', text: e.title }),
              h('td', {
                class: 'owner',
                text: !o ? 'unknown' : o.owned ? `${o.owner_node}${o.owner_live ? '' : ' (not live)'}` : 'nobody yet',
              }),
              h('td', { text: o?.owned ? o.epoch : '' }),
              h('td', { text: o?.placement ?? '' }),
            ),
          ),
        ),
      ),
    );
  }
  return { panel, poll };
}
