// The actors' reply to a keyed write as the text answer_saved carries to
// the database, and back: hex of CAF's binary form of the reply (hold_info,
// order_info), so the HTTP layer can render a repeat's answer with the
// route that rendered the first.
#pragma once

#include "actors/protocol.h"

#include <caf/all.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace boxoffice {

// Bytes as text and back; nullopt for text that is not lower-case hex.
std::string encode_answer_bytes(const std::vector<char>& bytes);
std::optional<std::vector<char>> decode_answer_bytes(const std::string& text);

template <class Reply>
std::string encode_answer(const Reply& reply) {
  std::vector<char> bytes;
  caf::binary_serializer sink{nullptr, bytes};
  auto copy = reply;  // CAF 0.17 inspects through non-const references
  if (auto err = sink(copy))
    throw std::logic_error("encode_answer: " + to_string(err));
  return encode_answer_bytes(bytes);
}

template <class Reply>
std::optional<Reply> decode_answer(const std::string& text) {
  auto bytes = decode_answer_bytes(text);
  if (!bytes)
    return std::nullopt;
  Reply reply;
  caf::binary_deserializer source{nullptr, bytes->data(), bytes->size()};
  if (source(reply) || source.remaining() != 0)
    return std::nullopt;
  return reply;
}

// `write` (one change, the event it belongs to and the epoch it was made
// under), and with it the answer of a keyed request (an empty key: no
// answer), so that both are committed or neither is (answer_saved).
template <class Reply>
journal_write keyed(journal_write write, const answer_key& key, const Reply& answer,
                    timestamp_ms now) {
  if (!key.key.empty())
    write.changes.emplace_back(answer_saved{key, encode_answer(answer), now});
  return write;
}

} // namespace boxoffice
