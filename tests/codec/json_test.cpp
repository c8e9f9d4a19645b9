#include "codec/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace bizra::json {
namespace {

Value parse_ok(std::string_view text, const Limits& limits = {}) {
  auto r = parse(text, limits);
  EXPECT_TRUE(r.ok()) << "input: " << text << "\nerror: " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : Value::null();
}

std::string error_of(std::string_view text, const Limits& limits = {}) {
  auto r = parse(text, limits);
  return r.ok() ? "(accepted)" : r.error().to_string();
}

std::string_view code_of(std::string_view text, const Limits& limits = {}) {
  auto r = parse(text, limits);
  return r.ok() ? "(accepted)" : r.error().code();
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonParse, BuildsTheDomInDocumentOrder) {
  const Value v = parse_ok(R"( {"z": [1, "two", true, false, null], "a": {"k": "v"}, "m": {}} )");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].first, "z");
  EXPECT_EQ(v.members()[1].first, "a");
  EXPECT_EQ(v.members()[2].first, "m");

  const Value* z = v.find("z");
  ASSERT_NE(z, nullptr);
  ASSERT_TRUE(z->is_array());
  ASSERT_EQ(z->items().size(), 5u);
  EXPECT_EQ(z->items()[0].number(), 1.0);
  EXPECT_EQ(z->items()[1].as_string(), "two");
  EXPECT_TRUE(z->items()[2].is_bool());
  EXPECT_TRUE(z->items()[2].as_bool());
  EXPECT_FALSE(z->items()[3].as_bool());
  EXPECT_TRUE(z->items()[4].is_null());

  ASSERT_NE(v.find("a"), nullptr);
  EXPECT_EQ(v.find("a")->find("k")->as_string(), "v");
  EXPECT_TRUE(v.find("m")->is_object());
  EXPECT_TRUE(v.find("m")->members().empty());
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(z->find("z"), nullptr);  // not an object
}

TEST(JsonParse, AcceptsScalarDocumentsAndAllFourWhitespaceCharacters) {
  EXPECT_TRUE(parse_ok("null").is_null());
  EXPECT_TRUE(parse_ok(" \t\r\ntrue \t\r\n").as_bool());
  EXPECT_EQ(parse_ok("\"x\"").as_string(), "x");
  EXPECT_EQ(parse_ok("  -12.5e1  ").number(), -125.0);
  EXPECT_EQ(parse_ok("  -12.5e1  ").number_text(), "-12.5e1");
  EXPECT_TRUE(parse_ok("[ ]").items().empty());
  EXPECT_TRUE(parse_ok("{ }").members().empty());
}

TEST(JsonParse, RootScalarsAreNotLimitedByTheirLength) {
  // simdjson 3.0.1 copies root scalars into a small buffer and rejects these; parse() must not.
  EXPECT_TRUE(parse_ok("false" + std::string(100, '\n')).is_bool());
  EXPECT_EQ(parse_ok("1" + std::string(2000, ' ')).number(), 1.0);
  const std::string long_decimal = "1." + std::string(2000, '3');
  EXPECT_EQ(parse_ok(long_decimal).number(), 4.0 / 3.0);
  EXPECT_EQ(parse_ok(long_decimal).number_text(), long_decimal);
  EXPECT_EQ(parse_ok("0." + std::string(300, '0') + "1").number(), 1e-301);
}

TEST(JsonParse, KeepsNumberTextExactlyAsWritten) {
  const Value v = parse_ok("[0.90, 1E+2, -0, 0, 1e-7, 123456789012345678901234567890, 4.50 , 2e-3]");
  const std::vector<std::string> texts = {"0.90", "1E+2", "-0", "0", "1e-7", "123456789012345678901234567890",
                                          "4.50", "2e-3"};
  ASSERT_EQ(v.items().size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_TRUE(v.items()[i].is_number());
    EXPECT_EQ(v.items()[i].number_text(), texts[i]);
  }
  EXPECT_EQ(v.items()[0].number(), 0.9);
  EXPECT_EQ(v.items()[1].number(), 100.0);
  EXPECT_TRUE(std::signbit(v.items()[2].number()));
  EXPECT_EQ(v.items()[5].number(), 1.2345678901234568e29);
  EXPECT_EQ(v.items()[7].number(), 0.002);
}

TEST(JsonParse, NumbersRoundCorrectlyAtTheEdgesOfTheDoubleRange) {
  EXPECT_EQ(parse_ok("1.7976931348623157e308").number(), 1.7976931348623157e308);
  EXPECT_EQ(parse_ok("-1.7976931348623157e308").number(), -1.7976931348623157e308);
  EXPECT_EQ(parse_ok("5e-324").number(), 5e-324);
  EXPECT_EQ(parse_ok("2.4703282292062328e-324").number(), 5e-324);  // just above half the smallest subnormal
  EXPECT_EQ(parse_ok("9007199254740993").number(), 9007199254740992.0);  // ties to even
  EXPECT_EQ(parse_ok("0e999999").number(), 0.0);  // zero is zero, whatever the exponent
}

TEST(JsonParse, LongDecimalsAreReadExactly) {
  // simdjson 3.0.1 gets these wrong (0.10000000000000000000001 comes out as 1.86e-05).
  EXPECT_EQ(parse_ok("[0.10000000000000000000001]").items()[0].number(), 0.1);
  EXPECT_EQ(parse_ok("[0.95000000000000000000]").items()[0].number(), 0.95);
  EXPECT_EQ(parse_ok("[0.000080000000000000000000006]").items()[0].number(), 0.00008);
  EXPECT_EQ(parse_ok("1000000000.000000001").number(), 1e9);
  EXPECT_EQ(parse_ok("[3.14159265358979323846264338327950288]").items()[0].number(), 3.141592653589793);
}

TEST(JsonParse, UnescapesStrings) {
  const Value v = parse_ok(R"(["\"\\\/\b\f\n\r\t", "\u00e9\u20AC", "\ud83d\ude00", "a\u0000b", "é€😀"])");
  EXPECT_EQ(v.items()[0].as_string(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(v.items()[1].as_string(), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(v.items()[2].as_string(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(v.items()[3].as_string(), std::string("a\0b", 3));
  EXPECT_EQ(v.items()[4].as_string(), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(JsonParse, UnescapesKeys) {
  const Value v = parse_ok(R"({"\u0061\"b": 1, "\ud83d\ude00": 2})");
  EXPECT_EQ(v.members()[0].first, "a\"b");
  EXPECT_EQ(v.members()[1].first, "\xf0\x9f\x98\x80");
  EXPECT_NE(v.find("a\"b"), nullptr);
}

struct Invalid {
  std::string text;
  std::string_view code;
};

TEST(JsonParse, RejectsInvalidDocumentsWithTheRightCode) {
  const std::vector<Invalid> cases = {
      // Not exactly one value.
      {"", "bad_json"},
      {" \n ", "bad_json"},
      {"1 2", "bad_json"},
      {"[1] 2", "bad_json"},
      {"{} {}", "bad_json"},
      {"[1]]", "bad_json"},
      {"\"a\" x", "bad_json"},
      {"true false", "bad_json"},
      {std::string("[1]\0", 4), "bad_json"},
      {"\xef\xbb\xbf[1]", "bad_json"},  // a byte order mark is not whitespace
      {"\f1", "bad_json"},
      {"\v1", "bad_json"},
      // Structure.
      {"[1,]", "bad_json"},
      {"[,1]", "bad_json"},
      {"[1,,2]", "bad_json"},
      {"[1 2]", "bad_json"},
      {"[1", "bad_json"},
      {"[[1]", "bad_json"},
      {"[1}", "bad_json"},
      {"{\"a\":1]", "bad_json"},
      {"{\"a\":1,}", "bad_json"},
      {"{\"a\" 1}", "bad_json"},
      {"{\"a\":}", "bad_json"},
      {"{\"a\"}", "bad_json"},
      {"{\"a\":1 \"b\":2}", "bad_json"},
      {"{1:2}", "bad_json"},
      {"{a:1}", "bad_json"},
      {"{'a':1}", "bad_json"},
      {"{\"a\":1", "bad_json"},
      // Literals.
      {"tru", "bad_json"},
      {"truex", "bad_json"},
      {"nul", "bad_json"},
      {"[nulll]", "bad_json"},
      {"[True]", "bad_json"},
      {"NaN", "bad_json"},
      {"Infinity", "bad_json"},
      {"-Infinity", "bad_json"},
      {"[undefined]", "bad_json"},
      // Numbers.
      {"01", "bad_json"},
      {"-01", "bad_json"},
      {"[00]", "bad_json"},
      {"+1", "bad_json"},
      {".5", "bad_json"},
      {"[-.5]", "bad_json"},
      {"1.", "bad_json"},
      {"[1.e5]", "bad_json"},
      {"1e", "bad_json"},
      {"[1e+]", "bad_json"},
      {"-", "bad_json"},
      {"[- 1]", "bad_json"},
      {"--1", "bad_json"},
      {"0x10", "bad_json"},
      {"[1x]", "bad_json"},
      {"[1_000]", "bad_json"},
      {"1e400", "bad_number"},
      {"[-1e400]", "bad_number"},
      {"{\"a\": 2e308}", "bad_number"},
      {"1" + std::string(400, '0'), "bad_number"},
      {"1e-400", "bad_number"},                      // nonzero, but would round to zero
      {"[2.4703282292062327e-324]", "bad_number"},  // just below half the smallest subnormal
      // Strings and encoding.
      {"\"abc", "bad_json"},
      {"[\"a\x01" "b\"]", "bad_json"},  // raw control character
      {"\"tab\there\"", "bad_json"},
      {"\"new\nline\"", "bad_json"},
      {"\"\\x\"", "bad_json"},
      {"\"\\u12G4\"", "bad_json"},
      {"\"\\u00\"", "bad_json"},
      {"'single'", "bad_json"},
      {"\"\xff\"", "bad_json"},
      {"\"\xc0\xaf\"", "bad_json"},          // overlong '/'
      {"\"\xed\xa0\x80\"", "bad_json"},      // UTF-8 encoded surrogate
      {"\"\xf4\x90\x80\x80\"", "bad_json"},  // above U+10FFFF
      {"\"\xe2\x82\"", "bad_json"},          // truncated sequence
      {"\"\\ud800\"", "bad_json"},           // lone high surrogate
      {"\"\\udc00\"", "bad_json"},           // lone low surrogate
      {"\"\\ude00\\ud83d\"", "bad_json"},    // reversed pair
      {"\"\\ud800\\u0041\"", "bad_json"},    // high surrogate followed by a non-surrogate
      {"\"\\ud800\\ue000\"", "bad_json"},    // ... by a non-low surrogate simdjson would combine
      {"\"\\ud800\\ud800\"", "bad_json"},
      {"\"\\ud800x\"", "bad_json"},
      {"{\"\\udc00\":1}", "bad_json"},       // the same checks apply to keys
      {"{\"a\xff\":1}", "bad_json"},
  };
  for (const Invalid& c : cases) EXPECT_EQ(code_of(c.text), c.code) << "input: " << c.text << "\n" << error_of(c.text);
}

TEST(JsonParse, ErrorMessagesSayWhatAndWhere) {
  EXPECT_EQ(error_of("[1, 2, 01]"), "bad_json: invalid number at byte 7 (at $[2])");
  EXPECT_EQ(error_of(R"({"a": {"b": [true, "\ud800"]}})"),
            "bad_json: invalid \\u escape (malformed, or an unpaired surrogate) at byte 20 (at $.a.b[1])");
  EXPECT_EQ(error_of("{\"k\": \"ab\x01\"}"), "bad_json: unescaped control character in string at byte 9");
  EXPECT_EQ(error_of("[\"\xc3\xa9\", \"\xff\"]"), "bad_json: invalid UTF-8 at byte 8");
  EXPECT_EQ(error_of("[\"ok\", \"open]"), "bad_json: unterminated string at byte 7");
  EXPECT_EQ(error_of("{\"n\": 1e999}"), "bad_number: number 1e999 is outside the double range at byte 6 (at $.n)");
  EXPECT_EQ(error_of("[1] x"), "bad_json: unexpected content after the JSON value at byte 4");
  EXPECT_EQ(error_of("{}}"), "bad_json: unexpected content after the JSON value at byte 2");
  EXPECT_EQ(error_of("1, 2"), "bad_json: unexpected content after the JSON value at byte 3");
  EXPECT_EQ(error_of("[[1], 2"), "bad_json: unterminated array or object at byte 7");
}

TEST(JsonParse, MessagesMaskControlCharactersInKeys) {
  const std::string message = error_of("{\"a\\n\\u0000\\\"b\": {\"c\": 1, \"c\": 2}}");
  EXPECT_EQ(message, "duplicate_key: duplicate key \"c\" in the object at byte 17 (at $.a???b)");
}

TEST(JsonParse, MessagesCutLongKeysAtACharacterBoundary) {
  const std::string key = std::string(63, 'k') + "\xc3\xa9" + std::string(100, 'x');  // 'é' straddles byte 64
  EXPECT_EQ(error_of("{\"" + key + "\": [01]}"),
            "bad_json: invalid number at byte " + std::to_string(key.size() + 6) + " (at $." + std::string(63, 'k') +
                "...[0])");
}

TEST(JsonParse, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_EQ(error_of(R"({"a": 1, "a": 2})"), "duplicate_key: duplicate key \"a\" in the object at byte 0");
  EXPECT_EQ(error_of(R"({"x": {"y": 1, "z": [0, {"q": 1, "r": 2, "q": 3}]}})"),
            "duplicate_key: duplicate key \"q\" in the object at byte 24 (at $.x.z[1])");
  EXPECT_EQ(code_of(R"([[[{"deep": {"k": null, "k": null}}]]])"), "duplicate_key");
  // Keys are compared after unescaping.
  EXPECT_EQ(code_of(R"({"a": 1, "\u0061": 2})"), "duplicate_key");
  EXPECT_EQ(code_of(R"({"\ud83d\ude00": 1, "😀": 2})"), "duplicate_key");
  EXPECT_EQ(code_of(R"({"\u0000": 1, "\u0000": 2})"), "duplicate_key");
  // Different keys that merely look alike are fine.
  EXPECT_TRUE(parse(R"({"a": 1, "A": 2, "a ": 3, "\u0000a": 4, "a\u0000": 5})").ok());
  // The same key in sibling objects is fine.
  EXPECT_TRUE(parse(R"([{"a": 1}, {"a": 2}, {"x": {"a": 3}}])").ok());
}

TEST(JsonParse, RejectsDuplicateKeysInLargeObjects) {
  // Above 16 members the check sorts; make sure it still finds (and only finds) duplicates.
  std::string doc = "{";
  for (int i = 0; i < 500; ++i) doc += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",";
  const std::string unique = doc.substr(0, doc.size() - 1) + "}";
  EXPECT_EQ(parse_ok(unique).members().size(), 500u);
  EXPECT_EQ(error_of(doc + "\"k250\": 0}"), "duplicate_key: duplicate key \"k250\" in the object at byte 0");
}

TEST(JsonParse, SizeLimitIsInclusiveAndCheckedBeforeParsing) {
  const Limits limits{.max_bytes = 10, .max_depth = 64};
  EXPECT_TRUE(parse("[1,2,3,44]", limits).ok());         // exactly 10 bytes
  EXPECT_TRUE(parse("[1,2,3,4] ", limits).ok());         // whitespace counts too
  EXPECT_EQ(code_of("[1,2,3,444]", limits), "too_large");
  EXPECT_EQ(code_of("not json at all", limits), "too_large");  // size is checked first
  EXPECT_EQ(error_of("[1,2,3,444]", limits), "too_large: JSON of 11 bytes exceeds the limit of 10");
  EXPECT_EQ(code_of(std::string((1 << 20) + 1, ' ')), "too_large");  // default limit: 1 MiB
}

TEST(JsonParse, DepthLimitIsInclusive) {
  const Limits limits{.max_bytes = 1 << 20, .max_depth = 3};
  EXPECT_TRUE(parse(nested_arrays(3), limits).ok());
  EXPECT_EQ(code_of(nested_arrays(4), limits), "too_deep");
  EXPECT_TRUE(parse(R"({"a": [{"b": 1}]})", limits).ok());
  EXPECT_EQ(code_of(R"({"a": [{"b": []}]})", limits), "too_deep");
  EXPECT_EQ(error_of(R"({"a": [{"b": {}}]})", limits), "too_deep: nesting deeper than 3 at byte 13 (at $.a[0].b)");
  // Scalars add no depth; an empty container does.
  EXPECT_TRUE(parse("1", Limits{.max_bytes = 100, .max_depth = 0}).ok());
  EXPECT_EQ(code_of("[]", Limits{.max_bytes = 100, .max_depth = 0}), "too_deep");
  // Default limit.
  EXPECT_TRUE(parse(nested_arrays(64)).ok());
  EXPECT_EQ(code_of(nested_arrays(65)), "too_deep");
  // Far deeper than any limit: answered without deep recursion.
  EXPECT_EQ(code_of(nested_arrays(100000)), "too_deep");
  // simdjson does not bound the depth itself; a huge max_depth is capped to keep the stack safe.
  const Limits unbounded{.max_bytes = 1 << 20, .max_depth = 1000000};
  EXPECT_TRUE(parse(nested_arrays(Limits::kDepthCap), unbounded).ok());
  std::string innermost_path;  // long paths keep only their innermost 200 characters or less
  for (int i = 0; i < 66; ++i) innermost_path += "[0]";
  EXPECT_EQ(error_of(nested_arrays(100000), unbounded),
            "too_deep: nesting deeper than 1024 at byte 1024 (at $..." + innermost_path + ")");
}

TEST(JsonParse, ReusesItsScratchSafelyAcrossCalls) {
  // The per-thread parser must not leak state from a long document into a shorter one.
  const Value first = parse_ok(R"({"long": ")" + std::string(5000, 'x') + R"("})");
  EXPECT_EQ(first.find("long")->as_string().size(), 5000u);
  EXPECT_EQ(code_of("[1"), "bad_json");
  EXPECT_EQ(parse_ok("\"s\"").as_string(), "s");
}

// A Value holds only the payload of its kind (json.hpp): copies, moves and assignments must carry
// each kind whole, also when a value is assigned one of its own members.
TEST(JsonValue, CopiesMovesAndAssignmentsKeepEveryKind) {
  const std::string long_text = "longer than the sixteen bytes a string keeps inline";
  const Value doc = parse_ok(R"({"s": ")" + long_text + R"(", "n": -1.50, "a": [1, "x", null], "o": {"k": true}})");
  const auto check = [&](const Value& v) {
    ASSERT_TRUE(v.is_object());
    ASSERT_EQ(v.members().size(), 4u);
    EXPECT_EQ(v.find("s")->as_string(), long_text);
    EXPECT_EQ(v.find("n")->number_text(), "-1.50");
    EXPECT_EQ(v.find("n")->number(), -1.5);
    ASSERT_EQ(v.find("a")->items().size(), 3u);
    EXPECT_EQ(v.find("a")->items()[1].as_string(), "x");
    EXPECT_TRUE(v.find("a")->items()[2].is_null());
    EXPECT_TRUE(v.find("o")->find("k")->as_bool());
  };
  Value copy = doc;
  check(copy);
  Value moved = std::move(copy);
  check(moved);
  Value assigned = Value::string("replaced");
  assigned = doc;
  check(assigned);
  assigned = Value::number("7", 7);
  EXPECT_EQ(assigned.number_text(), "7");
  assigned = moved;
  assigned = *assigned.find("o");  // the source lives inside the target
  ASSERT_TRUE(assigned.is_object());
  EXPECT_TRUE(assigned.find("k")->as_bool());
  moved = std::move(*moved.find("a"));
  ASSERT_TRUE(moved.is_array());
  EXPECT_EQ(moved.items().size(), 3u);
  check(doc);
  // Accessors of another kind give empty values.
  EXPECT_TRUE(Value::string("x").items().empty());
  EXPECT_TRUE(Value::number("1", 1).members().empty());
  EXPECT_EQ(Value::null().as_string(), "");
  EXPECT_EQ(Value::array({}).number_text(), "");
}

// The parser reuses its per-thread buffers for the children of containers, and drops them after
// a large document: neither may show in the next document.
TEST(JsonParse, LargeDocumentsThenSmallOnes) {
  std::string large = "[";
  for (int i = 0; i < 10000; ++i) large += std::string(i > 0 ? "," : "") + R"({"k":[1,"two",{"x":null}]})";
  large += "]";
  ASSERT_GT(large.size(), std::size_t{64} * 1024);
  const Value big = parse_ok(large, {.max_bytes = large.size()});
  ASSERT_EQ(big.items().size(), 10000u);
  EXPECT_EQ(big.items()[9999].find("k")->items()[1].as_string(), "two");
  const Value small = parse_ok(R"({"a": [{"b": 1}], "c": {}})");
  ASSERT_EQ(small.members().size(), 2u);
  EXPECT_EQ(small.find("a")->items()[0].find("b")->number(), 1.0);
  EXPECT_TRUE(small.find("c")->members().empty());
  EXPECT_EQ(code_of(R"({"a": [1, 2, {"b": 1, "b": 2}]})"), "duplicate_key");
  EXPECT_EQ(parse_ok("[[1], [2, 3]]").items()[1].items().size(), 2u);
}

TEST(JsonVerbatimPrefix, StopsAtTheFirstByteThatNeedsEscaping) {
  // Every length around the 4-, 8- and 16-byte steps it reads in, with a special byte at every
  // place; DEL, spaces and bytes above 0x7F need no escaping.
  const std::string verbatim_bytes = "a \x7f\xc3\xa9z\xff";
  for (std::size_t length = 0; length <= 40; ++length) {
    std::string plain;
    for (std::size_t i = 0; i < length; ++i) plain.push_back(verbatim_bytes[i % verbatim_bytes.size()]);
    EXPECT_EQ(verbatim_prefix(plain), length);
    for (std::size_t at = 0; at < length; ++at) {
      for (const char special : {'"', '\\', '\0', '\x1f'}) {
        std::string s = plain;
        s[at] = special;
        if (at + 1 < length) s[length - 1] = '"';  // a later special byte does not count
        EXPECT_EQ(verbatim_prefix(s), at) << "length " << length << ", special byte at " << at;
      }
    }
  }
}

TEST(JsonValue, FactoriesAndKindNames) {
  EXPECT_EQ(Value::boolean(true).kind(), Value::Kind::kBool);
  const Value n = Value::number("1.50", 1.5);
  EXPECT_EQ(n.number_text(), "1.50");
  EXPECT_EQ(n.number(), 1.5);
  const Value o = Value::object({{"k", Value::array({Value::string("s"), Value::null()})}});
  ASSERT_NE(o.find("k"), nullptr);
  EXPECT_EQ(o.find("k")->items()[0].as_string(), "s");
  EXPECT_EQ(kind_name(Value::Kind::kNull), "null");
  EXPECT_EQ(kind_name(Value::Kind::kBool), "boolean");
  EXPECT_EQ(kind_name(Value::Kind::kNumber), "number");
  EXPECT_EQ(kind_name(Value::Kind::kString), "string");
  EXPECT_EQ(kind_name(Value::Kind::kArray), "array");
  EXPECT_EQ(kind_name(Value::Kind::kObject), "object");
}

}  // namespace
}  // namespace bizra::json
