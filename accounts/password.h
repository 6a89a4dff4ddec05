// Password hashing: Argon2id through libsodium's crypto_pwhash_str_alg. The
// stored string carries the algorithm, its parameters and a random salt, so
// verification needs nothing else and old hashes keep verifying after the
// parameters change (password_needs_rehash says when to upgrade one).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace boxoffice {

// Defaults: libsodium's crypto_pwhash_OPSLIMIT_INTERACTIVE and
// crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024 (64 MiB; checked in password.cpp).
struct password_hash_params {
  uint64_t iterations = 2;
  uint64_t memory_kib = 64 * 1024;
};

// libsodium's minimum cost (1 pass, 8 KiB): for tests only, never in production.
password_hash_params minimal_password_params();

// A "$argon2id$..." string with a fresh random salt. Throws
// std::invalid_argument when params are outside libsodium's limits and
// std::runtime_error when hashing fails (out of memory).
std::string hash_password(std::string_view password, const password_hash_params& params);

// True if password matches stored_hash; false for a wrong password and for a
// stored hash that is malformed. Costs as much as the hash's own parameters.
bool verify_password(const std::string& stored_hash, std::string_view password);

// True if stored_hash was made with other parameters or another algorithm
// than params (or is malformed): rehash the password at the next login.
// Throws std::invalid_argument for params as hash_password does.
bool password_needs_rehash(const std::string& stored_hash, const password_hash_params& params);

} // namespace boxoffice
