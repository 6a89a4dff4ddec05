// The admission pass of the waiting room: a signed, self-contained string
// that says "customer C may shop event E, through queue entry N, until T".
// HMAC-SHA256 (libsodium) under a key named by its id, so keys can rotate:
// passes signed with the previous key still verify until they expire.
// Checked in the event actor on every hold while the room is on (no
// database, no HTTP), and compared in constant time.
//
// Format: "wr1.<key id>.<event>.<entry>.<customer>.<expires ms>.<hex mac>",
// the mac over everything before its dot.
#pragma once

#include "actors/domain.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boxoffice {

struct pass_claims {
  std::string key_id;
  event_id event = 0;
  uint64_t entry = 0;
  customer_id customer = 0;
  timestamp_ms expires_at = 0;
};

enum class pass_error : uint8_t { missing, forged, other_customer, other_event, expired };

// REQUIRES: every secret is at least 32 bytes; ids are unique, [A-Za-z0-9_-].
class pass_keys {
public:
  struct key {
    std::string id;
    std::string secret;
  };
  // `current` signs; `older` (the previous keys) only verify.
  pass_keys(key current, std::vector<key> older = {});

  std::string sign(const pass_claims& claims) const;  // claims.key_id is ignored
  // The claims of a pass signed by one of the keys, or nullopt (forged,
  // malformed, or an unknown key id).
  std::optional<pass_claims> verify(const std::string& pass) const;

private:
  key current_;
  std::vector<key> older_;
};

// HMAC-SHA256 of `text` under `key`, as raw bytes (also how an empty
// queue_pass.secret is derived from the token key).
std::string hmac_sha256(const std::string& key, const std::string& text);

// What a hold's pass says, for `customer` in `event` at `now`.
std::optional<pass_error> check_pass(const pass_keys& keys, const std::string& pass,
                                     event_id event, customer_id customer, timestamp_ms now,
                                     pass_claims* claims = nullptr);

} // namespace boxoffice
