// A run is a pure function of its scenario: the same seed twice gives the same trace, bit for bit;
// another seed gives another.
#include <gtest/gtest.h>

#include "base/hex.hpp"
#include "sim/simulator.hpp"

namespace bizra::sim {
namespace {

RunResult must_run(const Scenario& scenario) {
  auto result = run(scenario);
  EXPECT_TRUE(result.ok());
  return std::move(*result);
}

void expect_same_run(const Scenario& scenario) {
  const RunResult first = must_run(scenario);
  const RunResult second = must_run(scenario);
  EXPECT_EQ(hex::encode(first.trace_hash), hex::encode(second.trace_hash)) << scenario.to_flags();
  EXPECT_EQ(first.end, second.end);
  EXPECT_EQ(first.metrics.events, second.metrics.events);
  EXPECT_EQ(first.metrics.committed_max, second.metrics.committed_max);
  EXPECT_EQ(first.metrics.bytes, second.metrics.bytes);
  EXPECT_GT(first.metrics.events, 1000u);
}

TEST(SimDeterminism, SameSeedSameTrace) {
  const std::vector<Fault> all(kAllFaults.begin(), kAllFaults.end());
  for (const std::uint64_t seed : {1u, 2u, 3u}) expect_same_run(random_scenario(seed, 7, all));
}

TEST(SimDeterminism, SameSeedSameTraceWithEd25519AndCrashes) {
  Scenario s;
  s.seed = 5;
  s.validators = 4;
  s.byzantine = 1;
  s.faults = {Fault::kEquivocate};
  s.scheme = SignatureScheme::kEd25519;
  s.network.latency = LatencyModel::uniform(1 * kMillis, 20 * kMillis);
  s.network.loss_ppm = 20'000;
  s.crashes.push_back(*CrashSpec::parse("0@300-900"));
  s.duration = 6 * kSeconds;
  expect_same_run(s);
}

TEST(SimDeterminism, OtherSeedOtherTrace) {
  Scenario a;
  a.network.latency = LatencyModel::wan();
  a.duration = 5 * kSeconds;
  Scenario b = a;
  b.seed = a.seed + 1;
  EXPECT_NE(must_run(a).trace_hash, must_run(b).trace_hash);
}

// The trace tail a failure report prints is the end of the run's trace.
TEST(SimDeterminism, TraceTailEndsWithTheLastEvent) {
  Scenario s;
  s.duration = 1 * kSeconds;
  RunOptions options;
  options.trace_tail = 10;
  const auto result = run(s, options);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->trace_tail.size(), 10u);
  EXPECT_LE(result->trace_tail.back().time, result->end);
  EXPECT_GE(result->trace_tail.front().time, result->end > kSeconds ? 0 : result->trace_tail.front().time);
  const std::string report = failure_report(*result);
  EXPECT_NE(report.find("node0 sim --seed 1 --validators 4"), std::string::npos) << report;
}

}  // namespace
}  // namespace bizra::sim
