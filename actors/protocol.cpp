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

caf::error make_not_owner(owner_hint owner) {
  return caf::error{static_cast<uint8_t>(errc::not_owner), category,
                    caf::make_message(std::move(owner.node), std::move(owner.address))};
}

std::optional<owner_hint> not_owner_hint(const caf::error& x) {
  if (to_errc(x) != errc::not_owner)
    return std::nullopt;
  const auto& ctx = x.context();
  if (!ctx.match_elements<std::string, std::string>())
    return owner_hint{};
  return owner_hint{ctx.get_as<std::string>(0), ctx.get_as<std::string>(1)};
}

void register_protocol(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::boxoffice>();
  cfg.add_error_category(category, [](uint8_t code, caf::atom_value, const caf::message&) -> std::string {
    return to_string(static_cast<errc>(code));
  });
}

} // namespace boxoffice
