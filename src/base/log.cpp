#include "base/log.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace bizra::log {
namespace {

constexpr std::array<std::string_view, 5> kLevelNames = {"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 5> kLevelLabels = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
constexpr std::string_view kRedacted = "[redacted]";

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};
std::mutex g_sink_mu;
Sink g_sink;  // g_sink_mu; empty: stderr

std::size_t index_of(Level level) { return static_cast<std::size_t>(level); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains_lower(std::string_view text, std::string_view word) {
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    std::size_t j = 0;
    while (j < word.size() && lower(text[i + j]) == word[j]) ++j;
    if (j == word.size()) return true;
  }
  return false;
}

bool is_sensitive(std::string_view name) {
  return contains_lower(name, "secret") || contains_lower(name, "token") || contains_lower(name, "key");
}

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text) {
  const bool utf8 = valid_utf8(text);
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c >= 0x80 && !utf8 ? '?' : ch;
    }
  }
  out += '"';
}

// Text values are bare when they are simple, else quoted like JSON strings (so a value with a
// space or '=' cannot be mistaken for another field).
void append_text_value(std::string& out, std::string_view value) {
  const bool bare = !value.empty() && value.find_first_of(" =\"\\") == std::string_view::npos &&
                    std::none_of(value.begin(), value.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  if (bare && valid_utf8(value)) out += value;
  else append_json_string(out, value);
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];  // room for any int the compiler can imagine in each field
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms));
  return text;
}

}  // namespace

std::optional<Level> parse_level(std::string_view text) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i)
    if (kLevelNames[i] == text) return static_cast<Level>(i);
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return std::nullopt;
}

void configure(Level level, Format format, Sink sink) {
  g_level.store(level);
  g_format.store(format);
  std::lock_guard lock(g_sink_mu);
  g_sink = std::move(sink);
}

bool enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

std::string format_line(Format format, Level level, std::string_view message, std::initializer_list<Field> fields) {
  std::string line;
  if (format == Format::kJson) {
    line = "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + std::string(kLevelNames[index_of(level)]) + "\",\"msg\":";
    append_json_string(line, message);
    for (const Field& f : fields) {
      line += ',';
      append_json_string(line, f.name);
      line += ':';
      append_json_string(line, is_sensitive(f.name) ? kRedacted : std::string_view(f.value));
    }
    return line + "}";
  }
  line = timestamp() + " " + std::string(kLevelLabels[index_of(level)]) + " ";
  for (const char c : message) line += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;  // one event, one line
  for (const Field& f : fields) {
    line += ' ';
    line += f.name;
    line += '=';
    append_text_value(line, is_sensitive(f.name) ? kRedacted : std::string_view(f.value));
  }
  return line;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  const std::string line = format_line(g_format.load(std::memory_order_relaxed), level, message, fields);
  std::lock_guard lock(g_sink_mu);
  if (g_sink) {
    g_sink(line);
    return;
  }
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace bizra::log
