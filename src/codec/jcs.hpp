#pragma once
// RFC 8785 JSON Canonicalization Scheme (JCS): the byte-exact form we hash and sign.
//   - objects: members sorted by key, comparing keys as arrays of UTF-16 code units;
//   - numbers: the ECMAScript Number-to-String form of the IEEE-754 double (RFC 8785 §3.2.2.3);
//   - strings: minimal escaping (only " \ and U+0000..U+001F, with \b \t \n \f \r short forms,
//     others as \u00xx lowercase hex); everything else is emitted as raw UTF-8;
//   - no whitespace.

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "codec/json.hpp"

namespace bizra::jcs {

// Canonical serialization of a parsed value.
std::string serialize(const json::Value& value);

// Appends to `out` the canonical serialization of `object` less its member named `omitted`, if it
// has one: what an in-band signature covers, written without copying the rest of the document.
// Precondition: object.is_object().
void append_without(const json::Value& object, std::string_view omitted, std::string& out);

// Parses strictly (json::parse) and serializes canonically. Errors are json::parse's.
Result<std::string> canonicalize(std::string_view text, const json::Limits& limits = {});

// ECMAScript Number::toString(x) for a finite double (−0 gives "0"). NaN and infinities cannot
// come from json::parse; passing one is a programming error (std::domain_error), as is a
// Value built by hand with such a number.
std::string format_number(double x);

}  // namespace bizra::jcs
