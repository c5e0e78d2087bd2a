// core/restrict/general, identity_change, io_control, memory_map and
// shared_memory_writable (SPEC §2.9) as guards: rules on registers, ahead
// of the configuration's, so no sys/ rule or category lifts them.
#pragma once

#include "bpf/guards.h"

namespace syd::bpf {

void AddRestrictions(const policy::Policy& p, Guards* g);

}  // namespace syd::bpf
