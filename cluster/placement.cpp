#include "cluster/placement.h"

namespace boxoffice::cluster {

namespace {

// SplitMix64's finalizer: every input bit flips about half the output bits.
uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a over the id's bytes, then mixed: a name of any length to 64 bits.
uint64_t hash_name(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

} // namespace

uint64_t placement_weight(uint64_t event, const std::string& node_id) {
  // Mixing the event first keeps nearby ids (1, 2, 3...) from weighing alike.
  return mix64(hash_name(node_id) ^ mix64(event + 0x9e3779b97f4a7c15ULL));
}

std::optional<std::string> place_event(uint64_t event, const std::vector<std::string>& node_ids) {
  const std::string* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& id : node_ids) {
    const uint64_t w = placement_weight(event, id);
    if (best == nullptr || w > best_weight || (w == best_weight && id < *best)) {
      best = &id;
      best_weight = w;
    }
  }
  if (best == nullptr)
    return std::nullopt;
  return *best;
}

} // namespace boxoffice::cluster
