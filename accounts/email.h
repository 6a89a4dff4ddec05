// Email addresses as account identifiers: one normal form, so that
// "Ann@Example.COM " and "ann@example.com" are the same account (the
// database has a unique index on it). Deliberately narrower than RFC 5322:
// no quoted local parts, comments or domain literals.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace boxoffice {

inline constexpr size_t email_bytes_max = 254;       // RFC 5321 path limit
inline constexpr size_t email_local_bytes_max = 64;  // RFC 5321 local-part limit

// Trims ASCII whitespace and lower-cases ASCII letters (non-ASCII is kept
// as is). nullopt unless the result has at most email_bytes_max bytes,
// exactly one '@', a local part of 1..email_local_bytes_max bytes, a domain
// with a dot neither first nor last and no empty label, no space, control
// character or RFC 5322 special ( ) < > [ ] : ; , \ " anywhere, and - if it
// has non-ASCII bytes - is valid UTF-8.
std::optional<std::string> normalise_email(std::string_view raw);

} // namespace boxoffice
