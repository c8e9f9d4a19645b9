#include "codec/jcs.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace bizra::jcs {
namespace {

std::string canonical(std::string_view text) {
  auto r = canonicalize(text);
  EXPECT_TRUE(r.ok()) << "input: " << text << "\nerror: " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : "(rejected)";
}

double from_bits(std::uint64_t bits) {
  double d = 0;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical text.
TEST(JcsNumber, Rfc8785AppendixB) {
  const std::vector<std::pair<std::uint64_t, std::string>> table = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},  // −0
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& [bits, text] : table) EXPECT_EQ(format_number(from_bits(bits)), text) << std::hex << bits;
}

// Values checked against Node.js v20 String(x).
TEST(JcsNumber, MatchesEcmascriptNumberToString) {
  const std::vector<std::pair<double, std::string>> table = {
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"},
      {1e22, "1e+22"},
      {1e-7, "1e-7"},
      {-1.5e-7, "-1.5e-7"},
      {1e-6, "0.000001"},
      {1.5e-6, "0.0000015"},
      {1e-5, "0.00001"},
      {0.000001, "0.000001"},
      {1.23e-18, "1.23e-18"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {9007199254740992.0, "9007199254740992"},
      {9007199254740993.0, "9007199254740992"},  // the literal rounds to 2^53
      {9007199254740994.0, "9007199254740994"},
      {-0.0, "0"},
      {333333333.3333333, "333333333.3333333"},
      {0.1, "0.1"},
      {0.30000000000000004, "0.30000000000000004"},
      {4.35, "4.35"},
      {100, "100"},
      {-1, "-1"},
      {1.5, "1.5"},
      {1e30, "1e+30"},
      {1e-27, "1e-27"},
      {123e-20, "1.23e-18"},
      {12.34e5, "1234000"},
      // Around the limits of the short path (up to 15 significant digits, 1e-6 to 1e15).
      {999999999999999.9, "999999999999999.9"},
      {123456789012345.6, "123456789012345.6"},
      {999999999999999.0, "999999999999999"},
      {1e15, "1000000000000000"},
      {1.0000000000000002, "1.0000000000000002"},
      {0.000001234, "0.000001234"},
      {9.999e-7, "9.999e-7"},
      {-24.5, "-24.5"},
      {0.695, "0.695"},
  };
  for (const auto& [value, text] : table) EXPECT_EQ(format_number(value), text) << text;
}

TEST(JcsNumber, RejectsNanAndInfinity) {
  EXPECT_THROW(format_number(std::numeric_limits<double>::quiet_NaN()), std::domain_error);
  EXPECT_THROW(format_number(std::numeric_limits<double>::infinity()), std::domain_error);
  EXPECT_THROW(format_number(-std::numeric_limits<double>::infinity()), std::domain_error);
}

// RFC 8785 §3.2.2 (the example input and its canonical form, §3.2.4).
TEST(JcsCanonicalize, Rfc8785Example) {
  const std::string input = R"({
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})";
  EXPECT_EQ(canonical(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 §3.2.3: keys sorted as UTF-16 code units, not as UTF-8 bytes or code points.
TEST(JcsCanonicalize, Rfc8785SortingExample) {
  const std::string input = R"({
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
})";
  EXPECT_EQ(canonical(input),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
            "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
            "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(JcsCanonicalize, SortsSupplementaryCharactersBeforeTheTopOfTheBmp) {
  // U+10000 (D800 DC00) < U+E000 < U+FFFF in UTF-16, although U+10000 is the largest code point.
  EXPECT_EQ(canonical(R"({"\uffff": 1, "\ue000": 2, "\ud800\udc00": 3, "\ud7ff": 4, "\udbff\udfff": 5})"),
            "{\"\xed\x9f\xbf\":4,\"\xf0\x90\x80\x80\":3,\"\xf4\x8f\xbf\xbf\":5,\"\xee\x80\x80\":2,\"\xef\xbf\xbf\":1}");
  // Prefixes first; the empty key first of all; the comparison is by unit, not by length.
  EXPECT_EQ(canonical(R"({"ab": 1, "a": 2, "": 3, "b": 4, "aa": 5, "a\u0000": 6})"),
            "{\"\":3,\"a\":2,\"a\\u0000\":6,\"aa\":5,\"ab\":1,\"b\":4}");
  // Keys that differ only after a shared multi-byte prefix.
  EXPECT_EQ(canonical(R"({"\u20acb": 1, "\u20aca": 2, "\u20ac\ud83d\ude00": 3, "\u20ac\uffff": 4})"),
            "{\"\xe2\x82\xac" "a\":2,\"\xe2\x82\xac" "b\":1,\"\xe2\x82\xac\xf0\x9f\x98\x80\":3,\"\xe2\x82\xac\xef\xbf\xbf\":4}");
}

TEST(JcsCanonicalize, EscapesOnlyWhatRfc8785Requires) {
  std::string controls;
  for (char c = 0; c < 0x20; ++c) controls.push_back(c);
  const std::string expected_controls =
      "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
      "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f";
  EXPECT_EQ(serialize(json::Value::string(controls)), "\"" + expected_controls + "\"");
  // Quote and backslash escaped; '/', DEL, U+2028, U+2029 and everything else raw.
  EXPECT_EQ(serialize(json::Value::string("\"\\/\x7f\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80")),
            "\"\\\"\\\\/\x7f\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80\"");
  EXPECT_EQ(canonical(R"(["\u001F\u00e9\/\u2028"])"), "[\"\\u001f\xc3\xa9/\xe2\x80\xa8\"]");
  // Keys are escaped the same way.
  EXPECT_EQ(canonical(R"({"\n\"\u0001": 0})"), "{\"\\n\\\"\\u0001\":0}");
}

TEST(JcsSerialize, HandBuiltValues) {
  using json::Value;
  const Value v = Value::object({
      {"b", Value::array({Value::number("1.0", 1.0), Value::boolean(false), Value::null(), Value::array({})})},
      {"a", Value::object({})},
      {"c", Value::string("x")},
  });
  EXPECT_EQ(serialize(v), "{\"a\":{},\"b\":[1,false,null,[]],\"c\":\"x\"}");
  // Numbers are serialized from their double, not their text.
  EXPECT_EQ(serialize(Value::number("1E2", 100.0)), "100");
}

TEST(JcsSerialize, AppendsAnObjectWithoutOneMember) {
  using json::Value;
  const Value v = Value::object({
      {"signature", Value::object({{"alg", Value::string("ed25519")}})},
      {"b", Value::number("2", 2)},
      {"a", Value::array({Value::string("x")})},
  });
  std::string out = "prefix:";
  append_without(v, "signature", out);
  EXPECT_EQ(out, "prefix:{\"a\":[\"x\"],\"b\":2}");
  out.clear();
  append_without(v, "absent", out);
  EXPECT_EQ(out, serialize(v));
  // Only the top level loses the member.
  out.clear();
  append_without(Value::object({{"x", Value::object({{"x", Value::null()}})}}), "x", out);
  EXPECT_EQ(out, "{}");
  out.clear();
  append_without(Value::object({{"y", Value::object({{"x", Value::null()}})}}), "x", out);
  EXPECT_EQ(out, "{\"y\":{\"x\":null}}");
}

TEST(JcsCanonicalize, PassesParseErrorsThrough) {
  EXPECT_EQ(canonicalize("{\"a\":1,\"a\":2}").error().code(), "duplicate_key");
  EXPECT_EQ(canonicalize("[1e400]").error().code(), "bad_number");
  EXPECT_EQ(canonicalize("[1,]").error().code(), "bad_json");
  EXPECT_EQ(canonicalize("[[]]", json::Limits{.max_bytes = 100, .max_depth = 1}).error().code(), "too_deep");
  EXPECT_EQ(canonicalize("[1]", json::Limits{.max_bytes = 2, .max_depth = 8}).error().code(), "too_large");
}

struct Vector {
  std::string input;
  std::string canonical;
};

// Documents from a seeded random generator (mixed escapes, whitespace, number spellings,
// supplementary characters, keys needing UTF-16 order); expected output is Node.js v20
// JSON.stringify with keys sorted by Array.prototype.sort (UTF-16 code unit order).
const std::vector<Vector>& node_vectors() {
  static const std::vector<Vector> vectors = {
    {"{ \"9\"\x09:[],\x09\"\"\x09: {\x0a}\x0d\x0a  }",
     "{\"\":{},\"9\":[]}"},
    {"{\x0d\x0a  \"\\u005a\\u0000\":\x0a\"\xef\xbf\xbf\xe2\x80\xa8\xf4\x8f\xbf\xbf\\n\xc3\xb6\",\x0d\x0a  \"\\f\\t\\r\"\x0a: [\"\\b\\u0001\\u0061\\\"\\\\\\r\" ] }",
     "{\"\\f\\t\\r\":[\"\\b\\u0001a\\\"\\\\\\r\"],\"Z\\u0000\":\"\xef\xbf\xbf\xe2\x80\xa8\xf4\x8f\xbf\xbf\\n\xc3\xb6\"}"},
    {"{\x09\"\\f\\ue000\"\x09:\x0d\x0a  true,\x09\"\xc3\xa9\\u0000\":\x0d\x0a  \"\xef\xac\xb3\\u001F\",\x09\"\xc2\x80\\ud800\\udc00\"\x0d\x0a  :true,\"\":\x0d\x0a  -1}",
     "{\"\":-1,\"\\f\xee\x80\x80\":true,\"\xc2\x80\xf0\x90\x80\x80\":true,\"\xc3\xa9\\u0000\":\"\xef\xac\xb3\\u001f\"}"},
    {"[\x0d\x0a  -0.0000033333333333333333\x0d\x0a  ,\x0a" "false ,\x09" "false ]",
     "[-0.0000033333333333333333,false,false]"},
    {"[\x09" "9007199254740993\x09,0.10000000000000000000001]",
     "[9007199254740992,0.1]"},
    {"{\"\\u001F\"\x0d\x0a  :\x0a" "1e-27,\x09\"\\u0000~\"\x0a:\x0a[\x09" "1.5e300],\"\xf4\x8f\xbf\xbf\":\x09{\x0d\x0a  \"\xc3\xb6\"\x0a:\x09{\x0d\x0a  \"\\u0039\\u007e\\f\":-1,\x09\"~\"\x0d\x0a  :\x0d\x0a  2e-3, \"\\u001F\xf0\x9f\x98\x80\"\x09:\x0d\x0a  null, \"\xe2\x80\xa8\xe2\x82\xac\\ue000\"\x0d\x0a  : false\x0d\x0a  },\x0d\x0a  \"\\u001F\" :\x09" "0,\x0d\x0a  \"\"\x0d\x0a  :\x09-1,\x0a\"9<\"\x0d\x0a  :\x0a[] },\x0a\"\\/\"\x09:\x0anull,\x0a\"\" :\x09\"\xc3\xa9\xf4\x8f\xbf\xbf\xc2\x80\\u0039\"\x09}",
     "{\"\":\"\xc3\xa9\xf4\x8f\xbf\xbf\xc2\x80" "9\",\"\\u0000~\":[1.5e+300],\"\\u001f\":1e-27,\"/\":null,\"\xf4\x8f\xbf\xbf\":{\"\":-1,\"\\u001f\":0,\"9<\":[],\"\xc3\xb6\":{\"\\u001f\xf0\x9f\x98\x80\":null,\"9~\\f\":-1,\"~\":0.002,\"\xe2\x80\xa8\xe2\x82\xac\xee\x80\x80\":false}}}"},
    {"[\x0d\x0a  true\x0d\x0a  , {\x0d\x0a  }\x09,1e-7\x0a]",
     "[true,{},1e-7]"},
    {"{ \"\\u007f\\u00010\":{\"\xee\x80\x80\"\x0a: [\x0d\x0a  1E30\x0a,\x0d\x0a  [\x0d\x0a  \"\\u005a\\u0001\xe2\x82\xac\x7f\xe2\x80\xa8<\"\x09,\x09true, 1e-27\x0d\x0a  ]],\"\\u0062\\r\\\"\"\x09:\x0d\x0a  0\x0a}, \"\xe2\x80\xa8\"\x0a:[{\x0d\x0a  \"\"\x0d\x0a  : null,\x0a\"\\f\"\x0d\x0a  :\x0atrue\x0d\x0a  }\x0d\x0a  ],\"\\\\\\u00f6/\"\x0a: 2e-3,\x09\"Z\\u001F\" : 7\x0a}",
     "{\"Z\\u001f\":7,\"\\\\\xc3\xb6/\":0.002,\"\x7f\\u00010\":{\"b\\r\\\"\":0,\"\xee\x80\x80\":[1e+30,[\"Z\\u0001\xe2\x82\xac\x7f\xe2\x80\xa8<\",true,1e-27]]},\"\xe2\x80\xa8\":[{\"\":null,\"\\f\":true}]}"},
    {"[\x0atrue\x0a,\x09" "0 ,\x0d\x0a  false ]",
     "[true,0,false]"},
    {"{ \"~\xc3\xb6\" :7,\"\" :\x0d\x0a  \"\\\"a\\ud83d\\ude00Z\xf4\x8f\xbf\xbf" "0\", \"~\\u0000\":\x0a{\"\\u0020\\u0009\xe2\x82\xac\"\x0d\x0a  :\x0d\x0a  null,\x0a\"\"\x09:\x09[],\"\\uffff\"\x09:\x0d\x0a  [ \"/\\u2028\xf0\x90\x80\x80<~a\",\x0a" "1e20\x0a,\x09-1\x0d\x0a  ],\x09\"\\r\"\x0a:\x0d\x0a  null, \"b9\\/\"\x0a:\x0a-100.00\x0a},\x0a\"b\\u0008\\t\"\x0d\x0a  :\x09\"\\/\\\"\xc2\x80\xf0\x90\x80\x80\",\x0d\x0a  \"\\u0080\"\x0d\x0a  :\x09{\x0d\x0a  }\x0d\x0a  }",
     "{\"\":\"\\\"a\xf0\x9f\x98\x80Z\xf4\x8f\xbf\xbf" "0\",\"b\\b\\t\":\"/\\\"\xc2\x80\xf0\x90\x80\x80\",\"~\\u0000\":{\"\":[],\"\\r\":null,\" \\t\xe2\x82\xac\":null,\"b9/\":-100,\"\xef\xbf\xbf\":[\"/\xe2\x80\xa8\xf0\x90\x80\x80<~a\",100000000000000000000,-1]},\"~\xc3\xb6\":7,\"\xc2\x80\":{}}"},
    {"{\x09\"\\udbff\\udfff\xf4\x8f\xbf\xbf\"\x0a:\x0d\x0a  1e+3, \"\\b\\u0039\\u001F\"\x0d\x0a  :9007199254740993,\x0d\x0a  \"\\ud800\\udc00\"\x0a:\x0a" "0.000001\x0d\x0a  }",
     "{\"\\b9\\u001f\":9007199254740992,\"\xf0\x90\x80\x80\":0.000001,\"\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\":1000}"},
    {"{\x0d\x0a  \"\\n\\\"\\u000A\"\x0a:\x0atrue,\x0d\x0a  \"\\u0001\"\x09:1e-7,\x0a\"\xc3\xa9\\\"\\ud800\\udc00\" :\x0a" "false}",
     "{\"\\u0001\":1e-7,\"\\n\\\"\\n\":true,\"\xc3\xa9\\\"\xf0\x90\x80\x80\":false}"},
    {"{\x0d\x0a  \"\x7f\" :\x09" "123456789012345680000}",
     "{\"\x7f\":123456789012345680000}"},
    {"[ -1, false\x09,\x09{\x0d\x0a  \"\"\x0a: true,\x09\"\\t\xef\xac\xb3 \" :\x0d\x0a  false,\x09\"\\u00f6\\r\\u20ac\"\x0a:\x09" "333333333.33333329\x09}]",
     "[-1,false,{\"\":true,\"\\t\xef\xac\xb3 \":false,\"\xc3\xb6\\r\xe2\x82\xac\":333333333.3333333}]"},
    {"[\"\\u000A\xe2\x80\xa9\xe2\x80\xa8~\",\x09null,\x0a\"\xe2\x80\xa9\\u007e\\u0020\\u0030\xe2\x80\xa9\"]",
     "[\"\\n\xe2\x80\xa9\xe2\x80\xa8~\",null,\"\xe2\x80\xa9~ 0\xe2\x80\xa9\"]"},
    {"{\x0d\x0a  \"\"\x0a:\x09{\"\"\x09:\x09{ \"\\u0001\"\x0d\x0a  :\x09[0.000001 ,\x0a" "333333333.33333329\x0d\x0a  ,123456789012345680000],\x09\"\"\x09: 1e+3,\x0a\"b\"\x0d\x0a  :\x0a-9007199254740993,\x0d\x0a  \"ab\xc3\xb6\": true\x0d\x0a  },\x0a\"a\" :\x0a-100.00,\x09\" \"\x0d\x0a  :\x0d\x0a  \"\\u0001\xc2\x80\",\x0a\"\\b\\\\\"\x09:\x0a{\x0d\x0a  \"b\" :\x0anull,\x0d\x0a  \"\":\x09null,\"\\\\\\\\\\u001F\"\x0d\x0a  :\x09true }},\x0d\x0a  \"\xc3\xa9\" :\x09" "false,\"\\n/\"\x0d\x0a  :[\x0d\x0a  \"\\r\\u005a\xef\xbf\xbf\\n\xc2\x80\" ,1e-7\x0d\x0a  , \"\\\\\\\\\xc3\xa9/\"\x09]}",
     "{\"\":{\"\":{\"\":1000,\"\\u0001\":[0.000001,333333333.3333333,123456789012345680000],\"ab\xc3\xb6\":true,\"b\":-9007199254740992},\"\\b\\\\\":{\"\":null,\"\\\\\\\\\\u001f\":true,\"b\":null},\" \":\"\\u0001\xc2\x80\",\"a\":-100},\"\\n/\":[\"\\rZ\xef\xbf\xbf\\n\xc2\x80\",1e-7,\"\\\\\\\\\xc3\xa9/\"],\"\xc3\xa9\":false}"},
    {"[\x0d\x0a  {\x0d\x0a  \"\\u005a\\\\\"\x09:\x0a-100.00,\x09\"\\u0039\\t\\t\"\x09:\x09" "false,\x09\" \xf4\x8f\xbf\xbf\"\x0a:\x0d\x0a  false}\x09,\x0d\x0a  null , true\x0a]",
     "[{\" \xf4\x8f\xbf\xbf\":false,\"9\\t\\t\":false,\"Z\\\\\":-100},null,true]"},
    {"[1e-300,\x0a{\"\\u2029\\u001F\xef\xbf\xbf\" :\x0a[-100.00\x0a,\x0d\x0a  -9007199254740993\x09],\x0a\"\\ue000\xe2\x80\xa9\"\x0d\x0a  :\x0d\x0a  {\x0d\x0a  },\x0d\x0a  \"0\xef\xbf\xbf\" :\x09" "0.5,\"\\udbff\\udfff\\f\"\x0a:[\x0a" "0.5 ],\x0d\x0a  \"\\ud83d\\ude00\\u007e\\u0000\"\x0a:\x0a" "1e21 }\x0a]",
     "[1e-300,{\"0\xef\xbf\xbf\":0.5,\"\xe2\x80\xa9\\u001f\xef\xbf\xbf\":[-100,-9007199254740992],\"\xf0\x9f\x98\x80~\\u0000\":1e+21,\"\xf4\x8f\xbf\xbf\\f\":[0.5],\"\xee\x80\x80\xe2\x80\xa9\":{}}]"},
    {"{\x09\"\"\x0d\x0a  :\x0anull,\x0d\x0a  \"\xf0\x90\x80\x80\" :\x0a" "false, \"\\u003c\\u000C\\u0080\"\x09:\x09" "1e21 }",
     "{\"\":null,\"<\\f\xc2\x80\":1e+21,\"\xf0\x90\x80\x80\":false}"},
    {"{ \"\":\x0a-100.00,\"\xc2\x80\\u003c\xef\xac\xb3\"\x0d\x0a  :\x0d\x0a  null\x0d\x0a  }",
     "{\"\":-100,\"\xc2\x80<\xef\xac\xb3\":null}"},
    {"[\x0d\x0a  {\x0d\x0a  \"\\f00\"\x0a: 1e-7,\"\\u0061\\u0020\xc2\x80\" :\x0a\"\",\x0d\x0a  \"\\u0001 \"\x0d\x0a  :\x0d\x0a  {\x09}\x0a}\x09,\x0d\x0a  {}\x09]",
     "[{\"\\u0001 \":{},\"\\f00\":1e-7,\"a \xc2\x80\":\"\"},{}]"},
    {"[ 1.7976931348623157e308\x09,\x09[\x09{\"\" :\x09[ false\x0a, null\x09,true\x0a], \"0\"\x0a: {\x09\"\"\x0a:null\x0d\x0a  }\x0d\x0a  }\x0a],\x09{\x0d\x0a  \"\"\x09:[ {\x09}\x0a],\x0a\"\xf4\x8f\xbf\xbf\":\x0d\x0a  \"\\u0062\",\"\xe2\x80\xa9\"\x0d\x0a  :\x09null,\x0a\"\\\\\\u2029\"\x0a: 0.000001 }\x0a]",
     "[1.7976931348623157e+308,[{\"\":[false,null,true],\"0\":{\"\":null}}],{\"\":[{}],\"\\\\\xe2\x80\xa9\":0.000001,\"\xe2\x80\xa9\":null,\"\xf4\x8f\xbf\xbf\":\"b\"}]"},
    {"[\x09[\x09" "5e-324, \"\xef\xac\xb3\\\\\\ud800\\udc00~\x7f\\uffff\"\x0a,[\x0d\x0a  [1e-27\x0a,\x09" "0.30000000000000004 ,\x0d\x0a  7\x0a]\x0d\x0a  ,\x0a" "5e-324\x0a, false\x0a]] ,4.50]",
     "[[5e-324,\"\xef\xac\xb3\\\\\xf0\x90\x80\x80~\x7f\xef\xbf\xbf\",[[1e-27,0.30000000000000004,7],5e-324,false]],4.5]"},
    {"{\"\"\x09:\x09" "false,\"\xf0\x9f\x98\x80\\udbff\\udfff\xf4\x8f\xbf\xbf\"\x0a:\x0d\x0a  true,\x09\"\\u0020\"\x09:\x0d\x0a  \"\",\x0a\"\\u0000\\u0000\\u2029\":\x09{\x0a\"\\\"\\ud83d\\ude00\\udbff\\udfff\"\x0a:\x0d\x0a  null,\"\xee\x80\x80\"\x0a:\x0d\x0a  false}\x09}",
     "{\"\":false,\"\\u0000\\u0000\xe2\x80\xa9\":{\"\\\"\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\":null,\"\xee\x80\x80\":false},\" \":\"\",\"\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\":true}"},
    {"{ \"\\u0062\"\x09: [\x0d\x0a  -0.0000033333333333333333\x0a,\x0a-0\x0a, [\x0d\x0a  [null\x0d\x0a  ,\x09-100.00\x0a,\x09" "1.5e300\x0d\x0a  ]\x0a]],\x09\"\"\x09: {\x0d\x0a  \"a\\u000D\xef\xac\xb3\"\x0a: {\x0a\"\\u000D\\\"\xef\xac\xb3\"\x0a:0.000001,\x0a\"\\u00f6\\u0080\"\x09: [\x0d\x0a  \"9~\",null\x09,\x0d\x0a  false], \"\xee\x80\x80\\u20ac\\u2029\"\x0a:\x0d\x0a  -100.00,\x0d\x0a  \"/\\u000C\"\x0a:\x0a{\"\\u0000\\ufb33\\ufb33\":0.5,\x09\"~\\u0001\"\x09:\x0d\x0a  \"\xc3\xb6\",\x0d\x0a  \"\"\x0d\x0a  :false}, \"\\\\\\u2028\"\x0d\x0a  : 0.000001\x0a},\x0d\x0a  \"9\"\x0a:\x0d\x0a  1e-27} }",
     "{\"\":{\"9\":1e-27,\"a\\r\xef\xac\xb3\":{\"\\r\\\"\xef\xac\xb3\":0.000001,\"/\\f\":{\"\":false,\"\\u0000\xef\xac\xb3\xef\xac\xb3\":0.5,\"~\\u0001\":\"\xc3\xb6\"},\"\\\\\xe2\x80\xa8\":0.000001,\"\xc3\xb6\xc2\x80\":[\"9~\",null,false],\"\xee\x80\x80\xe2\x82\xac\xe2\x80\xa9\":-100}},\"b\":[-0.0000033333333333333333,0,[[null,-100,1.5e+300]]]}"},
    {"[\x0d\x0a  \"\\u0000b\xf4\x8f\xbf\xbf\xef\xbf\xbf\"\x09,\x0d\x0a  [\x0anull\x0a]\x09]",
     "[\"\\u0000b\xf4\x8f\xbf\xbf\xef\xbf\xbf\",[null]]"},
    {"[\x09" "12.340\x0d\x0a  ,[]\x09, { }]",
     "[12.34,[],{}]"},
    {"{\x0d\x0a  \"\\b\"\x09:\x09{\x0d\x0a  \"/\xee\x80\x80\\u0030\"\x0a: 333333333.33333329,\"9\":\"\xc3\xa9/\xe2\x80\xa8\xc3\xa9\\\"\\/\",\x09\"\":\x0a[\x0atrue ]\x0a}, \"a \\u005a\"\x0a:\x09{\x0a\"\xc3\xb6\\r\"\x0d\x0a  :\x09" "333333333.33333329,\x0d\x0a  \"\xe2\x80\xa8\" :\x0a\"\\u0000\\uffff\\u000A\"\x09} }",
     "{\"\\b\":{\"\":[true],\"/\xee\x80\x80" "0\":333333333.3333333,\"9\":\"\xc3\xa9/\xe2\x80\xa8\xc3\xa9\\\"/\"},\"a Z\":{\"\xc3\xb6\\r\":333333333.3333333,\"\xe2\x80\xa8\":\"\\u0000\xef\xbf\xbf\\n\"}}"},
    {"[{\x0a\"\\f\":\x09-100.00,\x0a\"\xe2\x80\xa9\"\x09:\x0d\x0a  \"\\\"9\",\" \"\x0a:\x0d\x0a  1E3,\x0d\x0a  \"~\\u000D\":\x09" "false}\x09]",
     "[{\"\\f\":-100,\" \":1000,\"~\\r\":false,\"\xe2\x80\xa9\":\"\\\"9\"}]"},
    {"{\x0a\"9\\u20ac\x7f\"\x0a:\x0d\x0a  { },\x0a\"\\n\" :\x09" "1e-27,\x0a\"\" : 1}",
     "{\"\":1,\"\\n\":1e-27,\"9\xe2\x82\xac\x7f\":{}}"},
    {"[\x09true\x0a, {\x0a\"\":\x0a" "false,\x09\" \"\x0d\x0a  :\x0d\x0a  [\x09" "1\x0d\x0a  ], \"a\":\x09-0 }\x0d\x0a  ]",
     "[true,{\"\":false,\" \":[1],\"a\":0}]"},
    {"[ {\x0a\"\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\"\x0a:\x0a[\x09true ],\x0d\x0a  \"\\u001F<\"\x09: \"\\u005a\\u20acb\\u00e9\\t\" },{\"b\"\x0d\x0a  :\x0a{\"\"\x0d\x0a  :\x0a" "1.7976931348623157e308 }\x09} ,\x09" "1.5e300\x0a]",
     "[{\"\\u001f<\":\"Z\xe2\x82\xac" "b\xc3\xa9\\t\",\"\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\":[true]},{\"b\":{\"\":1.7976931348623157e+308}},1.5e+300]"},
    {"{ \"\"\x09:\x0a" "7, \"\xc3\xa9\xee\x80\x80\xe2\x80\xa8\":\x0a" "1e+3\x0d\x0a  }",
     "{\"\":7,\"\xc3\xa9\xee\x80\x80\xe2\x80\xa8\":1000}"},
    {"{\"\xe2\x82\xac\"\x09:[],\x0a\"\xf4\x8f\xbf\xbf\"\x09:\x0d\x0a  true,\x0a\"\"\x0d\x0a  :\x0a" "1e-7\x09}",
     "{\"\":1e-7,\"\xe2\x82\xac\":[],\"\xf4\x8f\xbf\xbf\":true}"},
    {"[ []\x09, 1e20 ,\x0anull\x09]",
     "[[],100000000000000000000,null]"},
    {"[[\x09\"\\\\\\\"\"\x09, \"\\r\"\x09,\x0d\x0a  false\x09] ,\x09" "9007199254740993,\x0d\x0a  -0 ]",
     "[[\"\\\\\\\"\",\"\\r\",false],9007199254740992,0]"},
    {"[\x0d\x0a  [\x0a\"\"\x0a]\x09, null\x0d\x0a  ]",
     "[[\"\"],null]"},
    {"[\x0d\x0a  \"\xf0\x9f\x98\x80" "b\\u0000\\u2028\xe2\x80\xa9\\u0000\" ]",
     "[\"\xf0\x9f\x98\x80" "b\\u0000\xe2\x80\xa8\xe2\x80\xa9\\u0000\"]"},
    {"[\x09\"9\\r\\u000D\",-0\x0a,{\x09\"\\u0008\xef\xbf\xbf" "9\"\x0d\x0a  :\x09" "123456789012345680000,\x0d\x0a  \"~<\\ud800\\udc00\":0.1,\x0d\x0a  \"\xc2\x80" "a\"\x0a:\x0a" "1e+3,\x0d\x0a  \"/\\u001F\\u005a\"\x0d\x0a  :1E30\x0d\x0a  }\x09]",
     "[\"9\\r\\r\",0,{\"\\b\xef\xbf\xbf" "9\":123456789012345680000,\"/\\u001fZ\":1e+30,\"~<\xf0\x90\x80\x80\":0.1,\"\xc2\x80" "a\":1000}]"},
    {"[\x09" "0.10000000000000000000001 ]",
     "[0.1]"},
  };
  return vectors;
}

TEST(JcsCanonicalize, MatchesNodeOnGeneratedDocuments) {
  for (const Vector& v : node_vectors()) EXPECT_EQ(canonical(v.input), v.canonical) << "input: " << v.input;
}

TEST(JcsCanonicalize, IsIdempotent) {
  std::vector<std::string> inputs = {
      R"({"b":[1E3,{"z":null,"y":"\u00e9"}],"a":-0.0})",
      R"(["\ud83d\ude00", 1e-7, 1e21, {"\uffff": {}, "\ud800\udc00": []}])",
      "\"\\u0000\\u001f\\\\\"",
      "123456789012345678901234567890",
  };
  for (const Vector& v : node_vectors()) inputs.push_back(v.input);
  for (const std::string& input : inputs) {
    const std::string once = canonical(input);
    EXPECT_EQ(canonical(once), once) << "input: " << input;
  }
}

}  // namespace
}  // namespace bizra::jcs
