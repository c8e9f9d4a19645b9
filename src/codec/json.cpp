#include "codec/json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>

namespace bizra::json {

Value Value::boolean(bool b) {
  Value v(Kind::kBool);
  v.bool_ = b;
  return v;
}

Value Value::number(std::string text, double value) {
  Value v(Kind::kNumber);
  v.text_ = std::move(text);
  v.number_ = value;
  return v;
}

Value Value::string(std::string s) {
  Value v(Kind::kString);
  v.text_ = std::move(s);
  return v;
}

Value Value::array(std::vector<Value> items) {
  Value v(Kind::kArray);
  v.items_ = std::move(items);
  return v;
}

Value Value::object(std::vector<Member> members) {
  Value v(Kind::kObject);
  v.members_ = std::move(members);
  return v;
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [name, value] : members_)
    if (name == key) return &value;
  return nullptr;
}

std::string_view kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return "boolean";
    case Value::Kind::kNumber: return "number";
    case Value::Kind::kString: return "string";
    case Value::Kind::kArray: return "array";
    case Value::Kind::kObject: return "object";
  }
  return "unknown";
}

namespace {

namespace od = simdjson::ondemand;

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// simdjson's raw tokens run up to the next structural character, so they may carry trailing
// whitespace (or, in invalid documents, trailing garbage that the checks below then reject).
std::string_view trim_trailing_whitespace(std::string_view token) {
  while (!token.empty() && is_json_whitespace(token.back())) token.remove_suffix(1);
  return token;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// Checked by us rather than trusted to simdjson because number_text is read as an exact decimal
// by consensus rules, so the text itself must be well-formed, not just its double.
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits of a \u escape at p, or -1.
long hex4(const char* p) {
  long v = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = hex_digit(p[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

bool is_high_surrogate(long u) { return u >= 0xD800 && u <= 0xDBFF; }
bool is_low_surrogate(long u) { return u >= 0xDC00 && u <= 0xDFFF; }

// Scans the raw string starting after its opening quote and returns the offset (from `raw`) of
// the first \u escape that is not a well-formed scalar value: a lone or reversed surrogate, or a
// high surrogate not followed by a low one. Returns -1 if there is none. simdjson does not
// check the second half of a pair (it would decode "\ud800\ue000" to U+10400), hence this pass.
// Safe to run because stage 1 has proven the string is closed.
long find_bad_unicode_escape(const char* raw) {
  for (const char* p = raw; *p != '"'; ++p) {
    if (*p != '\\') continue;
    ++p;  // the escaped character; a quote here is data, not the end
    if (*p != 'u') continue;
    const long unit = hex4(p + 1);
    const char* escape = p - 1;
    if (unit < 0 || is_low_surrogate(unit)) return escape - raw;
    p += 4;
    if (!is_high_surrogate(unit)) continue;
    if (p[1] != '\\' || p[2] != 'u' || !is_low_surrogate(hex4(p + 3))) return escape - raw;
    p += 6;
  }
  return -1;
}

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// A key (or number) as shown in a message: control characters and quotes masked so that hostile
// input cannot forge log lines, and long text cut short at a character boundary.
std::string printable(std::string_view key) {
  std::size_t shown = std::min<std::size_t>(key.size(), 64);
  while (shown < key.size() && is_utf8_continuation(key[shown])) --shown;
  std::string out;
  for (const char c : key.substr(0, shown)) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == '"' ? '?' : c);
  if (shown < key.size()) out += "...";
  return out;
}

// simdjson's messages are long and sometimes misleading here: INCORRECT_TYPE, for instance, is
// how it reports "nul" or "truex".
std::string describe(simdjson::error_code e) {
  switch (e) {
    case simdjson::EMPTY: return "no JSON value";
    case simdjson::UTF8_ERROR: return "invalid UTF-8";
    case simdjson::UNESCAPED_CHARS: return "unescaped control character in string";
    case simdjson::UNCLOSED_STRING: return "unterminated string";
    case simdjson::STRING_ERROR: return "invalid escape in string";
    case simdjson::TAPE_ERROR: return "malformed JSON (misplaced or missing comma, colon, bracket or brace)";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT: return "unterminated array or object";
    case simdjson::TRAILING_CONTENT: return "unexpected content after the JSON value";
    case simdjson::INCORRECT_TYPE:
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return "invalid literal";
    default: return simdjson::error_message(e);
  }
}

// Length of the valid UTF-8 sequence whose non-ASCII lead byte is s[i], or 0 if it is invalid
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const unsigned lead = byte(0);
  unsigned second_min = 0x80, second_max = 0xBF;
  std::size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // overlong
    if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (byte(1) < second_min || byte(1) > second_max) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if ((byte(k) & 0xC0) != 0x80) return 0;
  return length;
}

// simdjson's stage 1 reports UTF-8, control-character and unclosed-string errors without a
// position; this finds it (off the fast path): the first invalid UTF-8 sequence, the first raw
// control character inside a string, or the quote opening the unclosed string.
std::size_t locate_scan_error(std::string_view s, simdjson::error_code e) {
  bool in_string = false;
  std::size_t string_start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(s, i);
      if (length == 0 && e == simdjson::UTF8_ERROR) return i;
      i += std::max<std::size_t>(length, 1) - 1;
    } else if (!in_string) {
      in_string = c == '"';
      string_start = i;
    } else if (c == '\\') {
      ++i;
    } else if (c == '"') {
      in_string = false;
    } else if (c < 0x20 && e == simdjson::UNESCAPED_CHARS) {
      return i;
    }
  }
  return in_string ? string_start : s.size();
}

class Parser {
 public:
  // `input` is the text inside the padded copy that simdjson iterates.
  Parser(std::string_view input, const Limits& limits) : input_(input), limits_(limits) {}

  // `doc` is the input wrapped as the only element of an array (see parse()).
  Result<Value> run(od::document& doc) {
    doc_ = &doc;
    Value out = Value::null();
    if (parse_wrapped(out) && at_end()) return out;
    std::string message = what_;
    if (!path_.empty()) message += " (at $" + path_ + ")";
    return Error(code_, std::move(message));
  }

 private:
  bool parse_wrapped(Value& out) {
    od::array wrapper;
    if (auto e = doc_->get_array().get(wrapper)) return fail_simdjson(e, nullptr);
    bool seen = false;
    for (auto element : wrapper) {
      od::value v;
      if (auto e = std::move(element).get(v)) return seen ? fail_after_value() : fail_simdjson(e, nullptr);
      if (seen) return fail("bad_json", "unexpected content after the JSON value", v.raw_json_token().data());
      seen = true;
      if (!parse_node(v, 0, out)) return false;
    }
    return seen || fail_simdjson(simdjson::EMPTY, nullptr);
  }

  // Once the value is complete, whatever simdjson trips over follows it, or else the input
  // ended inside the value and the value "closed" with the wrapper's bracket.
  bool fail_after_value() {
    const char* where = nullptr;
    if (doc_->current_location().get(where) != simdjson::SUCCESS || where >= input_.data() + input_.size())
      return fail("bad_json", "unterminated array or object", input_.data() + input_.size());
    return fail("bad_json", "unexpected content after the JSON value", where);
  }

  bool at_end() {
    const char* trailing = nullptr;  // simdjson reports OUT_OF_BOUNDS once the input is consumed
    if (doc_->current_location().get(trailing) != simdjson::SUCCESS) return true;
    return fail("bad_json", "unexpected content after the JSON value", trailing);
  }

  // `depth` counts the arrays and objects enclosing `v`.
  bool parse_node(od::value v, std::size_t depth, Value& out) {
    const std::string_view token = v.raw_json_token();  // up to the next structural character
    od::json_type type{};
    if (auto e = v.type().get(type)) return fail_simdjson(e, token.data());
    switch (type) {
      case od::json_type::array: {
        od::array array;
        if (!enter(depth, token.data())) return false;
        if (auto e = v.get_array().get(array)) return fail_simdjson(e, token.data());
        return parse_array(array, depth + 1, out);
      }
      case od::json_type::object: {
        od::object object;
        if (!enter(depth, token.data())) return false;
        if (auto e = v.get_object().get(object)) return fail_simdjson(e, token.data());
        return parse_object(object, depth + 1, token.data(), out);
      }
      case od::json_type::number: return parse_number(trim_trailing_whitespace(token), out);
      case od::json_type::string: return parse_string(v, token.data(), out);
      case od::json_type::boolean: {
        bool b = false;
        if (auto e = v.get_bool().get(b)) return fail_simdjson(e, token.data());
        out = Value::boolean(b);
        return true;
      }
      case od::json_type::null: {
        bool is_null = false;
        if (auto e = v.is_null().get(is_null)) return fail_simdjson(e, token.data());
        if (!is_null) return fail_simdjson(simdjson::N_ATOM_ERROR, token.data());
        out = Value::null();
        return true;
      }
    }
    return fail_simdjson(simdjson::TAPE_ERROR, token.data());
  }

  bool enter(std::size_t enclosing, const char* where) {
    const std::size_t max_depth = std::min(limits_.max_depth, Limits::kDepthCap);
    if (enclosing < max_depth) return true;
    return fail("too_deep", "nesting deeper than " + std::to_string(max_depth), where);
  }

  bool parse_array(od::array& array, std::size_t depth, Value& out) {
    std::vector<Value> items;
    for (auto element : array) {
      od::value item;
      if (auto e = std::move(element).get(item)) return fail_simdjson(e, nullptr);
      items.push_back(Value::null());
      if (!parse_node(item, depth, items.back())) {
        prepend_to_path("[" + std::to_string(items.size() - 1) + "]");
        return false;
      }
    }
    out = Value::array(std::move(items));
    return true;
  }

  bool parse_object(od::object& object, std::size_t depth, const char* where, Value& out) {
    std::vector<Value::Member> members;
    for (auto field_result : object) {
      od::field field;
      std::string_view key;
      if (auto e = std::move(field_result).get(field)) return fail_simdjson(e, nullptr);
      const char* raw_key = field.key().raw();
      if (!check_unicode_escapes(raw_key)) return false;
      if (auto e = field.unescaped_key().get(key)) return fail_simdjson(e, raw_key - 1);
      members.emplace_back(std::string(key), Value::null());
      if (!parse_node(field.value(), depth, members.back().second)) {
        prepend_to_path("." + printable(key));
        return false;
      }
    }
    if (const std::string* duplicate = find_duplicate_key(members))
      return fail("duplicate_key", "duplicate key \"" + printable(*duplicate) + "\" in the object", where);
    out = Value::object(std::move(members));
    return true;
  }

  // Sorting is only worth its allocation for objects larger than attestations use; quadratic
  // search must not be reachable with huge objects (a 1 MiB input holds ~100k keys).
  static const std::string* find_duplicate_key(const std::vector<Value::Member>& members) {
    constexpr std::size_t kLinearMax = 16;
    if (members.size() <= kLinearMax) {
      for (std::size_t i = 1; i < members.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (members[i].first == members[j].first) return &members[i].first;
      return nullptr;
    }
    std::vector<const std::string*> keys;
    keys.reserve(members.size());
    for (const auto& member : members) keys.push_back(&member.first);
    std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
    auto it = std::adjacent_find(keys.begin(), keys.end(),
                                 [](const std::string* a, const std::string* b) { return *a == *b; });
    return it == keys.end() ? nullptr : *it;
  }

  // The double comes from std::from_chars (correctly rounded), not from simdjson: 3.0.1 misreads
  // long decimals, e.g. 0.10000000000000000000001 as 1.86e-05 (simdjson issue #2093).
  bool parse_number(std::string_view text, Value& out) {
    if (!is_json_number(text)) return fail("bad_json", "invalid number", text.data());
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // The grammar is checked, so only the range can fail: overflow to infinity, or a nonzero
    // number that would round to zero.
    if (ec != std::errc() || end != text.data() + text.size())
      return fail("bad_number", "number " + printable(text) + " is outside the double range", text.data());
    out = Value::number(std::string(text), value);
    return true;
  }

  bool parse_string(od::value& v, const char* quote, Value& out) {
    if (!check_unicode_escapes(quote + 1)) return false;
    std::string_view s;
    if (auto e = v.get_string().get(s)) return fail_simdjson(e, quote);
    out = Value::string(std::string(s));
    return true;
  }

  bool check_unicode_escapes(const char* raw) {
    const long bad = find_bad_unicode_escape(raw);
    return bad < 0 || fail("bad_json", "invalid \\u escape (malformed, or an unpaired surrogate)", raw + bad);
  }

  // Called while unwinding from a failure, innermost segment first. Deep paths keep their
  // innermost part so that messages stay short.
  void prepend_to_path(const std::string& segment) {
    constexpr std::size_t kMaxPathLength = 200;
    if (path_truncated_) return;
    path_truncated_ = path_.size() + segment.size() > kMaxPathLength;
    path_.insert(0, path_truncated_ ? "..." : segment);
  }

  bool fail_simdjson(simdjson::error_code e, const char* where) { return fail("bad_json", describe(e), where); }

  // Records the failure; `where` (nullptr: simdjson's current position) gives the offset.
  bool fail(std::string_view code, std::string what, const char* where) {
    if (where == nullptr && doc_->current_location().get(where) != simdjson::SUCCESS) where = nullptr;
    code_ = code;
    what_ = std::move(what);
    // Positions in the closing bracket of the wrapper or beyond are reported as the end.
    if (where != nullptr) what_ += " at byte " + std::to_string(std::min<std::ptrdiff_t>(where - input_.data(), std::ssize(input_)));
    return false;
  }

  std::string_view input_;
  const Limits& limits_;
  od::document* doc_ = nullptr;
  std::string_view code_;
  std::string what_;
  std::string path_;  // of the failure, e.g. ".a[2].b"
  bool path_truncated_ = false;
};

// The parser and padded copy are reused per thread: allocating them per call would cost more
// than parsing a typical ~1 KiB attestation.
struct Scratch {
  od::parser parser;
  std::string padded;
};

}  // namespace

Result<Value> parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes)
    return Error("too_large", "JSON of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                  std::to_string(limits.max_bytes));
  // The text goes to simdjson as the only element of an array. simdjson 3.0.1 reads a root
  // scalar through a small fixed buffer, wrongly rejecting "1" followed by many spaces or a
  // 2000-digit decimal; wrapped, every value takes the nested path, and root containers get the
  // same completeness checks as nested ones.
  thread_local Scratch scratch;
  scratch.padded.clear();
  scratch.padded.reserve(text.size() + 2 + simdjson::SIMDJSON_PADDING);
  scratch.padded.push_back('[');
  scratch.padded.append(text);
  scratch.padded.push_back(']');
  const std::size_t length = scratch.padded.size();
  scratch.padded.resize(length + simdjson::SIMDJSON_PADDING, '\0');
  // simdjson's own depth bound (asserted only in its development checks) must admit ours plus
  // the wrapper; iterate() keeps it when it grows the parser.
  constexpr std::size_t kParserDepth = Limits::kDepthCap + 2;
  if (scratch.parser.max_depth() != kParserDepth) {
    if (auto e = scratch.parser.allocate(length, kParserDepth)) return Error("bad_json", describe(e));
  }
  od::document doc;
  if (auto e = scratch.parser.iterate(scratch.padded.data(), length, scratch.padded.size()).get(doc))
    return Error("bad_json", describe(e) + " at byte " + std::to_string(locate_scan_error(text, e)));
  return Parser(std::string_view(scratch.padded).substr(1, text.size()), limits).run(doc);
}

}  // namespace bizra::json
