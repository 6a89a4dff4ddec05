// Checks on untrusted text shared by the account rules and the HTTP layer.
#pragma once

#include <string_view>

namespace boxoffice {

// True if text is well-formed UTF-8 (RFC 3629): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequence. The empty string and plain ASCII are valid.
bool valid_utf8(std::string_view text);

} // namespace boxoffice
