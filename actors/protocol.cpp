#include "actors/protocol.h"

namespace boxoffice {

namespace {

const auto category = caf::atom("boxoffice");

} // namespace

caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), category};
}

std::optional<errc> to_errc(const caf::error& x) {
  if (x.category() != category || x.code() == 0)
    return std::nullopt;
  return static_cast<errc>(x.code());
}

void register_protocol(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::boxoffice>();
  cfg.add_error_category(category, [](uint8_t code, caf::atom_value, const caf::message&) -> std::string {
    return to_string(static_cast<errc>(code));
  });
}

} // namespace boxoffice
