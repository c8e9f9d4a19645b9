#pragma once
// Strict JSON (RFC 8259) into a small ordered DOM.
//
// Stricter than most parsers on purpose, because signed documents are hashed from it:
//   - the whole input must be one JSON value (whitespace around it only);
//   - invalid UTF-8, lone surrogate escapes, control characters in strings are rejected;
//   - duplicate object keys are rejected (RFC 8259 leaves them undefined; attackers love that);
//   - input size and nesting depth are bounded.
// Numbers keep the exact text they were written with (number_text) so that rules which must not
// use floating point (PoI micro-units) can read the decimal exactly; number() is the IEEE-754
// double the text denotes, which is what RFC 8785 canonicalization serializes.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace bizra::json {

struct Limits {
  std::size_t max_bytes = 1 << 20;  // checked before any parsing
  std::size_t max_depth = 64;       // nesting of arrays/objects: "1" is depth 0, "[]" 1, "[{}]" 2
  // Parsing recurses once per level and simdjson does not bound it, so larger max_depth values
  // act as this.
  static constexpr std::size_t kDepthCap = 1024;
};

class Value {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Value>;

  static Value null() { return Value(Kind::kNull); }
  static Value boolean(bool b);
  static Value number(std::string text, double value);
  static Value string(std::string s);  // precondition: valid UTF-8
  static Value array(std::vector<Value> items);
  static Value object(std::vector<Member> members);  // precondition: keys unique

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;
  ~Value();

  // Accessors: precondition is the matching kind. Those returning references return an empty
  // string or vector for values of other kinds.
  bool as_bool() const { return bool_; }
  const std::string& number_text() const { return has_text() ? text_ : kNoText; }  // as written, e.g. "0.90"
  double number() const { return number_; }
  const std::string& as_string() const { return has_text() ? text_ : kNoText; }  // unescaped UTF-8
  const std::vector<Value>& items() const { return is_array() ? items_ : kNoItems; }
  const std::vector<Member>& members() const { return is_object() ? members_ : kNoMembers; }  // document order

  // The member named `key` of an object, or nullptr (also when this is not an object).
  const Value* find(std::string_view key) const;

 private:
  friend class TextSetter;  // json.cpp's parser: writes strings and numbers in place

  // Constructs the empty payload of `kind`.
  explicit Value(Kind kind);

  bool has_text() const { return kind_ == Kind::kNumber || kind_ == Kind::kString; }
  void construct_payload(const Value& from);
  void construct_payload(Value&& from);
  void destroy_payload();

  static const std::string kNoText;
  static const std::vector<Value> kNoItems;
  static const std::vector<Member> kNoMembers;

  Kind kind_;
  bool bool_ = false;
  double number_ = 0;
  // Only the payload of the kind lives: a tree of values is mostly moved while it is built, and
  // moving (or destroying) one member instead of three makes that markedly cheaper.
  union {
    std::string text_;             // kNumber: the literal; kString: the contents
    std::vector<Value> items_;     // kArray
    std::vector<Member> members_;  // kObject
  };
};

// Kind name for messages: "null", "boolean", "number", "string", "array", "object".
std::string_view kind_name(Value::Kind kind);

// Length of the longest prefix of `s` whose bytes a JSON string holds as they are: no '"', no
// '\\' and no control character (below 0x20). Sixteen bytes at a time: the serializer's escaping
// and the parser's check for escapes skip such runs with it, and most strings are one such run.
std::size_t verbatim_prefix(std::string_view s);

// Parses one strict JSON document. Error codes:
//   "too_large" (over limits.max_bytes), "too_deep", "duplicate_key", "bad_number" (outside
//   the double range: 1e400, and also nonzero numbers that would round to zero such as 1e-400,
//   which JSON.parse would quietly read as 0), "bad_json" (syntax, encoding, anything else).
//   Messages give the byte offset and, inside containers, the key path ("$.a[2].b").
Result<Value> parse(std::string_view text, const Limits& limits = {});

}  // namespace bizra::json
