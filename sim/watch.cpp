#include "sim/watch.h"

#include <cstring>

namespace boxoffice::sim {

namespace {

template <class T>
const T* as(const caf::mailbox_element* msg) {
  if (!msg || !msg->content().match_elements<T>())
    return nullptr;
  return &msg->content().get_as<T>(0);
}

caf::actor_id sender_of(const caf::mailbox_element* msg) {
  return msg && msg->sender ? msg->sender->id() : 0;
}

// Replies that say the actors were not there to answer: the outcome is unknown.
bool no_answer(const caf::error& e) {
  return e == caf::sec::request_timeout || e == caf::sec::request_receiver_down;
}

std::string code_text(const std::optional<errc>& e) {
  return e ? to_string(*e) : "an error of no boxoffice code";
}

} // namespace

watch::watch(const sim_db& db, const reservation_limits& limits) : db_(db), limits_(limits) {}

void watch::contradiction(const std::string& what) {
  if (error.empty())
    error = "reference model: " + what;
}

void watch::node_started(caf::actor_id journal, caf::actor_id loader, caf::actor_id directory) {
  journal_ = journal;
  loader_ = loader;
  directory_ = directory;
  loaded_.reset();
}

void watch::node_died() {
  for (auto& [id, e] : events_)
    e.dead = true;
  for (auto& [id, s] : sections_)
    s.dead = true;
}

std::vector<caf::actor_addr> watch::crash_targets() const {
  std::vector<caf::actor_addr> targets;
  for (const auto& [id, e] : events_) {
    if (e.dead)
      continue;
    targets.push_back(e.addr);
    for (auto s : e.sections)
      if (!sections_.at(s).dead)
        targets.push_back(sections_.at(s).addr);
  }
  return targets;
}

std::vector<caf::actor_addr> watch::all_actors() const {
  std::vector<caf::actor_addr> all;
  for (const auto& [id, e] : events_)
    all.push_back(e.addr);
  for (const auto& [id, s] : sections_)
    all.push_back(s.addr);
  return all;
}

const section_model* watch::section(section_id id) const {
  const section_model* found = nullptr;
  caf::actor_id newest = 0;
  for (const auto& [actor, s] : sections_)
    if (!s.dead && s.id == id && actor > newest) {
      newest = actor;
      found = s.model.get();
    }
  return found;
}

watch::kind watch::kind_of(caf::scheduled_actor* actor) {
  auto id = actor->id();
  auto i = kinds_.find(id);
  if (i != kinds_.end())
    return i->second;
  kind k = kind::other;
  if (id == journal_)
    k = kind::journal;
  else if (id == loader_)
    k = kind::loader;
  else if (std::strcmp(actor->name(), "boxoffice.directory") == 0)
    k = kind::directory;
  else if (std::strcmp(actor->name(), "boxoffice.event") == 0)
    k = kind::event;
  else if (std::strcmp(actor->name(), "boxoffice.section") == 0)
    k = kind::section;
  kinds_.emplace(id, k);
  return k;
}

void watch::before(caf::scheduled_actor* actor, const caf::mailbox_element* msg,
                   timestamp_ms now) {
  if (!actor)
    return;
  switch (kind_of(actor)) {
    case kind::event: return on_event(actor, msg);
    case kind::section: return on_section(actor, msg, now);
    case kind::journal: return on_journal(msg);
    case kind::loader:
      if (msg && msg->content().match_elements<load_atom, event_id>()) {
        auto e = db_.events.find(msg->content().get_as<event_id>(1));
        if (e != db_.events.end())
          loaded_ = e->second;  // the books the next event actor starts from
      }
      return;
    case kind::directory:
    case kind::other: return;
  }
}

void watch::after(caf::actor_id actor, caf::actor_id latest_before,
                  const std::deque<caf::resumable*>& jobs) {
  auto k = kinds_.find(actor);
  if (k != kinds_.end() && k->second == kind::directory) {
    for (auto* job : jobs) {
      auto* a = dynamic_cast<caf::scheduled_actor*>(job);
      if (a && a->id() > latest_before && kind_of(a) == kind::event)
        started_by_[a->id()] = actor;
    }
    return;
  }
  auto e = events_.find(actor);
  if (e == events_.end())
    return;
  // The sections this event actor spawned (a dead one's are born dead), in id order: they are its
  // sections not yet started, in section order (start or add_section).
  std::vector<caf::actor_id> born;
  for (auto* job : jobs) {
    auto* a = dynamic_cast<caf::scheduled_actor*>(job);
    if (a && a->id() > latest_before && kind_of(a) == kind::section)
      born.push_back(a->id());
  }
  if (born.empty())
    return;
  std::sort(born.begin(), born.end());
  std::vector<section_id> waiting;
  auto stored = db_.events.find(e->second.event);
  const auto& books = e->second.snapshot ? *e->second.snapshot : stored->second;
  for (const auto& [sid, s] : books.sections)
    waiting.push_back(sid);
  if (stored != db_.events.end())  // added since the snapshot (add_section)
    for (const auto& [sid, s] : stored->second.sections)
      if (!books.sections.count(sid))
        waiting.push_back(sid);
  for (auto started : e->second.sections)
    waiting.erase(std::remove(waiting.begin(), waiting.end(), sections_.at(started).id),
                  waiting.end());
  if (born.size() > waiting.size())
    return contradiction("an event actor started more sections than its event has");
  for (size_t i = 0; i < born.size(); ++i)
    spawned_[born[i]] = {actor, waiting[i]};
}

void watch::on_event(caf::scheduled_actor* actor, const caf::mailbox_element* msg) {
  auto id = actor->id();
  auto i = events_.find(id);
  if (i == events_.end()) {
    // A new event actor: from the loader's read, or (just created) the store.
    if (db_.events.size() != 1)
      return contradiction("the simulator models one event per run");
    event_run run;
    auto by = started_by_.find(id);
    run.dead = by != started_by_.end() && by->second != directory_;
    run.addr = actor->address();
    run.event = db_.events.begin()->first;
    run.snapshot = std::exchange(loaded_, std::nullopt);
    run.model.restore(run.snapshot ? *run.snapshot : db_.events.begin()->second);
    i = events_.emplace(id, std::move(run)).first;
  }
  auto& ev = i->second;
  if (ev.dead)
    return;
  if (as<caf::exit_msg>(msg)) {  // killed, or its section was (they are linked)
    ev.dead = true;
    return;
  }
  if (auto* req = as<hold_request>(msg)) {
    auto stored = db_.events.find(ev.event);
    auto info = stored->second.info;
    for (const auto& [sid, s] : stored->second.sections)
      info.sections.push_back(s.info);
    auto refused =
      ev.model.admit(info, limits_, req->customer, req->section, req->seats, req->quantity);
    if (refused) {
      model_reply r;
      r.refused = refused;
      predict(sender_of(msg), 0, true, r);
    }
    return;
  }
  if (auto* d = as<customer_delta>(msg)) {
    auto s = sections_.find(sender_of(msg));
    if (s == sections_.end())
      return contradiction("a customer report from no known section");
    auto& want = s->second.model->deltas;
    if (want.empty())
      return contradiction("section " + std::to_string(s->second.id) + " reported customer " +
                           std::to_string(d->customer) + " " + std::to_string(d->holds) +
                           " holds " + std::to_string(d->tickets) +
                           " tickets, where the model reports nothing");
    auto w = want.front();
    want.pop_front();
    if (w.customer != d->customer || w.holds != d->holds || w.tickets != d->tickets)
      return contradiction("section " + std::to_string(s->second.id) + " reported customer " +
                           std::to_string(d->customer) + " " + std::to_string(d->holds) + "/" +
                           std::to_string(d->tickets) + ", the model customer " +
                           std::to_string(w.customer) + " " + std::to_string(w.holds) + "/" +
                           std::to_string(w.tickets));
    auto bad = ev.model.apply(w);
    if (!bad.empty())
      contradiction(bad);
  }
}

void watch::start_section(caf::scheduled_actor* actor, timestamp_ms now) {
  auto id = actor->id();
  auto origin = spawned_.find(id);
  if (origin == spawned_.end())
    return contradiction("a section actor no event actor was seen to start");
  auto [event_actor, sid] = origin->second;
  spawned_.erase(origin);
  auto& ev = events_.at(event_actor);
  const stored_section* books = nullptr;
  if (ev.snapshot && ev.snapshot->sections.count(sid))
    books = &ev.snapshot->sections.at(sid);
  else
    books = db_.section(ev.event, sid);
  if (!books)
    return contradiction("a section the store does not have");
  section_run run;
  run.addr = actor->address();
  run.event_actor = event_actor;
  run.id = sid;
  run.model = std::make_unique<section_model>(ev.event, books->info, limits_);
  run.model->restore(*books, now);
  run.dead = ev.dead;
  ev.sections.push_back(id);
  sections_.emplace(id, std::move(run));
}

template <class Change>
void watch::made(caf::actor_id section, section_run& s, caf::actor_id client,
                 const answer_key& key, Change&& c) {
  if (auto* refused = std::get_if<errc>(&c)) {
    model_reply r;
    r.refused = *refused;
    return predict(client, section, true, r);
  }
  predict(client, section, false, {});
  s.unsent.push_back(section_run::pending{client, key, std::get<model_change>(std::move(c))});
}

void watch::on_section(caf::scheduled_actor* actor, const caf::mailbox_element* msg,
                       timestamp_ms now) {
  auto id = actor->id();
  if (!sections_.count(id))
    start_section(actor, now);
  auto it = sections_.find(id);
  if (it == sections_.end() || it->second.dead || !msg)
    return;
  auto& s = it->second;
  if (as<caf::exit_msg>(msg)) {  // killed, or its event was
    s.dead = true;
    return;
  }
  auto& m = *s.model;
  auto client = sender_of(msg);
  // Every handler but stop's first ends the holds due at its time.
  bool steps = msg->mid.is_response() || as<hold_request>(msg) || as<hold_query>(msg) ||
               as<extend_request>(msg) || as<release_request>(msg) ||
               as<purchase_request>(msg) || as<cancel_request>(msg) ||
               as<seat_map_request>(msg) || as<stats_request>(msg) ||
               msg->content().match_elements<expire_atom, timestamp_ms>();
  if (!steps)
    return;
  m.expire_due(now);
  if (auto* r = as<hold_request>(msg)) {
    auto c = m.hold(r->customer, r->seats, r->quantity, now);
    if (std::holds_alternative<errc>(c)) {  // the quota the event reserved comes back
      auto n = r->seats.empty() ? std::max(r->quantity, 0) : static_cast<int32_t>(r->seats.size());
      m.deltas.push_back(customer_delta{r->customer, -1, -n});
    }
    made(id, s, client, r->answer, std::move(c));
  } else if (auto* r = as<extend_request>(msg)) {
    made(id, s, client, r->answer, m.extend(r->ref.hold, r->customer, now));
  } else if (auto* r = as<release_request>(msg)) {
    made(id, s, client, r->answer, m.release(r->ref.hold, r->customer, now));
  } else if (auto* r = as<purchase_request>(msg)) {
    made(id, s, client, r->answer, m.purchase(r->ref.hold, r->customer, now));
  } else if (auto* r = as<cancel_request>(msg)) {
    made(id, s, client, r->answer, m.cancel(r->ref.order, r->customer));
  } else if (msg->mid.is_response()) {
    auto p = s.sent.find(msg->mid.request_id().integer_value());
    if (p == s.sent.end())
      return contradiction("section " + std::to_string(s.id) + " got a commit answer for no write");
    auto pending = std::move(p->second);
    s.sent.erase(p);
    if (msg->content().match_elements<committed_atom>()) {
      auto answer = m.committed(pending.change, now);
      predict(pending.client, id, true, std::move(answer));
    } else {
      m.failed(pending.change);
      model_reply r;
      auto* err = as<caf::error>(msg);
      r.refused = err ? to_errc(*err) : std::nullopt;
      if (!r.refused)
        r.refused = errc::storage_unavailable;
      predict(pending.client, id, true, std::move(r));
    }
  }
}

void watch::on_journal(const caf::mailbox_element* msg) {
  if (!as<journal_write>(msg) || !msg->mid.is_request())
    return;
  auto s = sections_.find(sender_of(msg));
  if (s == sections_.end())
    return;  // the event's own writes, or an expiry (sent without a reply)
  if (s->second.unsent.empty())
    return contradiction("section " + std::to_string(s->second.id) +
                         " wrote a change the model did not make");
  auto p = std::move(s->second.unsent.front());
  s->second.unsent.pop_front();
  // The answer goes to the store with the change: a retry may get it back
  // even if the section never hears of the commit (a crash in between).
  if (!p.key.key.empty())
    kept_[{p.key.scope, p.key.key}].push_back(p.change.answer);
  predict(p.client, s->first, false, {});
  s->second.sent.emplace(msg->mid.request_id().integer_value(), std::move(p));
}

void watch::predict(caf::actor_id client, caf::actor_id section, bool final, model_reply answer) {
  auto& p = predictions_[client];
  if (section)
    p.section = section;
  p.final = final;
  p.answer = std::move(answer);
}

bool watch::in_doubt(const prediction& p) const {
  if (!p.section)
    return false;
  auto s = sections_.find(p.section);
  return s == sections_.end() || s->second.dead;
}

template <class Info>
std::string watch::judge(caf::actor_id client, const caf::expected<Info>& r) {
  auto i = predictions_.find(client);
  if (i == predictions_.end()) {
    // No section handled it: only the directory or CAF can have answered.
    if (r)
      return "a success that no section gave";
    return {};
  }
  auto p = std::move(i->second);
  predictions_.erase(i);
  if (!r && no_answer(r.error()))
    return {};
  ++compared;
  if (!p.final) {
    if (r)
      return "answered before its commit was known";
    return in_doubt(p) ? std::string{}
                       : "refused (" + code_text(to_errc(r.error())) +
                           "), where the model made the change and waits for its commit";
  }
  if (r)
    return compare(p.answer, *r);
  auto got = to_errc(r.error());
  if (!p.answer.refused)
    return "refused (" + code_text(got) + "), the model succeeds";
  if (got != p.answer.refused)
    return "refused (" + code_text(got) + "), the model refuses (" + code_text(p.answer.refused) + ")";
  return {};
}

std::string watch::reply(caf::actor_id client, const caf::expected<hold_info>& r) {
  return judge(client, r);
}

std::string watch::reply(caf::actor_id client, const caf::expected<order_info>& r) {
  return judge(client, r);
}

std::string watch::replayed(customer_id scope, const std::string& key, const hold_info* h,
                            const order_info* o) const {
  auto i = kept_.find({scope, key});
  if (i == kept_.end())
    return "a kept answer for key " + key + ", which no write of the model carried";
  // Each attempt under the key wrote its own answer; the store keeps one.
  std::string bad;
  for (const auto& want : i->second) {
    bad = h ? compare(want, *h) : compare(want, *o);
    if (bad.empty())
      return {};
  }
  return bad;
}

} // namespace boxoffice::sim
