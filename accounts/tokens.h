// Access and refresh tokens. An access token is a short-lived JWT (HS256)
// that every request presents and the server checks without the database;
// a refresh token is an opaque random string, stored only as its SHA-256
// digest, that buys a new access token.
#pragma once

#include "accounts/account.h"
#include "actors/domain.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace boxoffice {

struct access_claims {
  customer_id account = 0;
  account_role role = account_role::customer;
  int64_t expires_at_s = 0;
};

enum class token_error : uint8_t { malformed, bad_signature, wrong_algorithm, expired, bad_claims };

// "malformed", "bad_signature", ...
const char* to_string(token_error x);

// Longer access tokens are refused as malformed before any parsing; ours are
// about 200 bytes.
inline constexpr size_t access_token_bytes_max = 4096;

// Issues and verifies access tokens with one HMAC secret.
// Thread-safe: const after construction.
class token_signer {
public:
  static constexpr size_t min_key_bytes = 32;

  // key: the raw secret bytes. Throws std::invalid_argument unless
  // key.size() >= min_key_bytes and ttl_s > 0.
  token_signer(std::string key, uint32_t ttl_s);

  // Header {"alg":"HS256","typ":"JWT"}; claims sub (the account id as a
  // decimal string), role, iat = now_s, exp = now_s + ttl_s.
  // REQUIRES: account > 0 (throws std::invalid_argument otherwise).
  std::string issue(customer_id account, account_role role, int64_t now_s) const;

  // The claims of a token this signer issued that has not expired
  // (exp > now_s). The signature is compared in constant time, alg must be
  // exactly "HS256", sub a decimal id > 0 and role "customer" or "admin".
  std::variant<access_claims, token_error> verify(std::string_view token, int64_t now_s) const;

  uint32_t ttl_s() const;

private:
  std::string key_;
  uint32_t ttl_s_;
};

inline constexpr size_t random_token_bytes_max = 1024;

// `bytes` random bytes (libsodium's CSPRNG) as base64url without padding:
// 32 bytes give 43 characters. REQUIRES: 0 < bytes <= random_token_bytes_max.
std::string new_random_token(size_t bytes = 32);

// Lower-case hex of the SHA-256 of token (64 characters): what the database
// stores for a refresh token, so that a leaked table leaks no usable token.
std::string token_digest(std::string_view token);

// `bytes` random bytes as lower-case hex, e.g. refresh-token family ids.
// REQUIRES: 0 < bytes <= random_token_bytes_max.
std::string random_hex(size_t bytes);

} // namespace boxoffice
