#include "codec/json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <deque>
#include <new>
#include <system_error>

namespace bizra::json {

const std::string Value::kNoText;
const std::vector<Value> Value::kNoItems;
const std::vector<Value::Member> Value::kNoMembers;

Value::Value(Kind kind) : kind_(kind) {
  switch (kind_) {
    case Kind::kNull:
    case Kind::kBool: return;
    case Kind::kNumber:
    case Kind::kString: new (&text_) std::string(); return;
    case Kind::kArray: new (&items_) std::vector<Value>(); return;
    case Kind::kObject: new (&members_) std::vector<Member>(); return;
  }
}

inline void Value::construct_payload(const Value& from) {
  switch (kind_) {
    case Kind::kNull:
    case Kind::kBool: return;
    case Kind::kNumber:
    case Kind::kString: new (&text_) std::string(from.text_); return;
    case Kind::kArray: new (&items_) std::vector<Value>(from.items_); return;
    case Kind::kObject: new (&members_) std::vector<Member>(from.members_); return;
  }
}

inline void Value::construct_payload(Value&& from) {
  switch (kind_) {
    case Kind::kNull:
    case Kind::kBool: return;
    case Kind::kNumber:
    case Kind::kString: new (&text_) std::string(std::move(from.text_)); return;
    case Kind::kArray: new (&items_) std::vector<Value>(std::move(from.items_)); return;
    case Kind::kObject: new (&members_) std::vector<Member>(std::move(from.members_)); return;
  }
}

inline void Value::destroy_payload() {
  switch (kind_) {
    case Kind::kNull:
    case Kind::kBool: return;
    case Kind::kNumber:
    case Kind::kString: text_.~basic_string(); return;
    case Kind::kArray: items_.~vector(); return;
    case Kind::kObject: members_.~vector(); return;
  }
}

Value::Value(const Value& other) : kind_(other.kind_), bool_(other.bool_), number_(other.number_) {
  construct_payload(other);
}

// The moved-from value keeps its kind, with an empty payload.
Value::Value(Value&& other) noexcept : kind_(other.kind_), bool_(other.bool_), number_(other.number_) {
  construct_payload(std::move(other));
}

Value& Value::operator=(const Value& other) {
  if (this != &other) *this = Value(other);
  return *this;
}

Value& Value::operator=(Value&& other) noexcept {
  if (this == &other) return *this;
  if (kind_ == Kind::kNull || kind_ == Kind::kBool) {  // nothing to destroy, so `other` is not inside this
    kind_ = other.kind_;
    bool_ = other.bool_;
    number_ = other.number_;
    construct_payload(std::move(other));
    return *this;
  }
  Value taken(std::move(other));  // first: `other` may be part of this value
  destroy_payload();
  kind_ = Kind::kNull;
  return *this = std::move(taken);
}

Value::~Value() { destroy_payload(); }

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
  for (const auto& [name, value] : members())
    if (name == key) return &value;
  return nullptr;
}

namespace {

// Sixteen bytes, compared lane by lane (a GCC and Clang vector extension: SSE2 on x86-64, NEON on
// ARM, scalar code elsewhere).
using Chunk = std::uint8_t __attribute__((vector_size(16)));

// Index, in memory order, of the first byte marked (0xFF) in `marks`, a nonzero part of a chunk.
std::size_t first_marked_byte(std::uint64_t marks) {
  const int bit = std::endian::native == std::endian::little ? std::countr_zero(marks) : std::countl_zero(marks);
  return static_cast<std::size_t>(bit / 8);
}

}  // namespace

std::size_t verbatim_prefix(std::string_view s) {
  constexpr std::size_t kChunk = sizeof(Chunk);
  constexpr std::size_t kHalf = kChunk / 2;
  // The offset of the first special byte in `bytes`, or kChunk.
  const auto first_special = [](const Chunk& bytes) {
    const auto special = (bytes < 0x20) | (bytes == '"') | (bytes == '\\');  // 0xFF or 0 per byte
    std::uint64_t halves[2];
    std::memcpy(halves, &special, kChunk);
    if (halves[0] != 0) return first_marked_byte(halves[0]);
    if (halves[1] != 0) return kHalf + first_marked_byte(halves[1]);
    return kChunk;
  };
  const auto chunk_at = [&](std::size_t offset) {
    Chunk bytes;
    std::memcpy(&bytes, s.data() + offset, kChunk);
    return bytes;
  };
  if (s.size() < 4) {
    std::size_t i = 0;
    while (i < s.size() && static_cast<unsigned char>(s[i]) >= 0x20 && s[i] != '"' && s[i] != '\\') ++i;
    return i;
  }
  if (s.size() < kChunk) {
    // The first and the last `part` bytes (overlapping) as the two halves of a chunk padded with
    // verbatim bytes: fixed-size loads, where copying the string would call memcpy.
    const std::size_t part = s.size() < kHalf ? 4 : kHalf;
    char bytes[kChunk];
    std::memset(bytes, ' ', kChunk);
    if (part == kHalf) {
      std::memcpy(bytes, s.data(), kHalf);
      std::memcpy(bytes + kHalf, s.data() + s.size() - kHalf, kHalf);
    } else {
      std::memcpy(bytes, s.data(), 4);
      std::memcpy(bytes + kHalf, s.data() + s.size() - 4, 4);
    }
    Chunk chunk;
    std::memcpy(&chunk, bytes, kChunk);
    const std::size_t special = first_special(chunk);
    if (special < kHalf) return special;
    return special < kChunk ? s.size() - part + (special - kHalf) : s.size();
  }
  std::size_t i = 0;
  for (; s.size() - i > kChunk; i += kChunk)
    if (const std::size_t special = first_special(chunk_at(i)); special < kChunk) return i + special;
  // The last chunk overlaps bytes already found verbatim, so that no byte is read past the end.
  const std::size_t last = s.size() - kChunk;
  return last + first_special(chunk_at(last));
}

// Turns a null value into a string or number whose text is built in place. The parser's values
// are short strings mostly, and each move of one copies it: built through the factories, a
// string would be copied three times before it reaches its place in the tree.
class TextSetter {
 public:
  static void set(Value& null_value, Value::Kind kind, std::string_view text, double number = 0) {
    new (&null_value.text_) std::string(text);  // first: should it throw, the value stays null
    null_value.kind_ = kind;
    null_value.number_ = number;
  }
};

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

// The value of `text`, a JSON number, when it has no exponent and at most 15 digits, as most have:
// then its digits w and 10^(fraction digits) are exact doubles, and w / 10^fraction, rounded once
// by the division, is the correctly rounded value (Clinger's fast path; std::from_chars takes it
// too, after more bookkeeping). Returns false, leaving `value` alone, for other numbers.
bool short_decimal_value(std::string_view text, double& value) {
  constexpr int kMaxDigits = 15;
  static constexpr double kPowersOfTen[kMaxDigits + 1] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const bool negative = text.front() == '-';
  std::uint64_t digits = 0;
  int count = 0;
  int fraction = -1;  // digits after the point, once there is one
  for (const char c : text.substr(negative ? 1 : 0)) {
    if (c == '.') {
      fraction = 0;
    } else if (!is_digit(c) || ++count > kMaxDigits) {
      return false;  // an exponent, or too many digits
    } else {
      digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
      fraction += fraction >= 0 ? 1 : 0;
    }
  }
  const double magnitude = static_cast<double>(digits) / kPowersOfTen[std::max(fraction, 0)];
  value = negative ? -magnitude : magnitude;
  return true;
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

// The first byte at or after `p` (and before `end`, the end of the input) that is not a verbatim
// string byte, or `p` itself when it is not before `end`.
const char* skip_verbatim(const char* p, const char* end) {
  return p < end ? p + verbatim_prefix(std::string_view(p, static_cast<std::size_t>(end - p))) : p;
}

// Scans the raw string starting after its opening quote and returns the offset (from `raw`) of
// the first \u escape that is not a well-formed scalar value: a lone or reversed surrogate, or a
// high surrogate not followed by a low one. Returns -1 if there is none. simdjson does not
// check the second half of a pair (it would decode "\ud800\ue000" to U+10400), hence this pass.
// Safe to run because stage 1 has proven the string is closed (before `end`, the input's end);
// runs of verbatim bytes are skipped sixteen at a time.
long find_bad_unicode_escape(const char* raw, const char* end) {
  for (const char* p = skip_verbatim(raw, end); *p != '"'; p = skip_verbatim(p + 1, end)) {
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

// Where the children of the open container at one depth collect, parsed in place, before they
// move into a vector of exactly their number: growing a vector per container cost more than the
// rest of building the tree. Only the one open container at a depth uses its level, and deeper
// containers use deeper levels, so references to a child stay valid while it is parsed.
struct Level {
  std::vector<Value> items;
  std::vector<Value::Member> members;
};

class Parser {
 public:
  // `input` is the text inside the padded copy that simdjson iterates. `levels` may hold leftovers
  // (each container clears its level); a deque, so that adding levels moves none.
  Parser(std::string_view input, const Limits& limits, std::deque<Level>& levels)
      : input_(input), limits_(limits), levels_(levels) {}

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

  // `depth` counts the arrays and objects enclosing `v`; `out` is a null value, to receive it.
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

  // The level for the children of a container at `depth`, emptied.
  Level& level(std::size_t depth) {
    while (levels_.size() <= depth) levels_.emplace_back();
    Level& level = levels_[depth];
    level.items.clear();
    level.members.clear();
    return level;
  }

  bool parse_array(od::array& array, std::size_t depth, Value& out) {
    std::vector<Value>& items = level(depth).items;
    for (auto element : array) {
      od::value item;
      if (auto e = std::move(element).get(item)) return fail_simdjson(e, nullptr);
      if (!parse_node(item, depth, items.emplace_back(Value::null()))) {
        prepend_to_path("[" + std::to_string(items.size() - 1) + "]");
        return false;
      }
    }
    out = Value::array(moved_out(items));
    return true;
  }

  bool parse_object(od::object& object, std::size_t depth, const char* where, Value& out) {
    std::vector<Value::Member>& members = level(depth).members;
    for (auto field_result : object) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) return fail_simdjson(e, nullptr);
      const char* raw_key = field.key().raw();
      std::string_view key = verbatim_string(raw_key);
      if (key.data() == nullptr) {
        if (!check_unicode_escapes(raw_key)) return false;
        if (auto e = field.unescaped_key().get(key)) return fail_simdjson(e, raw_key - 1);
      }
      Value& child = members
                         .emplace_back(std::piecewise_construct, std::forward_as_tuple(key),
                                       std::forward_as_tuple(Value::null()))
                         .second;
      if (!parse_node(field.value(), depth, child)) {
        prepend_to_path("." + printable(key));
        return false;
      }
    }
    if (const std::string* duplicate = find_duplicate_key(members))
      return fail("duplicate_key", "duplicate key \"" + printable(*duplicate) + "\" in the object", where);
    out = Value::object(moved_out(members));
    return true;
  }

  // The children collected in a level, moved into a vector of exactly their number.
  template <typename T>
  static std::vector<T> moved_out(std::vector<T>& children) {
    return std::vector<T>(std::make_move_iterator(children.begin()), std::make_move_iterator(children.end()));
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

  // The double is correctly rounded by us (short_decimal_value) or std::from_chars, not read by
  // simdjson: 3.0.1 misreads long decimals, e.g. 0.10000000000000000000001 as 1.86e-05 (simdjson
  // issue #2093).
  bool parse_number(std::string_view text, Value& out) {
    if (!is_json_number(text)) return fail("bad_json", "invalid number", text.data());
    double value = 0;
    if (!short_decimal_value(text, value)) {
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      // The grammar is checked, so only the range can fail: overflow to infinity, or a nonzero
      // number that would round to zero.
      if (ec != std::errc() || end != text.data() + text.size())
        return fail("bad_number", "number " + printable(text) + " is outside the double range", text.data());
    }
    TextSetter::set(out, Value::Kind::kNumber, text, value);
    return true;
  }

  bool parse_string(od::value& v, const char* quote, Value& out) {
    if (const std::string_view verbatim = verbatim_string(quote + 1); verbatim.data() != nullptr) {
      TextSetter::set(out, Value::Kind::kString, verbatim);
      return true;
    }
    if (!check_unicode_escapes(quote + 1)) return false;
    std::string_view s;
    if (auto e = v.get_string().get(s)) return fail_simdjson(e, quote);
    TextSetter::set(out, Value::Kind::kString, s);
    return true;
  }

  // The raw string starting after its opening quote, when it has no escapes: then it is its own
  // value, as stage 1 has validated its UTF-8 and the absence of control characters, and neither
  // the escape check nor simdjson's unescaping needs to see it. Otherwise a null view.
  std::string_view verbatim_string(const char* raw) const {
    const char* end = skip_verbatim(raw, input_.data() + input_.size());
    if (*end != '"') return {};
    return std::string_view(raw, static_cast<std::size_t>(end - raw));
  }

  bool check_unicode_escapes(const char* raw) {
    const long bad = find_bad_unicode_escape(raw, input_.data() + input_.size());
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
  std::deque<Level>& levels_;
  od::document* doc_ = nullptr;
  std::string_view code_;
  std::string what_;
  std::string path_;  // of the failure, e.g. ".a[2].b"
  bool path_truncated_ = false;
};

// The parser, padded copy and child levels are reused per thread: allocating them per call would
// cost more than parsing a typical ~1 KiB attestation.
struct Scratch {
  od::parser parser;
  std::string padded;
  std::deque<Level> levels;
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
  const std::string_view input = std::string_view(scratch.padded).substr(1, text.size());
  Result<Value> value = Parser(input, limits, scratch.levels).run(doc);
  // The levels keep their room for the next document, unless a large one would leave them
  // holding much memory for the rest of the thread's life.
  constexpr std::size_t kLargeInput = 64 * 1024;
  if (text.size() > kLargeInput) scratch.levels.clear();
  return value;
}

}  // namespace bizra::json
