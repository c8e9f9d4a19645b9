#pragma once
// Error and Result: how every module reports an *expected* failure (bad input, missing file,
// failed verification). Exceptions are reserved for programming errors and are never thrown
// across a module boundary for something a caller should handle.
//
// An error carries a stable machine-readable code (snake_case, e.g. "truncated", "bad_nonce")
// and a human-readable message naming what was wrong. Codes are part of our public surface
// (HTTP error envelope, CLI exit text, test vectors): never rename one.

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace bizra {

class Error {
 public:
  // `code` must have static storage duration (a string literal or a constant).
  Error(std::string_view code, std::string message) : code_(code), message_(std::move(message)) {}

  std::string_view code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", for logs and CLI output.
  std::string to_string() const { return std::string(code_) + ": " + message_; }

  // Adds context in front of the message ("reading key file x: ..."), keeping the code.
  Error with_context(std::string_view context) const& {
    return Error(code_, std::string(context) + ": " + message_);
  }

 private:
  std::string_view code_;
  std::string message_;
};

// Result<T> holds either a T or an Error. Result<void> (alias Status) is success or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok()); return *error_; }

 private:
  std::optional<Error> error_;  // success constructs nothing (hot validation paths return many)
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace bizra

// Propagates the error of a Result/Status expression to the caller.
#define BIZRA_TRY(expr)                                   \
  do {                                                    \
    if (auto bizra_try_r_ = (expr); !bizra_try_r_.ok())   \
      return bizra_try_r_.error();                        \
  } while (0)
