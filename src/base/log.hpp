#pragma once
// Structured logs: one line per event on stderr (or a sink set by configure()), as text
//   2026-11-24T11:30:00.123Z INFO node started node_id=bz12… chain=bizra-devnet
// or as JSON lines (node.toml [log] format = "json")
//   {"ts":"2026-11-24T11:30:00.123Z","level":"info","msg":"node started","node_id":"bz12…"}
// with a level threshold ([log] level). Field values are strings; JSON output is always valid
// JSON (control characters escaped, a value that is not valid UTF-8 has its non-ASCII bytes
// replaced by '?').
//
// Redaction: a field whose name contains "secret", "token" or "key" (ASCII case-insensitive) is
// written as "[redacted]", whatever its value — so a caller cannot leak a credential by logging
// it under an obvious name. Public keys are therefore logged as ids ("node_id"), not as "*key*".
//
// Thread-safe: a line is formatted by the caller and written whole under one mutex, so lines of
// different threads never interleave. configure() is for startup (before other threads log).

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace bizra::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

// "trace", "debug", "info", "warn", "error" / "text", "json"; nullopt for anything else.
std::optional<Level> parse_level(std::string_view text);
std::optional<Format> parse_format(std::string_view text);

struct Field {
  std::string_view name;
  std::string value;
};

// Receives each complete line (without its newline). Default: written to stderr.
using Sink = std::function<void(std::string_view line)>;

// Sets the threshold, the format and the sink (empty: stderr). Defaults: info, text, stderr.
void configure(Level level, Format format, Sink sink = {});

bool enabled(Level level);

// Writes one event if `level` passes the threshold.
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void debug(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(Level::kDebug, message, fields);
}
inline void info(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(Level::kInfo, message, fields);
}
inline void warn(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(Level::kWarn, message, fields);
}
inline void error(std::string_view message, std::initializer_list<Field> fields = {}) {
  write(Level::kError, message, fields);
}

// The line write() would produce (no threshold, no sink): for tests and for callers that batch.
std::string format_line(Format format, Level level, std::string_view message, std::initializer_list<Field> fields);

}  // namespace bizra::log
