#include "http/request_framer.h"

#include <algorithm>
#include <cctype>

namespace boxoffice::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x))
                  == std::tolower(static_cast<unsigned char>(y));
         });
}

// The methods the routes can answer (Pistache's own set, without TRACE and
// CONNECT, which nothing here serves).
bool served(unsigned method) {
  switch (method) {
    case HTTP_GET:
    case HTTP_HEAD:
    case HTTP_POST:
    case HTTP_PUT:
    case HTTP_PATCH:
    case HTTP_DELETE:
    case HTTP_OPTIONS:
      return true;
    default:
      return false;
  }
}

// RFC 9110 §5.6.2: a field name is a token.
bool token(std::string_view name) {
  static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || specials.find(c) != std::string_view::npos;
  });
}

// RFC 9110 §5.5: no control characters in a field value but HTAB.
bool field_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

// Bytes a header line takes besides its name and value (": " and CRLF).
constexpr size_t header_line_overhead = 4;

} // namespace

// libhttp-parser's C callbacks, forwarding to the framer. A non-zero return
// stops the parser (the framer has refused the stream).
struct framer_callbacks {
  static request_framer& of(http_parser* p) { return *static_cast<request_framer*>(p->data); }

  static int message_begin(http_parser* p) {
    of(p).begin_message();
    return 0;
  }

  static int url(http_parser* p, const char* at, size_t n) {
    auto& f = of(p);
    f.target_.append(at, n);
    f.head_bytes_ += n;
    if (f.target_.size() > f.limits_.target_bytes_max) {
      f.refuse(target_too_long(f.limits_.target_bytes_max));
      return 1;
    }
    return 0;
  }

  static int header_field(http_parser* p, const char* at, size_t n) {
    auto& f = of(p);
    if (f.in_value_ || f.headers_.empty()) {
      f.headers_.emplace_back();
      f.in_value_ = false;
      f.head_bytes_ += header_line_overhead;
    }
    f.headers_.back().first.append(at, n);
    return grew(f, n);
  }

  static int header_value(http_parser* p, const char* at, size_t n) {
    auto& f = of(p);
    f.in_value_ = true;
    f.headers_.back().second.append(at, n);
    return grew(f, n);
  }

  static int grew(request_framer& f, size_t n) {
    f.head_bytes_ += n;
    if (f.head_bytes_ > f.limits_.head_bytes_max) {
      f.refuse(headers_too_large(f.limits_.head_bytes_max));
      return 1;
    }
    return 0;
  }

  static int headers_complete(http_parser* p) { return of(p).end_of_head(); }

  static int body(http_parser* p, const char* at, size_t n) {
    auto& f = of(p);
    if (f.body_.size() + n > f.limits_.body_bytes_max) {
      f.refuse(body_too_large(f.limits_.body_bytes_max));
      return 1;
    }
    f.body_.append(at, n);
    return 0;
  }

  static int message_complete(http_parser* p) { return of(p).end_of_message(); }

  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings s{};
      s.on_message_begin = message_begin;
      s.on_url = url;
      s.on_header_field = header_field;
      s.on_header_value = header_value;
      s.on_headers_complete = headers_complete;
      s.on_body = body;
      s.on_message_complete = message_complete;
      return s;
    }();
    return s;
  }
};

request_framer::request_framer(framer_limits limits) : limits_(limits) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

void request_framer::refuse(problem p) {
  if (refused_)
    return;
  refused_ = true;
  refusal_ = std::move(p);
}

void request_framer::begin_message() {
  ++begun_;
  in_message_ = true;
  head_done_ = false;
  continue_taken_ = false;
  head_bytes_ = 0;
  in_value_ = false;
  target_.clear();
  body_.clear();
  headers_.clear();
}

int request_framer::end_of_head() {
  head_done_ = true;
  if (parser_.http_major != 1 || parser_.http_minor > 1) {
    refuse(version_not_supported());
    return -1;
  }
  if (!served(parser_.method)) {
    refuse(method_not_implemented());
    return -1;
  }
  if ((parser_.flags & F_CONTENTLENGTH) && parser_.content_length > limits_.body_bytes_max) {
    refuse(body_too_large(limits_.body_bytes_max));
    return -1;
  }
  for (auto& [name, value] : headers_) {
    // Optional whitespace after the value is not part of it (RFC 9110 §5.5).
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.pop_back();
    if (!token(name) || !field_value(value)) {
      refuse(malformed_request("A header field is not valid: '" + name.substr(0, 64) + "'"));
      return -1;
    }
    if (iequals(name, "Expect") && iequals(value, "100-continue"))
      expects_continue_ = true;
  }
  return 0;
}

int request_framer::end_of_message() {
  framed_request r;
  r.head = parser_.method == HTTP_HEAD;
  r.keep_alive = http_should_keep_alive(&parser_) != 0;
  r.http10 = parser_.http_minor == 0;
  rebuild_into(r);
  r.headers = std::move(headers_);
  ready_.push_back(std::move(r));
  in_message_ = false;
  head_done_ = false;
  expects_continue_ = false;
  // Stop here: the caller learns where this request ended, and nothing
  // after a request that closes the connection is parsed.
  http_parser_pause(&parser_, 1);
  return 0;
}

// One canonical form: the request line, each header as "name: value" (what
// the parser understood, so that Pistache cannot read it another way), the
// body framed by Content-Length.
void request_framer::rebuild_into(framed_request& r) const {
  std::string_view method = r.head ? "GET" : http_method_str(static_cast<http_method>(parser_.method));
  size_t size = method.size() + target_.size() + 32 + body_.size();
  for (const auto& [name, value] : headers_)
    size += name.size() + value.size() + header_line_overhead;
  r.bytes.reserve(size);
  r.bytes.append(method).append(" ").append(target_);
  r.bytes.append(r.http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  for (const auto& [name, value] : headers_) {
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding"))
      continue;
    r.bytes.append(name).append(": ").append(value).append("\r\n");
  }
  if (!body_.empty())
    r.bytes.append("Content-Length: ").append(std::to_string(body_.size())).append("\r\n");
  r.bytes.append("\r\n").append(body_);
}

bool request_framer::take_continue() {
  if (!awaiting_body() || !expects_continue_ || continue_taken_ || refused_)
    return false;
  continue_taken_ = true;
  return true;
}

void request_framer::feed(std::string_view bytes) {
  while (!bytes.empty() && !refused_ && !ended_) {
    size_t n = http_parser_execute(&parser_, &framer_callbacks::settings(), bytes.data(),
                                   bytes.size());
    auto err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      http_parser_pause(&parser_, 0);
      // A request after which the connection closes ends the stream.
      if (!ready_.empty() && !ready_.back().keep_alive) {
        ended_ = true;
        return;
      }
    } else if (err != HPE_OK) {
      if (!refused_)
        refuse(malformed_request(http_errno_description(err)));
      return;
    } else if (n < bytes.size()) {
      // The parser returns early only after an Upgrade request it completed:
      // boxoffice ignores the upgrade and reads on.
      if (n == 0)
        return;
    }
    bytes.remove_prefix(n);
  }
}

} // namespace boxoffice::http
