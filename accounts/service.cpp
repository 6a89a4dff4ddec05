#include "accounts/service.h"

#include "accounts/email.h"
#include "accounts/text.h"
#include "actors/protocol.h"
#include "actors/wall_clock.h"
#include "persistence/account_store.h"
#include "persistence/worker.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>


namespace boxoffice {

namespace {

// Characters, not bytes: a password of accented letters is not "longer".
size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

// Once per thread, on the worker's first message (a detached actor has its
// own thread, but its behaviour may be made before that thread runs it).
void lower_thread_priority(uint32_t nice) {
  thread_local bool done = false;
  if (done || nice == 0)
    return;
  done = true;
  auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  if (::setpriority(PRIO_PROCESS, tid, static_cast<int>(nice)) != 0)
    spdlog::warn("accounts: cannot lower the worker thread to nice {}: {}", nice,
                 std::strerror(errno));
}

struct worker_state {
  std::unique_ptr<account_store> store;
  std::shared_ptr<const token_signer> signer;
  account_rules rules;
  std::string dummy_hash;  // verified when the email is unknown: same time either way
};

token_pair issue(worker_state& st, const account& who, const std::string& family) {
  auto now = system_clock_ms();
  token_pair out;
  out.who = who;
  out.access_token = st.signer->issue(who.id, who.role, now / 1000);
  out.expires_in_s = st.signer->ttl_s();
  out.refresh_token = new_random_token();
  refresh_token_record rec;
  rec.token_hash = token_digest(out.refresh_token);
  rec.account = who.id;
  rec.family = family;
  rec.issued_at = now;
  rec.expires_at = now + int64_t{st.rules.refresh_token_ttl_s} * 1000;
  st.store->store_refresh_token(rec);
  return out;
}

caf::behavior account_worker(caf::stateful_actor<worker_state>* self, std::string url,
                             std::shared_ptr<const token_signer> signer, account_rules rules) {
  auto& st = self->state;
  st.store = std::make_unique<account_store>(url);
  st.signer = std::move(signer);
  st.rules = rules;
  return {
    [=](const signup_request& req) -> caf::result<account> {
      auto& st = self->state;
      lower_thread_priority(st.rules.worker_nice);
      auto email = check_signup(req.email, req.password, st.rules);
      if (!email)
        return make_error(email.error());
      auto hash = hash_password(req.password, st.rules.hashing);
      return store_call<account>("accounts: signup", [&]() -> caf::result<account> {
        auto created = st.store->create_account(*email, hash, account_role::customer, system_clock_ms());
        if (!created)
          return make_error(errc::email_taken);
        spdlog::info("account {} signed up", created->id);
        return *created;
      });
    },
    [=](const login_request& req) -> caf::result<token_pair> {
      auto& st = self->state;
      lower_thread_priority(st.rules.worker_nice);
      auto email = normalise_email(req.email);
      if (req.password.size() > account_rules::password_max_bytes)
        return make_error(errc::invalid_credentials);
      return store_call<token_pair>("accounts: login", [&]() -> caf::result<token_pair> {
        auto who = email ? st.store->find_account_by_email(*email) : std::nullopt;
        if (!who) {
          if (st.dummy_hash.empty())
            st.dummy_hash = hash_password("not a password of anyone", st.rules.hashing);
          verify_password(st.dummy_hash, req.password);
          return make_error(errc::invalid_credentials);
        }
        if (!verify_password(who->password_hash, req.password))
          return make_error(errc::invalid_credentials);
        return issue(st, *who, random_hex(16));
      });
    },
    [=](const refresh_request& req) -> caf::result<token_pair> {
      auto& st = self->state;
      lower_thread_priority(st.rules.worker_nice);
      if (req.refresh_token.empty() || req.refresh_token.size() > 256)
        return make_error(errc::invalid_refresh_token);
      return store_call<token_pair>("accounts: refresh", [&]() -> caf::result<token_pair> {
        auto now = system_clock_ms();
        token_pair out;
        out.refresh_token = new_random_token();
        refresh_token_record next;
        next.token_hash = token_digest(out.refresh_token);
        next.issued_at = now;
        next.expires_at = now + int64_t{st.rules.refresh_token_ttl_s} * 1000;
        auto used = st.store->use_refresh_token(token_digest(req.refresh_token), next, now);
        using verdict = refresh_use::verdict;
        if (used.result == verdict::reused) {
          spdlog::warn("account {}: a rotated refresh token was presented again; its family "
                       "is revoked",
                       used.account);
          return make_error(errc::refresh_token_reused);
        }
        if (used.result != verdict::rotated)
          return make_error(errc::invalid_refresh_token);
        auto who = st.store->find_account(used.account);
        if (!who)
          return make_error(errc::invalid_refresh_token);
        out.who = *who;
        out.access_token = st.signer->issue(who->id, who->role, now / 1000);
        out.expires_in_s = st.signer->ttl_s();
        return out;
      });
    },
    [=](const logout_request& req) -> caf::result<bool> {
      auto& st = self->state;
      lower_thread_priority(st.rules.worker_nice);
      if (req.refresh_token.empty() || req.refresh_token.size() > 256)
        return false;
      return store_call<bool>("accounts: logout", [&]() -> caf::result<bool> {
        return st.store->revoke_refresh_token(token_digest(req.refresh_token));
      });
    },
    [=](const account_request& req) -> caf::result<account> {
      auto& st = self->state;
      lower_thread_priority(st.rules.worker_nice);
      return store_call<account>("accounts: account", [&]() -> caf::result<account> {
        auto who = st.store->find_account(req.id);
        if (!who)
          return make_error(errc::invalid_credentials);
        return *who;
      });
    },
  };
}

} // namespace

outcome<std::string> check_signup(const std::string& email, const std::string& password,
                                  const account_rules& rules) {
  auto normal = normalise_email(email);
  if (!normal)
    return errc::invalid_email;
  if (code_points(password) < rules.password_min_length
      || password.size() > account_rules::password_max_bytes || !valid_utf8(password))
    return errc::weak_password;
  return *normal;
}

caf::actor spawn_account_workers(caf::actor_system& sys, uint32_t workers,
                                 const std::string& database_url,
                                 std::shared_ptr<const token_signer> signer,
                                 const account_rules& rules) {
  return spawn_worker_pool(sys, workers, [&sys, database_url, signer, rules] {
    return sys.spawn<caf::detached>(account_worker, database_url, signer, rules);
  });
}

account ensure_admin(const std::string& database_url, const std::string& email,
                     const std::string& password, const account_rules& rules) {
  auto normal = check_signup(email, password, rules);
  if (!normal)
    throw std::invalid_argument(std::string("admin account: ") + to_string(normal.error()));
  account_store store{database_url};
  auto hash = hash_password(password, rules.hashing);
  if (auto existing = store.find_account_by_email(*normal)) {
    store.update_account(existing->id, hash, account_role::admin);
    existing->role = account_role::admin;
    existing->password_hash = hash;
    return *existing;
  }
  auto created = store.create_account(*normal, hash, account_role::admin, system_clock_ms());
  if (!created)
    throw std::runtime_error("admin account: the email was taken meanwhile; run again");
  return *created;
}

} // namespace boxoffice
