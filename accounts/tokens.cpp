#include "accounts/tokens.h"

#include <jwt.h>
#include <sodium.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

// Why verify() checks the signature itself before handing the token to libjwt:
// - Upstream libjwt 1.10.2 compares the base64 text of the HMAC with strcmp,
//   a timing side channel (CVE-2024-25189). Debian 12's 1.10.2-1+deb12u1
//   patches it to a constant-time loop, but correctness must not depend on
//   which build of the library is installed.
// - libjwt does not pin the algorithm: given our key it accepts HS384 and
//   HS512 tokens made with that key, and given no key it accepts anything,
//   "none" included. (It refuses "none" when a key is given - its policy,
//   which we check rather than rely on.)
// - libjwt's base64 decoder copies each segment onto the stack (alloca), so
//   token length is bounded (access_token_bytes_max) before any parsing.
// So: shape, then alg exactly "HS256", then our HMAC-SHA256 compared with
// crypto_verify_32; only a token that passed all three reaches jwt_decode,
// which (with the key) checks the signature once more and reads the claims.

namespace boxoffice {

static_assert(sizeof(long) >= sizeof(int64_t), "libjwt's integer claims are long");

namespace {

void require_sodium() {
  // Once per process; a function-local static is initialised thread-safely.
  static const bool ready = sodium_init() >= 0;
  if (!ready)
    throw std::runtime_error("libsodium failed to initialise");
}

struct jwt_deleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

// Strings that libjwt (and jansson) allocate with malloc.
struct malloc_deleter {
  void operator()(char* text) const { std::free(text); }
};
using malloc_string = std::unique_ptr<char, malloc_deleter>;

jwt_ptr new_jwt() {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0 || raw == nullptr)
    throw std::runtime_error("jwt_new failed (out of memory)");
  return jwt_ptr(raw);
}

bool base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
         || c == '_';
}

// A compact JWS: header.payload.signature, base64url without padding.
struct token_parts {
  std::string_view header;
  std::string_view signed_part;  // "header.payload": what the HMAC covers
  std::string_view signature;
};

std::optional<token_parts> split_token(std::string_view token) {
  if (token.empty() || token.size() > access_token_bytes_max)
    return std::nullopt;
  auto first = token.find('.');
  if (first == std::string_view::npos)
    return std::nullopt;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  if (first == 0 || second == first + 1)
    return std::nullopt;  // empty header or payload
  for (char c : token)
    if (c != '.' && !base64url_char(c))
      return std::nullopt;
  return token_parts{token.substr(0, first), token.substr(0, second), token.substr(second + 1)};
}

// Decodes strict base64url (no padding, no whitespace, canonical final bits)
// of at most max_bytes bytes.
std::optional<std::string> base64url_decode(std::string_view text, size_t max_bytes) {
  std::string out(max_bytes, '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING)
          != 0
      || end != text.data() + text.size())
    return std::nullopt;
  out.resize(length);
  return out;
}

std::string base64url_encode(const unsigned char* bytes, size_t size) {
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(size, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, size, variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// nullopt when the header names HS256; the header is not yet authenticated:
// it is parsed (by libjwt's JSON parser, as jwt_decode would) only to tell a
// wrong algorithm from a bad signature.
std::optional<token_error> check_header(std::string_view header_b64) {
  auto json = base64url_decode(header_b64, header_b64.size());
  if (!json || json->find('\0') != std::string::npos)
    return token_error::malformed;
  auto header = new_jwt();
  if (jwt_add_headers_json(header.get(), json->c_str()) != 0)
    return token_error::malformed;  // not a JSON object, or duplicate keys
  const char* alg = jwt_get_header(header.get(), "alg");
  if (alg == nullptr || std::string_view(alg) != "HS256")
    return token_error::wrong_algorithm;
  return std::nullopt;
}

bool signature_matches(const std::string& key, const token_parts& parts) {
  auto signature = base64url_decode(parts.signature, crypto_auth_hmacsha256_BYTES);
  if (!signature || signature->size() != crypto_auth_hmacsha256_BYTES)
    return false;
  // init/update/final rather than crypto_auth_hmacsha256: that one wants a
  // key of exactly 32 bytes, ours may be longer.
  crypto_auth_hmacsha256_state state;
  unsigned char expected[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state,
                                reinterpret_cast<const unsigned char*>(parts.signed_part.data()),
                                parts.signed_part.size());
  crypto_auth_hmacsha256_final(&state, expected);
  sodium_memzero(&state, sizeof state);
  return crypto_verify_32(expected, reinterpret_cast<const unsigned char*>(signature->data()))
         == 0;
}

// Strict decimal: digits only, no sign, no leading zero, at most digits_max.
std::optional<uint64_t> parse_decimal(std::string_view text, size_t digits_max) {
  if (text.empty() || text.size() > digits_max || (text.size() > 1 && text.front() == '0'))
    return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::variant<access_claims, token_error> read_claims(jwt_t* jwt, int64_t now_s) {
  // exp as its JSON text, so that a string, a fraction or a negative number
  // is refused rather than read as 0 by jwt_get_grant_int.
  malloc_string exp_json(jwt_get_grants_json(jwt, "exp"));
  const char* sub = jwt_get_grant(jwt, "sub");  // nullptr unless a string
  const char* role_text = jwt_get_grant(jwt, "role");
  if (!exp_json || !sub || !role_text)
    return token_error::bad_claims;
  auto exp = parse_decimal(exp_json.get(), 18);
  auto account = parse_decimal(sub, 20);
  auto role = parse_account_role(role_text);
  if (!exp || !account || *account == 0 || !role)
    return token_error::bad_claims;
  auto expires_at_s = static_cast<int64_t>(*exp);
  if (expires_at_s <= now_s)
    return token_error::expired;
  return access_claims{*account, *role, expires_at_s};
}

} // namespace

const char* to_string(token_error x) {
  switch (x) {
    case token_error::malformed:
      return "malformed";
    case token_error::bad_signature:
      return "bad_signature";
    case token_error::wrong_algorithm:
      return "wrong_algorithm";
    case token_error::expired:
      return "expired";
    case token_error::bad_claims:
      return "bad_claims";
  }
  return "unknown";
}

token_signer::token_signer(std::string key, uint32_t ttl_s) : key_(std::move(key)), ttl_s_(ttl_s) {
  if (key_.size() < min_key_bytes)
    throw std::invalid_argument("token key shorter than 32 bytes");
  if (ttl_s_ == 0)
    throw std::invalid_argument("token ttl must be positive");
}

uint32_t token_signer::ttl_s() const {
  return ttl_s_;
}

std::string token_signer::issue(customer_id account, account_role role, int64_t now_s) const {
  if (account == 0)
    throw std::invalid_argument("access token for account 0");
  auto jwt = new_jwt();
  auto sub = std::to_string(account);
  if (jwt_add_grant(jwt.get(), "sub", sub.c_str()) != 0
      || jwt_add_grant(jwt.get(), "role", to_string(role)) != 0
      || jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now_s)) != 0
      || jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(now_s + ttl_s_)) != 0
      || jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key_.data()),
                     static_cast<int>(key_.size()))
             != 0)
    throw std::runtime_error("building an access token failed (out of memory)");
  malloc_string token(jwt_encode_str(jwt.get()));
  if (!token)
    throw std::runtime_error("encoding an access token failed (out of memory)");
  return token.get();
}

std::variant<access_claims, token_error> token_signer::verify(std::string_view token,
                                                              int64_t now_s) const {
  require_sodium();
  auto parts = split_token(token);
  if (!parts)
    return token_error::malformed;
  if (auto error = check_header(parts->header))
    return *error;
  if (!signature_matches(key_, *parts))
    return token_error::bad_signature;
  jwt_t* raw = nullptr;
  std::string text(token);  // jwt_decode wants a C string
  int rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                      static_cast<int>(key_.size()));
  jwt_ptr jwt(raw);
  // The HMAC is ours, so libjwt refuses only what it cannot read (a payload
  // that is no JSON object, a typ other than JWT).
  if (rc != 0 || !jwt)
    return token_error::malformed;
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256)
    return token_error::wrong_algorithm;
  return read_claims(jwt.get(), now_s);
}

std::string new_random_token(size_t bytes) {
  if (bytes == 0 || bytes > random_token_bytes_max)
    throw std::invalid_argument("random token size out of range");
  require_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  auto token = base64url_encode(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  sodium_memzero(raw.data(), raw.size());
  return token;
}

std::string token_digest(std::string_view token) {
  require_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string random_hex(size_t bytes) {
  if (bytes == 0 || bytes > random_token_bytes_max)
    throw std::invalid_argument("random hex size out of range");
  require_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

} // namespace boxoffice
