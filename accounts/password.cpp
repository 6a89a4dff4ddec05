#include "accounts/password.h"

#include <sodium.h>

#include <stdexcept>

namespace boxoffice {

static_assert(password_hash_params{}.iterations == crypto_pwhash_OPSLIMIT_INTERACTIVE);
static_assert(password_hash_params{}.memory_kib * 1024 == crypto_pwhash_MEMLIMIT_INTERACTIVE);

namespace {

// sodium_init picks the fastest implementations and seeds the RNG; once per
// process is enough (a function-local static is initialised thread-safely).
void require_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready)
    throw std::runtime_error("libsodium failed to initialise");
}

struct sodium_limits {
  unsigned long long opslimit;
  size_t memlimit_bytes;
};

sodium_limits checked_limits(const password_hash_params& params) {
  if (params.iterations < crypto_pwhash_OPSLIMIT_MIN
      || params.iterations > crypto_pwhash_OPSLIMIT_MAX
      || params.memory_kib < crypto_pwhash_MEMLIMIT_MIN / 1024
      || params.memory_kib > crypto_pwhash_MEMLIMIT_MAX / 1024)
    throw std::invalid_argument("password hash parameters outside libsodium's limits");
  return {params.iterations, static_cast<size_t>(params.memory_kib) * 1024};
}

// libsodium reads stored hashes as C strings of fewer than STRBYTES bytes.
bool plausible_hash_string(const std::string& stored) {
  return !stored.empty() && stored.size() < crypto_pwhash_STRBYTES
         && stored.find('\0') == std::string::npos;
}

} // namespace

password_hash_params minimal_password_params() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN / 1024};
}

std::string hash_password(std::string_view password, const password_hash_params& params) {
  require_sodium();
  auto limits = checked_limits(params);
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), limits.opslimit,
                            limits.memlimit_bytes, crypto_pwhash_ALG_ARGON2ID13)
      != 0)
    throw std::runtime_error("password hashing failed (out of memory)");
  return out;
}

bool verify_password(const std::string& stored_hash, std::string_view password) {
  require_sodium();
  if (!plausible_hash_string(stored_hash))
    return false;
  return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(const std::string& stored_hash, const password_hash_params& params) {
  require_sodium();
  auto limits = checked_limits(params);
  if (!plausible_hash_string(stored_hash))
    return true;
  // 0: same algorithm and parameters; 1: different; -1: not a hash libsodium knows.
  return crypto_pwhash_str_needs_rehash(stored_hash.c_str(), limits.opslimit,
                                        limits.memlimit_bytes)
         != 0;
}

} // namespace boxoffice
