#include "cluster/link_messages.h"

namespace boxoffice::cluster {

void register_link_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<forward_envelope>("boxoffice::cluster::forward_envelope");
  cfg.add_message_type<forward_answer>("boxoffice::cluster::forward_answer");
}

} // namespace boxoffice::cluster
