#include "actors/admission_pass.h"

#include <sodium.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace boxoffice {

namespace {

constexpr const char* version = "wr1";

std::string hex(const unsigned char* bytes, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

void mac_of(const std::string& secret, const std::string& text,
            unsigned char (&out)[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(text.data()),
                                text.size());
  crypto_auth_hmacsha256_final(&state, out);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (;;) {
    auto end = s.find(sep, begin);
    parts.push_back(s.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos)
      return parts;
    begin = end + 1;
  }
}

template <class T>
bool parse_number(const std::string& s, T& out) {
  if (s.empty() || s.size() > 20)
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

} // namespace

std::string hmac_sha256(const std::string& key, const std::string& text) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  mac_of(key, text, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

pass_keys::pass_keys(key current, std::vector<key> older)
  : current_(std::move(current)), older_(std::move(older)) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "boxoffice: libsodium failed to initialise\n");
    std::abort();
  }
}

std::string pass_keys::sign(const pass_claims& c) const {
  auto text = std::string(version) + "." + current_.id + "." + std::to_string(c.event) + "."
              + std::to_string(c.entry) + "." + std::to_string(c.customer) + "."
              + std::to_string(c.expires_at);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  mac_of(current_.secret, text, mac);
  return text + "." + hex(mac, sizeof mac);
}

std::optional<pass_claims> pass_keys::verify(const std::string& pass) const {
  if (pass.size() > 256)
    return std::nullopt;
  auto dot = pass.rfind('.');
  if (dot == std::string::npos)
    return std::nullopt;
  auto text = pass.substr(0, dot);
  auto parts = split(text, '.');
  if (parts.size() != 6 || parts[0] != version)
    return std::nullopt;
  const key* k = parts[1] == current_.id ? &current_ : nullptr;
  for (const auto& old : older_)
    if (!k && old.id == parts[1])
      k = &old;
  if (!k)
    return std::nullopt;
  unsigned char given[crypto_auth_hmacsha256_BYTES];
  size_t given_size = 0;
  auto mac_hex = pass.substr(dot + 1);
  if (mac_hex.size() != 2 * sizeof given
      || sodium_hex2bin(given, sizeof given, mac_hex.data(), mac_hex.size(), nullptr,
                        &given_size, nullptr) != 0
      || given_size != sizeof given)
    return std::nullopt;
  unsigned char expected[crypto_auth_hmacsha256_BYTES];
  mac_of(k->secret, text, expected);
  // Constant time: how much of a guess matches must not show in the timing.
  if (sodium_memcmp(given, expected, sizeof given) != 0)
    return std::nullopt;
  pass_claims c;
  c.key_id = parts[1];
  if (!parse_number(parts[2], c.event) || !parse_number(parts[3], c.entry)
      || !parse_number(parts[4], c.customer) || !parse_number(parts[5], c.expires_at))
    return std::nullopt;
  return c;
}

std::optional<pass_error> check_pass(const pass_keys& keys, const std::string& pass,
                                     event_id event, customer_id customer, timestamp_ms now,
                                     pass_claims* out) {
  if (pass.empty())
    return pass_error::missing;
  auto claims = keys.verify(pass);
  if (!claims)
    return pass_error::forged;
  if (claims->customer != customer)
    return pass_error::other_customer;
  if (claims->event != event)
    return pass_error::other_event;
  if (now >= claims->expires_at)
    return pass_error::expired;
  if (out)
    *out = *claims;
  return std::nullopt;
}

} // namespace boxoffice
