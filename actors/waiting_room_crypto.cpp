// The waiting room's cryptography (waiting_room.h): the entries' secrets
// and the lottery's seed, the seed's published commitment and the draw
// anyone can recompute from it, and the passes: signed at admission,
// checked at the hold.
#include "actors/waiting_room_forecast.h"

#include <sodium.h>

#include <algorithm>

namespace boxoffice {

namespace {

std::string hex_of(const unsigned char* bytes, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return hex_of(out, sizeof out);
}

} // namespace

namespace room_detail {

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  return hex_of(buf.data(), buf.size());
}

} // namespace room_detail

std::string waiting_room::seed_hash_of(const std::string& seed_hex) {
  std::vector<unsigned char> bytes(seed_hex.size() / 2 + 1);
  size_t size = 0;
  if (sodium_hex2bin(bytes.data(), bytes.size(), seed_hex.data(), seed_hex.size(), nullptr,
                     &size, nullptr) != 0)
    return {};
  return sha256_hex(std::string(reinterpret_cast<const char*>(bytes.data()), size));
}

std::vector<uint64_t> waiting_room::draw_order(const std::string& seed_hex,
                                               std::vector<uint64_t> entries) {
  std::vector<std::pair<std::string, uint64_t>> keyed;
  keyed.reserve(entries.size());
  for (auto id : entries)
    keyed.emplace_back(sha256_hex(seed_hex + ":" + std::to_string(id)), id);
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < keyed.size(); ++i)
    entries[i] = keyed[i].second;
  return entries;
}

std::string waiting_room::pass_of(const queue_entry& e) const {
  pass_claims c;
  c.event = event_;
  c.entry = e.id;
  c.customer = e.customer;
  c.expires_at = e.pass_expires_at;
  return keys_->sign(c);
}

std::optional<errc> waiting_room::check_hold(const std::string& pass, customer_id customer,
                                             timestamp_ms now) const {
  pass_claims claims;
  if (auto bad = check_pass(*keys_, pass, event_, customer, now, &claims)) {
    switch (*bad) {
      case pass_error::missing: return errc::queue_pass_missing;
      case pass_error::forged: return errc::queue_pass_forged;
      case pass_error::other_customer: return errc::queue_pass_other_customer;
      case pass_error::other_event: return errc::queue_pass_other_event;
      case pass_error::expired: return errc::queue_pass_expired;
    }
  }
  auto i = entries_.find(claims.entry);
  if (i == entries_.end() || i->second.customer != customer)
    return errc::queue_pass_forged;  // signed, but for no entry of this event
  switch (i->second.state) {
    case entry_state::admitted: return std::nullopt;
    case entry_state::expired: return errc::queue_pass_expired;
    default: return errc::queue_pass_used;  // bought, left or closed
  }
}

} // namespace boxoffice
