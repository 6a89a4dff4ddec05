// How many messages an actor has waiting, for the mailbox-depth metric.
#pragma once

#include <cstddef>

namespace boxoffice {

// The messages the actor has taken into its queue and not handled yet.
// Not mailbox().size(): that moves new arrivals from the inbox into the
// queue, which must not happen while the actor handles a message (CAF 0.17
// is walking that queue; UBSan caught the bad cast). Messages that arrived
// since the actor last took from its inbox are not counted.
template <class Self>
size_t mailbox_depth(Self* self) {
  return self->mailbox().queue().total_task_size();
}

} // namespace boxoffice
