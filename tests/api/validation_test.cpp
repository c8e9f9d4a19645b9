// The validation service: local source on a real node, remote source over a real /rpc, and
// failing endpoints (a refused port, a socket that never answers) for retries and the breaker.

#include <mutex>
#include <vector>

#include "test_node.hpp"
#include "api/queries.hpp"
#include "validation/service.hpp"
#include "validation/source.hpp"

namespace bizra::api_test {
namespace {

using namespace std::chrono_literals;
using validation::Kind;

// Time that moves only when told.
struct FakeClock {
  validation::Clock::time_point now = validation::Clock::time_point() + 1000h;
  validation::NowFn fn() {
    return [this] { return now; };
  }
};

// A listening socket that never accepts: connects succeed, requests never get an answer.
class HangingEndpoint {
 public:
  HangingEndpoint() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("hanging endpoint");
    port_ = ntohs(addr.sin_port);
  }
  ~HangingEndpoint() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

struct Sleeps {
  std::vector<std::chrono::milliseconds> waits;
  std::function<void(std::chrono::milliseconds)> fn() {
    return [this](std::chrono::milliseconds d) { waits.push_back(d); };
  }
};

validation::RemoteOptions remote_to(std::uint16_t port, FakeClock& clock, Sleeps& sleeps) {
  validation::RemoteOptions o;
  o.port = port;
  o.timeout = 300ms;
  o.now = clock.fn();
  o.sleep = sleeps.fn();
  o.breaker_threshold = 2;
  o.breaker_cooldown = 10s;
  return o;
}

class ValidationTest : public ::testing::Test {
 protected:
  validation::Service local_service(std::size_t entries = 100) {
    return validation::Service(std::make_unique<validation::LocalSource>(node_.node()),
                               validation::ServiceOptions{.cache_entries = entries, .ttls = {}, .now = clock_.fn()});
  }
  std::string block_id(std::uint64_t height) {
    return hex::encode(node_.node().chain().block_at(height).value()->id);
  }

  TestNode node_;
  FakeClock clock_;
};

TEST_F(ValidationTest, LocalTransactionFromNotFoundToPendingToFinalWithTtls) {
  auto service = local_service();
  const std::string doc = node_.attestation(1, fixed_key(21));
  const std::string tx_id =
      hex::encode(chain::transaction_id(chain::encode(chain::Transaction(chain::AttestationTx{doc}))));

  auto first = service.validate(Kind::kTransaction, tx_id).value();
  EXPECT_EQ(first.verdict, (validation::Verdict{false, false, "not_found"}));
  EXPECT_FALSE(first.cached);
  EXPECT_EQ(first.source, "local");
  ASSERT_TRUE(api::submit_attestation(node_.node(), doc).ok());
  clock_.now += 59s;  // still the cached "not_found"
  EXPECT_TRUE(service.validate(Kind::kTransaction, tx_id).value().cached);
  clock_.now += 2s;  // past the 60 s of not_found
  auto later = service.validate(Kind::kTransaction, tx_id).value();
  EXPECT_FALSE(later.cached);
  EXPECT_TRUE(later.verdict.valid);

  for (int i = 0; i < 500 && node_.node().transaction_status(api::parse_hash(tx_id).value()).state != node::TxState::kFinal; ++i)
    std::this_thread::sleep_for(10ms);
  clock_.now += 301s;  // past every transaction TTL, whatever was cached above
  auto final = service.validate(Kind::kTransaction, tx_id).value();
  EXPECT_EQ(final.verdict, (validation::Verdict{true, true, "final"}));
  clock_.now += 299s;
  EXPECT_TRUE(service.validate(Kind::kTransaction, tx_id).value().cached);
  clock_.now += 2s;
  EXPECT_FALSE(service.validate(Kind::kTransaction, tx_id).value().cached);

  const validation::Stats s = service.stats();
  EXPECT_EQ(s.requests, 6u);
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 4u);
  EXPECT_EQ(s.errors, 0u);
  std::uint64_t recorded = 0;
  for (auto n : s.latency_buckets) recorded += n;
  EXPECT_EQ(recorded, 6u);
}

TEST_F(ValidationTest, LocalBlocksAndAddresses) {
  ASSERT_TRUE(node_.wait_for_height(1));
  auto service = local_service();
  EXPECT_EQ(service.validate(Kind::kBlock, block_id(1)).value().verdict, (validation::Verdict{true, true, "final"}));
  EXPECT_EQ(service.validate(Kind::kBlock, std::string(64, 'c')).value().verdict.status, "not_found");
  const auto key = node_.validator_key().public_key();
  // The genesis validator has a record but no account until it attests.
  EXPECT_EQ(service.validate(Kind::kAddress, crypto::format_public_key(key)).value().verdict.status,
            api::find_account(node_.node(), crypto::format_public_key(key)).value() ? "found" : "not_found");
  EXPECT_EQ(service.validate(Kind::kBlock, "zz").error().code(), "bad_id");
  EXPECT_EQ(service.validate(Kind::kAddress, "bz12").error().code(), "bad_address");
}

TEST_F(ValidationTest, TheCacheEvictsTheLeastRecentlyUsed) {
  ASSERT_TRUE(node_.wait_for_height(2));
  auto service = local_service(2);
  const std::string a = block_id(1), b = block_id(2), c = std::string(64, 'c');
  ASSERT_TRUE(service.validate(Kind::kBlock, a).ok());
  ASSERT_TRUE(service.validate(Kind::kBlock, b).ok());
  EXPECT_TRUE(service.validate(Kind::kBlock, a).value().cached);  // a is now the most recent
  ASSERT_TRUE(service.validate(Kind::kBlock, c).ok());             // evicts b
  EXPECT_TRUE(service.validate(Kind::kBlock, a).value().cached);
  EXPECT_FALSE(service.validate(Kind::kBlock, b).value().cached);
  EXPECT_EQ(service.stats().cache_entries, 2u);
}

TEST_F(ValidationTest, ConcurrentCallersShareTheCacheConsistently) {
  ASSERT_TRUE(node_.wait_for_height(2));
  auto service = local_service(2);
  const std::vector<std::string> ids = {block_id(1), block_id(2), std::string(64, 'd')};
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string& id = ids[static_cast<std::size_t>(t + i) % ids.size()];
        auto answer = service.validate(Kind::kBlock, id);
        if (!answer || answer->verdict.final != (id != ids[2])) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  const validation::Stats s = service.stats();
  EXPECT_EQ(s.requests, 200u);
  EXPECT_EQ(s.hits + s.misses, 200u);
  EXPECT_LE(s.cache_entries, 2u);
}

TEST_F(ValidationTest, RoutesAnswerWithSourceAndCacheFlag) {
  auto service = local_service();
  validation::mount_validation_routes(node_.router(), service);
  node_.serve();
  ASSERT_TRUE(node_.wait_for_height(1));
  auto client = node_.client();
  const auto first = client->request("POST", "/api/v1/validate/block", "{\"id\":\"" + block_id(1) + "\"}").value();
  ASSERT_EQ(first.status, 200) << first.body;
  const json::Value v = parse_json(first.body);
  EXPECT_EQ(member(v, "valid"), "true");
  EXPECT_EQ(member(v, "final"), "true");
  EXPECT_EQ(member(v, "status"), "final");
  EXPECT_EQ(member(v, "source"), "local");
  EXPECT_EQ(member(v, "cached"), "false");
  const auto again = client->request("POST", "/api/v1/validate/block", "{\"id\":\"" + block_id(1) + "\"}").value();
  EXPECT_EQ(member(parse_json(again.body), "cached"), "true");

  const auto tx = client->request("POST", "/api/v1/validate/transaction", "{\"id\":\"" + std::string(64, 'e') + "\"}").value();
  EXPECT_EQ(member(parse_json(tx.body), "status"), "not_found");
  const auto address = client->request("POST", "/api/v1/validate/address", "{\"address\":\"ed25519:00\"}").value();
  EXPECT_EQ(address.status, 400);
  EXPECT_EQ(member(*parse_json(address.body).find("error"), "code"), "bad_address");
  const auto body = client->request("POST", "/api/v1/validate/transaction", "{\"address\":\"x\"}").value();
  EXPECT_EQ(body.status, 400);
  EXPECT_EQ(member(*parse_json(body.body).find("error"), "code"), "bad_request");
  EXPECT_EQ(client->request("GET", "/api/v1/validate/block").value().status, 405);
}

TEST_F(ValidationTest, RemoteSourceAsksAnotherNodesRpc) {
  node_.serve();
  ASSERT_TRUE(node_.wait_for_height(1));
  Sleeps sleeps;
  validation::Service service(std::make_unique<validation::RemoteSource>(remote_to(node_.port(), clock_, sleeps)),
                              validation::ServiceOptions{.cache_entries = 100, .ttls = {}, .now = clock_.fn()});
  auto block = service.validate(Kind::kBlock, block_id(1)).value();
  EXPECT_EQ(block.verdict, (validation::Verdict{true, true, "final"}));
  EXPECT_EQ(block.source, "remote");
  EXPECT_TRUE(service.validate(Kind::kBlock, block_id(1)).value().cached);
  EXPECT_EQ(service.validate(Kind::kTransaction, std::string(64, 'e')).value().verdict.status, "not_found");
  EXPECT_EQ(service.validate(Kind::kAddress, crypto::account_id(fixed_key(30).public_key())).value().verdict,
            (validation::Verdict{true, false, "not_found"}));
  EXPECT_TRUE(sleeps.waits.empty());
}

TEST(ValidationRemote, RefusedConnectionsAreRetriedWithBackoffThenTheBreakerOpens) {
  FakeClock clock;
  Sleeps sleeps;
  validation::RemoteSource source(remote_to(free_port(), clock, sleeps));  // nothing listens there
  const std::string id(64, 'a');
  EXPECT_EQ(source.check(Kind::kTransaction, id).error().code(), "remote_unreachable");
  EXPECT_EQ(sleeps.waits, (std::vector<std::chrono::milliseconds>{50ms, 200ms, 800ms}));
  EXPECT_EQ(source.breaker_state(), CircuitBreaker::State::kClosed);
  EXPECT_EQ(source.check(Kind::kTransaction, id).error().code(), "remote_unreachable");
  EXPECT_EQ(source.breaker_state(), CircuitBreaker::State::kOpen);

  sleeps.waits.clear();
  EXPECT_EQ(source.check(Kind::kTransaction, id).error().code(), "circuit_open");
  EXPECT_TRUE(sleeps.waits.empty());  // refused without trying
  clock.now += 10s;                   // cool-down over: one probe goes out, fails, reopens
  EXPECT_EQ(source.check(Kind::kTransaction, id).error().code(), "remote_unreachable");
  EXPECT_EQ(sleeps.waits.size(), 3u);
  EXPECT_EQ(source.check(Kind::kTransaction, id).error().code(), "circuit_open");
}

TEST(ValidationRemote, AHangingEndpointTimesOutAndIsRetried) {
  FakeClock clock;
  Sleeps sleeps;
  HangingEndpoint hanging;
  validation::RemoteSource source(remote_to(hanging.port(), clock, sleeps));
  const auto result = source.check(Kind::kBlock, std::string(64, 'b'));
  EXPECT_EQ(result.error().code(), "remote_unreachable");
  EXPECT_NE(result.error().message().find("timeout"), std::string::npos) << result.error().message();
  EXPECT_EQ(sleeps.waits.size(), 3u);
}

TEST(ValidationRemote, AnAnswerThatIsNotAResultIsNotRetried) {
  http::Router router;
  router.add("POST", "/rpc", [](const http::Request&) { return http::Response::error(500, "internal", "broken"); });
  http::Server server(http::ServerConfig{}, router);
  ASSERT_TRUE(server.start().ok());
  FakeClock clock;
  Sleeps sleeps;
  validation::RemoteSource source(remote_to(server.port(), clock, sleeps));
  EXPECT_EQ(source.check(Kind::kAddress, crypto::account_id(fixed_key(3).public_key())).error().code(), "remote_error");
  EXPECT_TRUE(sleeps.waits.empty());
}

TEST(ValidationBreaker, AHalfOpenProbeThatSucceedsClosesIt) {
  CircuitBreaker breaker(3, 5s);
  const auto t0 = validation::Clock::time_point() + 1h;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.allow(t0));
    breaker.on_failure(t0);
  }
  EXPECT_FALSE(breaker.allow(t0 + 4s));
  EXPECT_TRUE(breaker.allow(t0 + 5s));   // the probe
  EXPECT_FALSE(breaker.allow(t0 + 5s));  // others wait for it
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::kHalfOpen);
  breaker.on_success();
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::kClosed);
  breaker.on_failure(t0 + 6s);  // one failure after closing does not reopen it
  EXPECT_TRUE(breaker.allow(t0 + 6s));
}

}  // namespace
}  // namespace bizra::api_test
