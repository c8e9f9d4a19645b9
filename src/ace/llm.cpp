#include "ace/llm.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <utility>
#include <vector>

#include "codec/json.hpp"
#include "http/client.hpp"
#include "http/message.hpp"

namespace bizra::ace {
namespace {

constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::size_t kMaxModelBytes = 256;
constexpr std::size_t kMaxKeyBytes = 4096;
constexpr std::size_t kMinAnswerBytes = 1 << 10;
constexpr std::size_t kMaxAnswerBytes = 64 << 20;  // http::Client's own body cap
constexpr std::size_t kMaxAnswerDepth = 32;

enum class Protocol { kOpenAi, kOllama };

struct Endpoint {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 80;
  std::string base_path;  // "" or "/x/y", no trailing '/'
};

Error bad_config(std::string message) { return Error("bad_llm_config", std::move(message)); }

bool all_of(std::string_view text, bool (*allowed)(char)) { return std::all_of(text.begin(), text.end(), allowed); }
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_host_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }
bool is_ipv6_char(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'; }
bool is_path_char(char c) { return is_alnum(c) || c == '/' || c == '.' || c == '_' || c == '~' || c == '-'; }
bool is_visible(char c) { return c > ' ' && c < 0x7f; }

Result<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > 5 || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535)
    return bad_config("url: the port must be 1..65535");
  return static_cast<std::uint16_t>(value);
}

// "http://host[:port][/path]" and nothing else: no userinfo, query, fragment or escapes, so the
// pieces go to the client and into request targets as they are.
Result<Endpoint> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() > kMaxUrlBytes) return bad_config("url: longer than 2048 bytes");
  if (url.starts_with("https://"))
    return bad_config("url: https is not supported (http::Client has no TLS); put a TLS proxy on localhost");
  if (!url.starts_with(kScheme)) return bad_config("url: expected http://host[:port][/path]");
  url.remove_prefix(kScheme.size());
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  Endpoint endpoint;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_config("url: unterminated [IPv6] host");
    endpoint.host = std::string(authority.substr(1, close - 1));
    if (endpoint.host.empty() || !all_of(endpoint.host, is_ipv6_char)) return bad_config("url: bad IPv6 host");
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return bad_config("url: unexpected text after the [IPv6] host");
    if (!rest.empty()) port_text = rest.substr(1);
    if (!rest.empty() && port_text.empty()) return bad_config("url: empty port");
  } else {
    const std::size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad_config("url: empty port");
    }
    if (endpoint.host.empty() || endpoint.host.size() > 253 || !all_of(endpoint.host, is_host_char))
      return bad_config("url: the host must be a name or an IP address (letters, digits, '.', '-')");
  }
  if (!port_text.empty()) {
    auto port = parse_port(port_text);
    if (!port) return port.error();
    endpoint.port = *port;
  }
  if (!all_of(path, is_path_char) || path.find("//") != std::string_view::npos ||
      path.find("/../") != std::string_view::npos || path.ends_with("/.."))
    return bad_config("url: the path may hold letters, digits and . _ ~ - / only, without empty or .. segments");
  while (path.ends_with('/')) path.remove_suffix(1);
  endpoint.base_path = std::string(path);
  return endpoint;
}

Result<Protocol> parse_kind(std::string_view kind) {
  if (kind == "openai") return Protocol::kOpenAi;
  if (kind == "ollama") return Protocol::kOllama;
  return bad_config("kind: expected \"openai\" or \"ollama\"");
}

Status check_limits(const LlmConfig& config) {
  if (config.model.empty() || config.model.size() > kMaxModelBytes || !all_of(config.model, is_visible))
    return bad_config("model: 1..256 visible ASCII characters");
  if (config.api_key.size() > kMaxKeyBytes || !all_of(config.api_key, is_visible))
    return bad_config("api_key: at most 4096 visible ASCII characters");
  if (config.timeout <= std::chrono::milliseconds(0)) return bad_config("timeout: must be positive");
  if (config.max_answer_bytes < kMinAnswerBytes || config.max_answer_bytes > kMaxAnswerBytes)
    return bad_config("max_answer_bytes: 1 KiB .. 64 MiB");
  if (config.breaker_threshold == 0) return bad_config("breaker_threshold: at least 1");
  if (config.breaker_cooldown < std::chrono::milliseconds(0)) return bad_config("breaker_cooldown: negative");
  return ok_status();
}

// Whether a failed call counts against the breaker: only unavailable and timed-out ones do. A
// backend that answers, even wrongly, answers quickly, and failing fast would hide its real error.
bool trips_breaker(std::string_view code) { return code == "backend_unavailable" || code == "backend_timeout"; }

class HttpTextGenerator final : public TextGenerator {
 public:
  HttpTextGenerator(Protocol protocol, Endpoint endpoint, LlmConfig config)
      : protocol_(protocol),
        endpoint_(std::move(endpoint)),
        config_(std::move(config)),
        name_(std::string(protocol_ == Protocol::kOpenAi ? "openai:" : "ollama:") + config_.model),
        breaker_(config_.breaker_threshold, config_.breaker_cooldown) {
    if (!config_.now) config_.now = [] { return CircuitBreaker::Clock::now(); };
  }

  Result<std::string> generate(std::string_view prompt, std::chrono::milliseconds timeout) override {
    {
      std::lock_guard lock(mu_);
      if (!breaker_.allow(config_.now()))
        return Error("circuit_open", name_ + ": the backend failed repeatedly; not calling it until the cool-down passes");
    }
    auto answer = exchange(prompt, std::min(timeout, config_.timeout));
    std::lock_guard lock(mu_);
    if (!answer && trips_breaker(answer.error().code())) breaker_.on_failure(config_.now());
    else breaker_.on_success();
    return answer;
  }

  std::string_view name() const override { return name_; }

 private:
  // One request on a connection of its own. A client per call rather than one shared client
  // behind a mutex: generations take seconds, and a shared connection would serialize every
  // agent waiting for the backend; a fresh client also takes the call's own timeout, and the
  // extra connect is nothing next to a generation.
  Result<std::string> exchange(std::string_view prompt, std::chrono::milliseconds timeout) const {
    if (timeout <= std::chrono::milliseconds(0)) return Error("backend_timeout", name_ + ": no time left for the call");
    http::Client client(endpoint_.host, endpoint_.port, timeout);
    std::vector<std::pair<std::string, std::string>> headers;
    if (protocol_ == Protocol::kOpenAi && !config_.api_key.empty())
      headers.emplace_back("Authorization", "Bearer " + config_.api_key);
    auto response = client.request("POST", target(), request_body(prompt), "application/json", headers);
    if (!response) return transport_error(response.error());
    if (response->status >= 500 || response->status == 408 || response->status == 429)
      return Error("backend_unavailable", name_ + ": HTTP " + std::to_string(response->status));
    if (response->status != 200) return bad_answer("HTTP " + std::to_string(response->status));
    if (response->body.size() > config_.max_answer_bytes)
      return bad_answer("an answer of " + std::to_string(response->body.size()) + " bytes, over the limit of " +
                        std::to_string(config_.max_answer_bytes));
    return read_answer(response->body);
  }

  std::string target() const {
    return endpoint_.base_path + (protocol_ == Protocol::kOpenAi ? "/v1/chat/completions" : "/api/generate");
  }

  // json_quote, not json::Value::string: a prompt is not guaranteed valid UTF-8, and quoting
  // replaces stray bytes instead of producing invalid JSON.
  std::string request_body(std::string_view prompt) const {
    const std::string model = http::json_quote(config_.model);
    if (protocol_ == Protocol::kOpenAi)
      return "{\"model\":" + model + ",\"messages\":[{\"role\":\"user\",\"content\":" + http::json_quote(prompt) +
             "}],\"stream\":false}";
    return "{\"model\":" + model + ",\"prompt\":" + http::json_quote(prompt) + ",\"stream\":false}";
  }

  Error transport_error(const Error& e) const {
    if (e.code() == "timeout") return Error("backend_timeout", name_ + ": " + std::string(e.message()));
    if (e.code() == "bad_response") return bad_answer(std::string(e.message()));
    return Error("backend_unavailable", name_ + ": " + std::string(e.message()));  // connect_failed, io_error
  }

  Error bad_answer(std::string why) const { return Error("backend_bad_answer", name_ + ": " + std::move(why)); }

  Result<std::string> read_answer(std::string_view body) const {
    auto doc = json::parse(body, json::Limits{.max_bytes = config_.max_answer_bytes, .max_depth = kMaxAnswerDepth});
    if (!doc) return bad_answer("not JSON (" + std::string(doc.error().message()) + ")");
    const json::Value* text = nullptr;
    if (protocol_ == Protocol::kOpenAi) {
      const json::Value* choices = doc->find("choices");
      const json::Value* first = choices && !choices->items().empty() ? &choices->items().front() : nullptr;
      const json::Value* message = first ? first->find("message") : nullptr;
      text = message ? message->find("content") : nullptr;
      if (text == nullptr || !text->is_string()) return bad_answer("no string at choices[0].message.content");
    } else {
      text = doc->find("response");
      if (text == nullptr || !text->is_string()) return bad_answer("no string \"response\"");
    }
    return text->as_string();
  }

  const Protocol protocol_;
  const Endpoint endpoint_;
  LlmConfig config_;
  const std::string name_;
  std::mutex mu_;  // guards breaker_ (CircuitBreaker is not thread-safe)
  CircuitBreaker breaker_;
};

}  // namespace

Result<std::unique_ptr<TextGenerator>> make_text_generator(LlmConfig config) {
  auto protocol = parse_kind(config.kind);
  if (!protocol) return protocol.error();
  auto endpoint = parse_url(config.url);
  if (!endpoint) return endpoint.error();
  if (Status s = check_limits(config); !s.ok()) return s.error();
  return std::unique_ptr<TextGenerator>(std::make_unique<HttpTextGenerator>(*protocol, std::move(*endpoint), std::move(config)));
}

}  // namespace bizra::ace
