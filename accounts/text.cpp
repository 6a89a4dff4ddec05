#include "accounts/text.h"

#include <cstddef>
#include <cstdint>

namespace boxoffice {

bool valid_utf8(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  size_t i = 0;
  while (i < text.size()) {
    uint8_t lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // Sequence length and the allowed range of the second byte (Table 3-7
    // of the Unicode standard): the narrowed ranges exclude overlong forms,
    // surrogates and code points above U+10FFFF.
    size_t length = 0;
    uint8_t second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0)
        second_min = 0xA0;
      else if (lead == 0xED)
        second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0)
        second_min = 0x90;
      else if (lead == 0xF4)
        second_max = 0x8F;
    } else {
      return false;  // a continuation byte, C0, C1 or F5..FF as lead
    }
    if (text.size() - i < length)
      return false;
    if (byte(i + 1) < second_min || byte(i + 1) > second_max)
      return false;
    for (size_t k = 2; k < length; ++k)
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
        return false;
    i += length;
  }
  return true;
}

} // namespace boxoffice
