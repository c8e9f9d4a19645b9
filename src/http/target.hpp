#pragma once
// Request-target parsing (RFC 9112 §3.2 origin-form: "/path?query"), kept free of Boost so that
// the fuzz build can exercise it. The server parses every target with this before routing.
//
// Rules, strict on purpose (everything here comes from the network):
//   - the target starts with '/' and holds only visible ASCII (0x21..0x7e) without '#';
//   - the path ends at the first '?', the query is everything after it;
//   - path segments are split on '/' *before* percent-decoding, so "%2F" inside a segment stays
//     part of that segment ("/a%2Fb" is one segment "a/b");
//   - "%XX" needs two hex digits; "%00" (a NUL byte) is rejected;
//   - query pairs are split on '&' (empty pieces skipped) and at the first '='; keys and values
//     are percent-decoded and '+' means a space there (HTML form encoding), not in the path.
// The target's size is bounded by the server's header limit before it gets here.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace bizra::http {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Target {
  std::string path;                   // as sent, without the query ("/a%20b")
  std::vector<std::string> segments;  // decoded, between the slashes: "/" -> {""}, "/a/" -> {"a", ""}
  Pairs query;                        // decoded, in order; "?flag" gives {"flag", ""}
};

// Error code: "bad_target" (the message says what was wrong).
Result<Target> parse_target(std::string_view target);

// The decoded segments of an origin-form path (the segments part of parse_target).
// Error code: "bad_target".
Result<std::vector<std::string>> split_path(std::string_view path);

// Decodes %XX escapes (and '+' to a space when `plus_is_space`). Error code: "bad_target".
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace bizra::http
