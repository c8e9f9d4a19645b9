// The LLM adapters (src/ace/llm.hpp) against a local HTTP server that speaks both protocols and
// misbehaves on request: every error code, the circuit breaker (on an injected clock), the
// bearer key, and config validation. 127.0.0.1 only; every call has a short timeout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ace/llm.hpp"
#include "codec/json.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "support/free_ports.hpp"

namespace bizra::ace {
namespace {

using namespace std::chrono_literals;

enum class Mode { kGood, kSlow, kError500, kUnauthorized, kTooMany, kMalformed, kMissingField, kWrongType, kHuge };

// A fake backend: /v1/chat/completions (OpenAI) and /api/generate (Ollama), also under /proxy.
class FakeBackend {
 public:
  FakeBackend() {
    for (std::string prefix : {"", "/proxy"}) {
      router_.add("POST", prefix + "/v1/chat/completions", [this](const http::Request& r) { return answer(r, true); });
      router_.add("POST", prefix + "/api/generate", [this](const http::Request& r) { return answer(r, false); });
    }
    server_ = std::make_unique<http::Server>(http::ServerConfig{.threads = 4}, router_);
    if (!server_->start().ok()) throw std::runtime_error("server start failed");
  }
  ~FakeBackend() { server_->stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void set_mode(Mode mode) { mode_ = mode; }
  int requests() const { return requests_; }
  std::string last_authorization() const {
    std::lock_guard lock(mu_);
    return last_authorization_;
  }
  std::string last_body() const {
    std::lock_guard lock(mu_);
    return last_body_;
  }

 private:
  http::Response answer(const http::Request& req, bool openai) {
    ++requests_;
    {
      std::lock_guard lock(mu_);
      last_authorization_ = std::string(req.header("Authorization").value_or("<none>"));
      last_body_ = req.body;
    }
    switch (mode_.load()) {
      case Mode::kGood: return http::Response::json(200, good(openai, "hello from the model"));
      case Mode::kSlow:
        std::this_thread::sleep_for(400ms);
        return http::Response::json(200, good(openai, "late"));
      case Mode::kError500: return http::Response::error(500, "internal", "model crashed");
      case Mode::kUnauthorized: return http::Response::error(401, "unauthorized", "bad key");
      case Mode::kTooMany: return http::Response::error(429, "rate_limited", "slow down");
      case Mode::kMalformed: return http::Response::json(200, "{\"choices\": [");
      case Mode::kMissingField: return http::Response::json(200, openai ? R"({"choices":[]})" : R"({"done":true})");
      case Mode::kWrongType:
        return http::Response::json(200, openai ? R"({"choices":[{"message":{"content":42}}]})" : R"({"response":null})");
      case Mode::kHuge: return http::Response::json(200, good(openai, std::string(8 << 10, 'x')));
    }
    return http::Response::error(500, "internal", "unknown mode");
  }

  static std::string good(bool openai, const std::string& text) {
    if (openai)
      return R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":")" +
             text + R"("},"finish_reason":"stop"}]})";
    return R"({"model":"m","response":")" + text + R"(","done":true})";
  }

  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::atomic<Mode> mode_{Mode::kGood};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::string last_authorization_, last_body_;
};

LlmConfig config_for(const std::string& kind, const std::string& url) {
  LlmConfig c;
  c.kind = kind;
  c.url = url;
  c.model = "test-model";
  c.timeout = 2s;
  c.max_answer_bytes = 4 << 10;
  c.breaker_threshold = 2;
  c.breaker_cooldown = 1s;
  return c;
}

std::unique_ptr<TextGenerator> make(const LlmConfig& c) {
  auto g = make_text_generator(c);
  if (!g) throw std::runtime_error(g.error().message());
  return std::move(*g);
}

std::string code_of(const Result<std::string>& r) { return r ? "ok" : std::string(r.error().code()); }

class LlmTest : public ::testing::TestWithParam<std::string> {
 protected:
  FakeBackend backend_;
};

TEST_P(LlmTest, AnswersAndSendsTheProtocolRequest) {
  auto g = make(config_for(GetParam(), backend_.url()));
  EXPECT_EQ(g->name(), GetParam() + ":test-model");
  auto text = g->generate("say \"hi\"\n", 1s);
  ASSERT_TRUE(text) << text.error().message();
  EXPECT_EQ(*text, "hello from the model");
  auto body = json::parse(backend_.last_body());
  ASSERT_TRUE(body);
  EXPECT_EQ(body->find("model")->as_string(), "test-model");
  EXPECT_FALSE(body->find("stream")->as_bool());
  const json::Value* prompt = GetParam() == "openai" ? body->find("messages")->items().at(0).find("content")
                                                     : body->find("prompt");
  ASSERT_NE(prompt, nullptr);
  EXPECT_EQ(prompt->as_string(), "say \"hi\"\n");
  if (GetParam() == "openai") {
    EXPECT_EQ(body->find("messages")->items().at(0).find("role")->as_string(), "user");
  }
}

TEST_P(LlmTest, MapsEveryFailureToItsCode) {
  LlmConfig c = config_for(GetParam(), backend_.url());
  c.breaker_threshold = 100;  // this test is about the codes, not the breaker
  auto g = make(c);
  const std::pair<Mode, std::string> cases[] = {
      {Mode::kError500, "backend_unavailable"},   {Mode::kTooMany, "backend_unavailable"},
      {Mode::kUnauthorized, "backend_bad_answer"}, {Mode::kMalformed, "backend_bad_answer"},
      {Mode::kMissingField, "backend_bad_answer"}, {Mode::kWrongType, "backend_bad_answer"},
      {Mode::kHuge, "backend_bad_answer"},         {Mode::kSlow, "backend_timeout"},
  };
  for (const auto& [mode, code] : cases) {
    backend_.set_mode(mode);
    // For kSlow the call's own timeout (100 ms) is below the config's (2 s): the shorter applies.
    EXPECT_EQ(code_of(g->generate("p", mode == Mode::kSlow ? 100ms : 2s)), code) << static_cast<int>(mode);
  }
  backend_.set_mode(Mode::kGood);
  EXPECT_EQ(code_of(g->generate("p", 0ms)), "backend_timeout");
  EXPECT_EQ(code_of(g->generate("p", 1s)), "ok");
}

TEST_P(LlmTest, ClosedPortIsUnavailable) {
  const std::uint16_t port = bizra::testing::free_port();
  auto g = make(config_for(GetParam(), "http://127.0.0.1:" + std::to_string(port)));
  EXPECT_EQ(code_of(g->generate("p", 1s)), "backend_unavailable");
}

TEST_P(LlmTest, BreakerOpensFailsFastAndClosesAfterAProbe) {
  auto now = CircuitBreaker::Clock::now();
  LlmConfig c = config_for(GetParam(), backend_.url());
  c.now = [&now] { return now; };
  auto g = make(c);

  backend_.set_mode(Mode::kError500);
  EXPECT_EQ(code_of(g->generate("p", 1s)), "backend_unavailable");
  EXPECT_EQ(code_of(g->generate("p", 1s)), "backend_unavailable");  // threshold 2: open now
  const int before = backend_.requests();
  backend_.set_mode(Mode::kGood);
  EXPECT_EQ(code_of(g->generate("p", 1s)), "circuit_open");
  EXPECT_EQ(backend_.requests(), before) << "an open breaker must not call the backend";

  now += 2s;  // past the cool-down: one probe; it fails and the breaker opens again
  backend_.set_mode(Mode::kError500);
  EXPECT_EQ(code_of(g->generate("p", 1s)), "backend_unavailable");
  EXPECT_EQ(code_of(g->generate("p", 1s)), "circuit_open");

  now += 2s;  // the next probe succeeds and closes it
  backend_.set_mode(Mode::kGood);
  EXPECT_EQ(code_of(g->generate("p", 1s)), "ok");
  backend_.set_mode(Mode::kError500);
  EXPECT_EQ(code_of(g->generate("p", 1s)), "backend_unavailable");  // closed: one failure < threshold
  backend_.set_mode(Mode::kGood);
  EXPECT_EQ(code_of(g->generate("p", 1s)), "ok");
}

TEST_P(LlmTest, OnlyOneProbeGoesOutWhileHalfOpen) {
  auto now = CircuitBreaker::Clock::now();
  LlmConfig c = config_for(GetParam(), backend_.url());
  std::mutex clock_mu;
  c.now = [&] {
    std::lock_guard lock(clock_mu);
    return now;
  };
  auto g = make(c);
  backend_.set_mode(Mode::kError500);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(code_of(g->generate("p", 1s)), "backend_unavailable");
  {
    std::lock_guard lock(clock_mu);
    now += 2s;
  }
  backend_.set_mode(Mode::kSlow);  // the probe takes 400 ms
  const int before = backend_.requests();
  Result<std::string> probe = Error("unset", "");
  std::thread prober([&] { probe = g->generate("p", 2s); });
  for (int i = 0; i < 5000 && backend_.requests() == before; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_GT(backend_.requests(), before) << "the probe never reached the backend";
  EXPECT_EQ(code_of(g->generate("p", 1s)), "circuit_open");
  prober.join();
  EXPECT_EQ(code_of(probe), "ok");
  backend_.set_mode(Mode::kGood);
  EXPECT_EQ(code_of(g->generate("p", 2s)), "ok");  // closed again
}

TEST_P(LlmTest, ConcurrentCallsEachGetTheirAnswer) {
  auto g = make(config_for(GetParam(), backend_.url()));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) ok += g->generate("p", 2s) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 40);
}

TEST_P(LlmTest, TimeoutsTripTheBreakerButBadAnswersDoNot) {
  auto g = make(config_for(GetParam(), backend_.url()));
  backend_.set_mode(Mode::kMalformed);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(code_of(g->generate("p", 1s)), "backend_bad_answer");
  backend_.set_mode(Mode::kSlow);
  EXPECT_EQ(code_of(g->generate("p", 50ms)), "backend_timeout");
  EXPECT_EQ(code_of(g->generate("p", 50ms)), "backend_timeout");
  EXPECT_EQ(code_of(g->generate("p", 50ms)), "circuit_open");
}

TEST_P(LlmTest, BaseUrlPathIsAPrefix) {
  auto g = make(config_for(GetParam(), backend_.url() + "/proxy/"));
  EXPECT_EQ(code_of(g->generate("p", 1s)), "ok");
}

INSTANTIATE_TEST_SUITE_P(Protocols, LlmTest, ::testing::Values("openai", "ollama"));

TEST(LlmKeyTest, BearerKeyIsSentToOpenAiAndNeverShownInErrors) {
  FakeBackend backend;
  LlmConfig c = config_for("openai", backend.url());
  c.api_key = "sk-secret-123";
  auto g = make(c);
  ASSERT_TRUE(g->generate("p", 1s));
  EXPECT_EQ(backend.last_authorization(), "Bearer sk-secret-123");
  backend.set_mode(Mode::kUnauthorized);
  auto refused = g->generate("p", 1s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message().find("sk-secret"), std::string::npos);
  EXPECT_EQ(std::string(g->name()).find("sk-secret"), std::string::npos);

  c.kind = "ollama";  // Ollama has no keys: none is sent
  auto ollama = make(c);
  backend.set_mode(Mode::kGood);
  ASSERT_TRUE(ollama->generate("p", 1s));
  EXPECT_EQ(backend.last_authorization(), "<none>");

  c.kind = "openai";
  c.api_key = "";
  auto keyless = make(c);
  ASSERT_TRUE(keyless->generate("p", 1s));
  EXPECT_EQ(backend.last_authorization(), "<none>");
}

TEST(LlmConfigTest, RefusesBadConfigs) {
  const auto refused = [](void (*edit)(LlmConfig&)) {
    LlmConfig c = config_for("openai", "http://127.0.0.1:8080");
    edit(c);
    auto g = make_text_generator(c);
    return !g && g.error().code() == "bad_llm_config";
  };
  EXPECT_FALSE(refused([](LlmConfig&) {}));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.kind = "anthropic"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "https://api.example.com"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "127.0.0.1:8080"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "http://"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "http://user:pw@host"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "http://host:0"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "http://host:65536"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "http://host:"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "http://host/a?b=c"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "http://host/a/../b"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.url = "http://[::1"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.model = ""; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.model = "a b"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.api_key = "line\nbreak"; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.timeout = 0ms; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.max_answer_bytes = 10; }));
  EXPECT_TRUE(refused([](LlmConfig& c) { c.breaker_threshold = 0; }));
  EXPECT_FALSE(refused([](LlmConfig& c) { c.url = "http://[::1]:11434"; }));
  EXPECT_FALSE(refused([](LlmConfig& c) { c.url = "http://llm.internal/v1-proxy/"; }));
  EXPECT_FALSE(refused([](LlmConfig& c) { c.kind = "ollama"; }));

  LlmConfig keyed = config_for("openai", "ftp://x");
  keyed.api_key = "sk-secret-123";
  auto g = make_text_generator(keyed);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message().find("sk-secret"), std::string::npos);
}

}  // namespace
}  // namespace bizra::ace
