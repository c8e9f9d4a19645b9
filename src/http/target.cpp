#include "http/target.hpp"

#include <cstddef>

namespace bizra::http {
namespace {

constexpr std::string_view kBadTarget = "bad_target";

// Visible ASCII except '#': a fragment is never sent to a server, and raw spaces, controls and
// non-ASCII bytes must be percent-encoded (RFC 3986).
bool allowed_in_target(char c) { return c > 0x20 && c < 0x7f && c != '#'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status check_characters(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!allowed_in_target(text[i])) {
      return Error(kBadTarget, "byte " + std::to_string(i) + " of the target is not allowed there");
    }
  }
  return ok_status();
}

// Calls `piece(run)` for each run of `text` between separators (empty runs included), stopping
// at the first error it returns.
template <typename Fn>
Status for_each_piece(std::string_view text, char separator, Fn&& piece) {
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(separator, begin);
    const bool last = end == std::string_view::npos;
    BIZRA_TRY(piece(text.substr(begin, last ? std::string_view::npos : end - begin)));
    if (last) return ok_status();
    begin = end + 1;
  }
}

Result<Pairs> parse_query(std::string_view query) {
  Pairs pairs;
  BIZRA_TRY(for_each_piece(query, '&', [&](std::string_view piece) -> Status {
    if (piece.empty()) return ok_status();
    const std::size_t eq = piece.find('=');
    auto key = percent_decode(piece.substr(0, eq), true);
    if (!key) return key.error();
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1), true);
    if (!value) return value.error();
    pairs.emplace_back(std::move(*key), std::move(*value));
    return ok_status();
  }));
  return pairs;
}

}  // namespace

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
      if (low < 0) return Error(kBadTarget, "malformed percent escape");
      if (high == 0 && low == 0) return Error(kBadTarget, "percent escape %00 (NUL) is not allowed");
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

Result<std::vector<std::string>> split_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return Error(kBadTarget, "path must start with '/'");
  BIZRA_TRY(check_characters(path));
  if (path.find('?') != std::string_view::npos) return Error(kBadTarget, "path holds a '?'");
  std::vector<std::string> segments;
  BIZRA_TRY(for_each_piece(path.substr(1), '/', [&](std::string_view piece) -> Status {
    auto decoded = percent_decode(piece, false);
    if (!decoded) return decoded.error();
    segments.push_back(std::move(*decoded));
    return ok_status();
  }));
  return segments;
}

Result<Target> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return Error(kBadTarget, "target must be in origin form (start with '/')");
  }
  BIZRA_TRY(check_characters(target));
  const std::size_t question = target.find('?');
  Target parsed;
  parsed.path = std::string(target.substr(0, question));
  auto segments = split_path(parsed.path);
  if (!segments) return segments.error();
  parsed.segments = std::move(*segments);
  if (question != std::string_view::npos) {
    auto query = parse_query(target.substr(question + 1));
    if (!query) return query.error();
    parsed.query = std::move(*query);
  }
  return parsed;
}

}  // namespace bizra::http
