// Tests for the building blocks of accounts: Argon2id password hashes, the
// normal form of email addresses (and the UTF-8 check under it), access
// tokens - including the forgeries a JWT verifier must refuse: alg "none",
// another HMAC algorithm, a tampered payload, a foreign key, oversized and
// misshapen tokens - refresh-token randomness and digests, and the per-key
// rate limiter, driven by explicit time points.
#include "accounts/email.h"
#include "accounts/password.h"
#include "accounts/rate_limiter.h"
#include "accounts/text.h"
#include "accounts/tokens.h"

#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace {

using namespace boxoffice;
using namespace std::chrono_literals;

const std::string key(32, 'k');
constexpr int64_t t0_s = 1'700'000'000;
constexpr uint32_t ttl = 900;

std::string b64url(std::string_view bytes) {
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.pop_back();
  return out;
}

std::string b64url_decode(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t length = 0;
  BOOST_REQUIRE(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                  text.data(), text.size(), nullptr, &length, nullptr,
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING)
                == 0);
  out.resize(length);
  return out;
}

// HMAC of "header.payload" with SHA-256 or SHA-512, base64url: a signature
// made with the server's own key, as an attacker who knew it, or a confused
// verifier, would.
std::string hmac_b64(std::string_view signed_part, std::string_view secret, bool sha512) {
  auto data = reinterpret_cast<const unsigned char*>(signed_part.data());
  auto k = reinterpret_cast<const unsigned char*>(secret.data());
  if (sha512) {
    unsigned char mac[crypto_auth_hmacsha512_BYTES];
    crypto_auth_hmacsha512_state state;
    crypto_auth_hmacsha512_init(&state, k, secret.size());
    crypto_auth_hmacsha512_update(&state, data, signed_part.size());
    crypto_auth_hmacsha512_final(&state, mac);
    return b64url(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
  }
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, k, secret.size());
  crypto_auth_hmacsha256_update(&state, data, signed_part.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return b64url(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
}

const std::string hs256_header = R"({"alg":"HS256","typ":"JWT"})";

// A token with this header and payload JSON, signed with `secret`.
std::string craft(const std::string& header, const std::string& payload,
                  std::string_view secret = key, bool sha512 = false) {
  auto signed_part = b64url(header) + "." + b64url(payload);
  return signed_part + "." + hmac_b64(signed_part, secret, sha512);
}

struct parts {
  std::string header, payload, signature;
};

parts split(const std::string& token) {
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  return {token.substr(0, first), token.substr(first + 1, second - first - 1),
          token.substr(second + 1)};
}

// The verdict as text, so that a failed check shows what came back.
std::string verdict(const token_signer& signer, std::string_view token, int64_t now_s = t0_s) {
  auto result = signer.verify(token, now_s);
  if (auto* error = std::get_if<token_error>(&result))
    return to_string(*error);
  const auto& claims = std::get<access_claims>(result);
  return "ok " + std::to_string(claims.account) + " " + to_string(claims.role) + " "
         + std::to_string(claims.expires_at_s);
}

std::string normalised(std::string_view raw) {
  auto email = normalise_email(raw);
  return email ? *email : "none";
}

bool lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(accounts_password)

BOOST_AUTO_TEST_CASE(hash_verifies_its_password_and_no_other) {
  auto hash = hash_password("correct horse", minimal_password_params());
  BOOST_TEST(verify_password(hash, "correct horse"));
  BOOST_TEST(!verify_password(hash, "correct horsf"));
  BOOST_TEST(!verify_password(hash, "correct horse "));
  BOOST_TEST(!verify_password(hash, ""));
}

BOOST_AUTO_TEST_CASE(hash_is_argon2id_with_the_given_parameters) {
  auto hash = hash_password("pw", minimal_password_params());
  BOOST_TEST(hash.rfind("$argon2id$v=19$m=8,t=1,p=1$", 0) == 0, hash);
}

BOOST_AUTO_TEST_CASE(hashes_of_one_password_differ_by_their_salt) {
  auto a = hash_password("same", minimal_password_params());
  auto b = hash_password("same", minimal_password_params());
  BOOST_TEST(a != b);
  BOOST_TEST(verify_password(a, "same"));
  BOOST_TEST(verify_password(b, "same"));
}

BOOST_AUTO_TEST_CASE(malformed_stored_hashes_verify_nothing) {
  auto good = hash_password("pw", minimal_password_params());
  for (std::string stored : {std::string(), std::string("pw"), std::string("$argon2id$"),
                             good.substr(0, good.size() - 4), std::string(200, 'a'),
                             std::string("$argon2id$\0x", 12)})
    BOOST_TEST(!verify_password(stored, "pw"), stored);
}

BOOST_AUTO_TEST_CASE(rehash_is_needed_when_parameters_change) {
  auto hash = hash_password("pw", minimal_password_params());
  BOOST_TEST(!password_needs_rehash(hash, minimal_password_params()));
  BOOST_TEST(password_needs_rehash(hash, password_hash_params{}));
  BOOST_TEST(password_needs_rehash("not a hash", minimal_password_params()));
}

BOOST_AUTO_TEST_CASE(parameters_outside_libsodium_limits_are_refused) {
  BOOST_CHECK_THROW(hash_password("pw", {0, 64}), std::invalid_argument);
  BOOST_CHECK_THROW(hash_password("pw", {1, 4}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(accounts_email)

BOOST_AUTO_TEST_CASE(valid_addresses_are_trimmed_and_lower_cased) {
  struct {
    const char* raw;
    const char* normal;
  } cases[] = {
    {"ann@example.com", "ann@example.com"},
    {"  Ann@Example.COM\t\r\n", "ann@example.com"},
    {"first.last+tag@mail.example.org", "first.last+tag@mail.example.org"},
    {"o'brien@example.co.uk", "o'brien@example.co.uk"},
    {"J\xC3\xBCRGEN@Beispiel.DE", "j\xC3\xBCrgen@beispiel.de"},  // only ASCII is folded
    {"\xE7\x94\xB0\xE4\xB8\xAD@example.jp", "\xE7\x94\xB0\xE4\xB8\xAD@example.jp"},
  };
  for (const auto& c : cases)
    BOOST_TEST(normalised(c.raw) == c.normal, c.raw);
}

BOOST_AUTO_TEST_CASE(invalid_addresses_are_refused) {
  const char* cases[] = {
    "", "   ", "ann", "ann@", "@example.com", "ann@@example.com", "a@b@example.com",
    "ann@example", "ann@.example.com", "ann@example.com.", "ann@example..com", "an n@example.com",
    "ann@exa mple.com", "\"ann\"@example.com", "ann\x01@example.com", "ann\x7F@example.com",
    "Ann <ann@example.com>", "ann@example.com,bob@example.com", "ann(x)@example.com",
    "ann\\@example.com", "ann@[10.0.0.1]",
    "ann\xFF@example.com",             // not UTF-8 at all
    "ann\xC3@example.com",             // truncated sequence
    "\xC0\xAF@example.com",            // overlong '/'
    "\xED\xA0\x80@example.com",        // a surrogate
  };
  for (const char* raw : cases)
    BOOST_TEST(normalised(raw) == "none", raw);
}

BOOST_AUTO_TEST_CASE(length_limits_are_inclusive) {
  std::string local64(64, 'a');
  BOOST_TEST(normalised(local64 + "@example.com") == local64 + "@example.com");
  BOOST_TEST(normalised(local64 + "a@example.com") == "none");
  // 64 + '@' + 189 = 254 bytes.
  std::string domain189 = std::string(185, 'd') + ".com";
  BOOST_TEST(normalised(local64 + "@" + domain189).size() == 254u);
  BOOST_TEST(normalised(local64 + "@d" + domain189) == "none");
  BOOST_TEST(normalised("  " + local64 + "@" + domain189 + "  ").size() == 254u);
}

BOOST_AUTO_TEST_CASE(utf8_validator_follows_rfc_3629) {
  const char* valid[] = {"", "abc", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                         "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBF"};
  for (const char* s : valid)
    BOOST_TEST(valid_utf8(s), s);
  const char* invalid[] = {"\x80",         "\xBF",         "\xC3",         "\xC3\x28",
                           "\xC0\x80",     "\xC1\xBF",     "\xE0\x80\x80", "\xE0\x9F\xBF",
                           "\xED\xA0\x80", "\xED\xBF\xBF", "\xE2\x82",     "\xF0\x8F\xBF\xBF",
                           "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFE", "\xFF"};
  for (const char* s : invalid)
    BOOST_TEST(!valid_utf8(s), s);
  BOOST_TEST(valid_utf8(std::string_view("a\0b", 3)));  // NUL is valid UTF-8
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(accounts_tokens)

BOOST_AUTO_TEST_CASE(issued_token_verifies_with_its_claims) {
  token_signer signer(key, ttl);
  BOOST_TEST(signer.ttl_s() == ttl);
  auto token = signer.issue(42, account_role::admin, t0_s);
  BOOST_TEST(verdict(signer, token) == "ok 42 admin " + std::to_string(t0_s + ttl));
  BOOST_TEST(verdict(signer, signer.issue(7, account_role::customer, t0_s))
             == "ok 7 customer " + std::to_string(t0_s + ttl));
  auto p = split(token);
  BOOST_TEST(b64url_decode(p.header) == hs256_header);
  auto payload = b64url_decode(p.payload);
  BOOST_TEST(payload.find(R"("sub":"42")") != std::string::npos, payload);
  BOOST_TEST(payload.find(R"("iat":1700000000)") != std::string::npos, payload);
}

BOOST_AUTO_TEST_CASE(token_expires_at_exp) {
  token_signer signer(key, ttl);
  auto token = signer.issue(42, account_role::customer, t0_s);
  BOOST_TEST(verdict(signer, token, t0_s + ttl - 1).rfind("ok", 0) == 0);
  BOOST_TEST(verdict(signer, token, t0_s + ttl) == "expired");
  BOOST_TEST(verdict(signer, token, t0_s + ttl + 86400) == "expired");
}

BOOST_AUTO_TEST_CASE(tampered_payload_fails_the_signature) {
  token_signer signer(key, ttl);
  auto p = split(signer.issue(42, account_role::customer, t0_s));
  auto payload = b64url_decode(p.payload);
  auto at = payload.find("customer");
  BOOST_REQUIRE(at != std::string::npos);
  payload.replace(at, 8, "admin");
  BOOST_TEST(verdict(signer, p.header + "." + b64url(payload) + "." + p.signature)
             == "bad_signature");
  // One flipped character of the signature.
  auto signature = p.signature;
  signature[3] = signature[3] == 'A' ? 'B' : 'A';
  BOOST_TEST(verdict(signer, p.header + "." + p.payload + "." + signature) == "bad_signature");
  BOOST_TEST(verdict(signer, p.header + "." + p.payload + ".") == "bad_signature");
}

BOOST_AUTO_TEST_CASE(token_of_another_key_fails_the_signature) {
  token_signer signer(key, ttl);
  token_signer other(std::string(32, 'x'), ttl);
  BOOST_TEST(verdict(signer, other.issue(42, account_role::admin, t0_s)) == "bad_signature");
  // A longer key is a different key, not a prefix match.
  token_signer longer(key + "k", ttl);
  BOOST_TEST(verdict(signer, longer.issue(42, account_role::admin, t0_s)) == "bad_signature");
  BOOST_TEST(verdict(longer, longer.issue(42, account_role::admin, t0_s)).rfind("ok", 0) == 0);
}

BOOST_AUTO_TEST_CASE(alg_none_is_refused) {
  token_signer signer(key, ttl);
  auto p = split(signer.issue(42, account_role::admin, t0_s));
  for (std::string header : {R"({"alg":"none"})", R"({"alg":"none","typ":"JWT"})",
                             R"({"alg":"None","typ":"JWT"})"}) {
    auto head = b64url(header) + "." + p.payload;
    BOOST_TEST(verdict(signer, head + ".") == "wrong_algorithm", header);
    BOOST_TEST(verdict(signer, head + "." + p.signature) == "wrong_algorithm", header);
  }
}

BOOST_AUTO_TEST_CASE(other_algorithms_are_refused_even_when_signed_with_our_key) {
  token_signer signer(key, ttl);
  std::string payload = R"({"sub":"42","role":"admin","iat":1700000000,"exp":1700000900})";
  BOOST_TEST(verdict(signer, craft(hs256_header, payload)).rfind("ok", 0) == 0);
  BOOST_TEST(verdict(signer, craft(R"({"alg":"HS512","typ":"JWT"})", payload, key, true))
             == "wrong_algorithm");
  for (std::string header : {R"({"alg":"HS384","typ":"JWT"})", R"({"alg":"RS256","typ":"JWT"})",
                             R"({"alg":"hs256","typ":"JWT"})", R"({"alg":"HS256 "})",
                             R"({"typ":"JWT"})", R"({"alg":256})"})
    BOOST_TEST(verdict(signer, craft(header, payload)) == "wrong_algorithm", header);
  // Two "alg" keys: refused before any reader can pick the other one.
  BOOST_TEST(verdict(signer, craft(R"({"alg":"HS256","alg":"none"})", payload)) == "malformed");
}

BOOST_AUTO_TEST_CASE(misshapen_tokens_are_malformed) {
  token_signer signer(key, ttl);
  auto token = signer.issue(42, account_role::admin, t0_s);
  auto p = split(token);
  std::string cases[] = {
    "", ".", "..", "...", "abc", "a.b", "a.b.c.d", token + ".", "." + token, token + " ",
    " " + token, token + "=", p.header + ".." + p.signature, "." + p.payload + "." + p.signature,
    "!!!." + p.payload + "." + p.signature, b64url("not json") + "." + p.payload + "." + p.signature,
    b64url("[1,2]") + "." + p.payload + "." + p.signature,
    std::string(5000, 'a') + "." + p.payload + "." + p.signature,
  };
  for (const auto& bad : cases)
    BOOST_TEST(verdict(signer, bad) == "malformed", bad.substr(0, 80));
}

BOOST_AUTO_TEST_CASE(oversized_token_is_malformed_even_when_validly_signed) {
  token_signer signer(key, ttl);
  std::string payload = R"({"sub":"42","role":"admin","exp":1700000900,"pad":")"
                        + std::string(3100, 'x') + "\"}";
  auto token = craft(hs256_header, payload);
  BOOST_REQUIRE(token.size() > access_token_bytes_max);
  BOOST_TEST(verdict(signer, token) == "malformed");
}

BOOST_AUTO_TEST_CASE(signed_tokens_with_bad_claims_are_refused) {
  token_signer signer(key, ttl);
  std::string payloads[] = {
    R"({"role":"admin","exp":1700000900})",                      // no sub
    R"({"sub":"42","exp":1700000900})",                          // no role
    R"({"sub":"42","role":"admin"})",                            // no exp
    R"({"sub":"0","role":"admin","exp":1700000900})",            // account 0
    R"({"sub":42,"role":"admin","exp":1700000900})",             // sub not a string
    R"({"sub":"042","role":"admin","exp":1700000900})",          // not canonical
    R"({"sub":"-1","role":"admin","exp":1700000900})",
    R"({"sub":"18446744073709551616","role":"admin","exp":1700000900})",  // > UINT64_MAX
    R"({"sub":"42","role":"root","exp":1700000900})",
    R"({"sub":"42","role":"Admin","exp":1700000900})",
    R"({"sub":"42","role":"admin","exp":"1700000900"})",         // exp not a number
    R"({"sub":"42","role":"admin","exp":1700000900.5})",
    R"({"sub":"42","role":"admin","exp":-1})",
  };
  for (const auto& payload : payloads)
    BOOST_TEST(verdict(signer, craft(hs256_header, payload)) == "bad_claims", payload);
  BOOST_TEST(verdict(signer, craft(hs256_header, R"({"sub":"18446744073709551615",)"
                                                 R"("role":"customer","exp":1700000900})"))
             == "ok 18446744073709551615 customer 1700000900");
}

BOOST_AUTO_TEST_CASE(signer_refuses_short_keys_and_account_zero) {
  BOOST_CHECK_THROW(token_signer(std::string(31, 'k'), ttl), std::invalid_argument);
  BOOST_CHECK_THROW(token_signer(std::string(), ttl), std::invalid_argument);
  BOOST_CHECK_THROW(token_signer(key, 0), std::invalid_argument);
  BOOST_CHECK_NO_THROW(token_signer(std::string(32, '\0'), ttl));
  BOOST_CHECK_THROW(token_signer(key, ttl).issue(0, account_role::admin, t0_s),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(error_names) {
  BOOST_TEST(to_string(token_error::malformed) == std::string("malformed"));
  BOOST_TEST(to_string(token_error::bad_signature) == std::string("bad_signature"));
  BOOST_TEST(to_string(token_error::wrong_algorithm) == std::string("wrong_algorithm"));
  BOOST_TEST(to_string(token_error::expired) == std::string("expired"));
  BOOST_TEST(to_string(token_error::bad_claims) == std::string("bad_claims"));
}

BOOST_AUTO_TEST_CASE(random_tokens_are_unique_base64url) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto token = new_random_token();
    BOOST_TEST(token.size() == 43u);
    BOOST_TEST(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_")
               == std::string::npos);
    seen.insert(token);
  }
  BOOST_TEST(seen.size() == 1000u);
  BOOST_TEST(new_random_token(16).size() == 22u);
  BOOST_CHECK_THROW(new_random_token(0), std::invalid_argument);
  BOOST_CHECK_THROW(new_random_token(random_token_bytes_max + 1), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(digest_is_sha256_hex) {
  BOOST_TEST(token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto token = new_random_token();
  auto digest = token_digest(token);
  BOOST_TEST(digest.size() == 64u);
  BOOST_TEST(lower_hex(digest));
  BOOST_TEST(digest == token_digest(token));
  BOOST_TEST(digest != token_digest(new_random_token()));
}

BOOST_AUTO_TEST_CASE(random_hex_has_the_asked_length_and_varies) {
  auto a = random_hex(16);
  BOOST_TEST(a.size() == 32u);
  BOOST_TEST(lower_hex(a));
  BOOST_TEST(a != random_hex(16));
  BOOST_CHECK_THROW(random_hex(0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(accounts_rate_limiter)

const rate_limiter::clock::time_point t0{std::chrono::hours(1000)};

BOOST_AUTO_TEST_CASE(burst_then_refusal_with_retry_after) {
  rate_limiter limiter(5, 100);  // one token per 12 s
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(!limiter.take("ann", t0).has_value(), "take " << i);
  auto retry = limiter.take("ann", t0);
  BOOST_REQUIRE(retry.has_value());
  BOOST_TEST(*retry == 12u);
  BOOST_TEST(limiter.take("ann", t0 + 5s).value_or(0) == 7u);  // refusals take nothing
}

BOOST_AUTO_TEST_CASE(tokens_come_back_over_time) {
  rate_limiter limiter(5, 100);
  for (int i = 0; i < 5; ++i)
    limiter.take("ann", t0);
  BOOST_TEST(limiter.take("ann", t0 + 11s).value_or(0) == 1u);
  BOOST_TEST(!limiter.take("ann", t0 + 12s).has_value());
  BOOST_TEST(limiter.take("ann", t0 + 12s).has_value());
  // A minute after the last take the bucket is full again, and no fuller.
  auto later = t0 + 12s + 60s;
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(!limiter.take("ann", later).has_value(), "take " << i);
  BOOST_TEST(limiter.take("ann", later).has_value());
}

BOOST_AUTO_TEST_CASE(retry_after_rounds_up_and_is_at_least_one) {
  rate_limiter seven(7, 10);  // one token per 8.57 s
  for (int i = 0; i < 7; ++i)
    seven.take("k", t0);
  BOOST_TEST(seven.take("k", t0).value_or(0) == 9u);
  rate_limiter fast(6000, 10);  // one token per 10 ms
  for (int i = 0; i < 6000; ++i)
    fast.take("k", t0);
  BOOST_TEST(fast.take("k", t0).value_or(0) == 1u);
}

BOOST_AUTO_TEST_CASE(keys_are_independent) {
  rate_limiter limiter(2, 100);
  limiter.take("ann", t0);
  limiter.take("ann", t0);
  BOOST_TEST(limiter.take("ann", t0).has_value());
  BOOST_TEST(!limiter.take("bob", t0).has_value());
  BOOST_TEST(!limiter.take("bob", t0).has_value());
  BOOST_TEST(limiter.take("bob", t0).has_value());
  BOOST_TEST(limiter.keys() == 2u);
}

BOOST_AUTO_TEST_CASE(zero_per_minute_is_unlimited) {
  rate_limiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i)
    BOOST_TEST(!limiter.take("ann", t0).has_value());
  BOOST_TEST(limiter.keys() == 0u);
  BOOST_CHECK_THROW(rate_limiter(1, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(keys_max_bounds_memory) {
  rate_limiter limiter(5, 3);
  for (int i = 0; i < 100; ++i) {
    limiter.take("key" + std::to_string(i), t0 + std::chrono::seconds(i % 7));
    BOOST_TEST(limiter.keys() <= 3u);
  }
  BOOST_TEST(limiter.keys() == 3u);
}

BOOST_AUTO_TEST_CASE(idle_buckets_are_dropped_before_busy_ones) {
  rate_limiter limiter(5, 2);
  limiter.take("idle", t0);  // full again at t0 + 12 s
  for (int i = 0; i < 5; ++i)
    limiter.take("busy", t0 + 1s);  // empty; full again at t0 + 61 s
  // "idle" is the least recently used and full again: it goes, "busy" stays.
  BOOST_TEST(!limiter.take("new", t0 + 20s).has_value());
  BOOST_TEST(limiter.keys() == 2u);
  // 19 s after emptying, "busy" has one token back, not a fresh bucket of 5.
  BOOST_TEST(!limiter.take("busy", t0 + 20s).has_value());
  BOOST_TEST(limiter.take("busy", t0 + 20s).has_value());
}

BOOST_AUTO_TEST_CASE(least_recently_used_goes_when_none_is_idle) {
  rate_limiter limiter(5, 2);
  for (int i = 0; i < 5; ++i) {
    limiter.take("a", t0);
    limiter.take("b", t0 + 1s);
  }
  BOOST_TEST(!limiter.take("c", t0 + 2s).has_value());  // evicts "a"
  BOOST_TEST(limiter.keys() == 2u);
  BOOST_TEST(limiter.take("b", t0 + 2s).has_value());  // "b" kept its state
  BOOST_TEST(!limiter.take("a", t0 + 2s).has_value());  // "a" starts afresh
}

BOOST_AUTO_TEST_CASE(concurrent_takes_never_exceed_the_burst) {
  rate_limiter limiter(100, 10);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (!limiter.take("shared", t0))
          ++allowed;
    });
  for (auto& thread : threads)
    thread.join();
  BOOST_TEST(allowed.load() == 100);
}

BOOST_AUTO_TEST_SUITE_END()
