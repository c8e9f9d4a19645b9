// Seeded scenarios (spec consensus.md §7) against the real consensus core: every fault kind, with
// n = 4, 7 and 10 and up to f Byzantine validators, on top of random latency, loss, duplication,
// partitions and crashes. Each TEST is one shard (one ctest test, so ctest -j runs them in
// parallel); together they run more than 1 000 scenarios. A failure prints the violation, the
// seed, the `node0 sim` command that reproduces it and the end of the trace.
#include <gtest/gtest.h>

#include "sim/simulator.hpp"

namespace bizra::sim {
namespace {

constexpr std::uint64_t kSeedsPerShard = 60;

struct Totals {
  std::size_t runs = 0;
  std::uint64_t commits = 0;
  std::uint64_t rejected = 0;
  std::uint64_t malformed = 0;
  std::uint64_t evidence = 0;
  std::uint64_t lost = 0;
  std::uint64_t byzantine_actions = 0;
};

Totals run_shard(std::vector<Fault> faults, std::uint32_t validators, std::uint64_t first_seed, std::uint64_t seeds,
                 std::optional<SignatureScheme> scheme = std::nullopt) {
  Totals totals;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    Scenario scenario = random_scenario(seed, validators, faults);
    if (scheme) scenario.scheme = scheme;
    const auto result = run(scenario);
    EXPECT_TRUE(result.ok()) << result.error().to_string();
    if (!result.ok()) continue;
    EXPECT_FALSE(result->violation.has_value()) << failure_report(*result);
    EXPECT_GT(result->metrics.committed_min, 0u) << "no progress: " << scenario.to_flags();
    ++totals.runs;
    totals.commits += result->metrics.committed_max;
    totals.rejected += result->metrics.rejected;
    totals.malformed += result->metrics.malformed;
    totals.evidence += result->metrics.evidence;
    totals.lost += result->metrics.lost;
    totals.byzantine_actions += result->metrics.byzantine_actions;
  }
  return totals;
}

struct Shard {
  Fault fault;
  std::uint32_t validators;
};

// gtest prints the parameter into the test's name: readably, and without the padding bytes.
void PrintTo(const Shard& shard, std::ostream* os) { *os << name(shard.fault) << " n=" << shard.validators; }

std::vector<Shard> all_shards() {
  std::vector<Shard> shards;
  for (const Fault fault : kAllFaults)
    for (const std::uint32_t n : {4u, 7u, 10u}) shards.push_back({fault, n});
  return shards;
}

std::string shard_name(const testing::TestParamInfo<Shard>& info) {
  std::string name;
  for (const char c : sim::name(info.param.fault))
    if (c != '-') name += c;
  return name + std::to_string(info.param.validators);
}

// What shows that the fault really happened in the shard's runs.
std::uint64_t fault_evidence(Fault fault, const Totals& t) {
  switch (fault) {
    case Fault::kEquivocate: return t.evidence;  // honest nodes reported the equivocations
    case Fault::kInvalidProposal: return t.rejected;
    case Fault::kGarbage: return t.malformed;
    case Fault::kWithhold:
    case Fault::kReplay: return t.byzantine_actions;
  }
  return 0;
}

class SimFaultShard : public testing::TestWithParam<Shard> {};

// The seeds differ between shards.
TEST_P(SimFaultShard, InvariantsHold) {
  const Shard shard = GetParam();
  const std::uint64_t first_seed = 1000 * (1 + static_cast<std::uint64_t>(shard.fault)) + 100 * shard.validators;
  const Totals t = run_shard({shard.fault}, shard.validators, first_seed, kSeedsPerShard);
  EXPECT_EQ(t.runs, kSeedsPerShard);
  EXPECT_GT(t.byzantine_actions, 0u);
  EXPECT_GT(fault_evidence(shard.fault, t), 0u) << "the fault never showed";
}

INSTANTIATE_TEST_SUITE_P(AllFaults, SimFaultShard, testing::ValuesIn(all_shards()), shard_name);

// Byzantine validators of different kinds in one run.
TEST(SimScenarios, MixedFaults) {
  const std::vector<Fault> all(kAllFaults.begin(), kAllFaults.end());
  for (const std::uint32_t n : {4u, 7u, 10u}) EXPECT_EQ(run_shard(all, n, 20000 + n * 100, 20).runs, 20u);
}

// Network faults and crashes only: every validator honest.
TEST(SimScenarios, HonestValidatorsOnly) {
  std::uint64_t lost = 0;
  for (const std::uint32_t n : {4u, 7u, 10u}) lost += run_shard({}, n, 21000 + n * 100, 20).lost;
  EXPECT_GT(lost, 0u);
}

// f validators down for the whole run (alone, and beside Byzantine ones within the 1/3 bound):
// the others keep committing, and still agree, through every crashed leader's timeouts.
TEST(SimScenarios, ValidatorsDownForTheWholeRun) {
  for (const std::uint32_t n : {4u, 7u, 10u}) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      Scenario s;
      s.seed = 23000 + n * 100 + seed;
      s.validators = n;
      s.down = (n - 1) / 3;
      s.network.latency = seed % 2 == 0 ? LatencyModel::wan() : LatencyModel::lan();
      s.scheme = SignatureScheme::kInsecureMac;
      if (n == 10 && seed > 3) {  // 2 down + 1 equivocating: 3 of 10 < 1/3
        s.down = 2;
        s.byzantine = 1;
      }
      const auto result = run(s);
      ASSERT_TRUE(result.ok()) << result.error().to_string();
      EXPECT_FALSE(result->violation.has_value()) << failure_report(*result);
      EXPECT_GT(result->metrics.committed_min, 2u) << s.to_flags();
    }
  }
}

// Production signatures (Ed25519) rather than the fast sim-only scheme.
TEST(SimScenarios, Ed25519Signatures) {
  const std::vector<Fault> all(kAllFaults.begin(), kAllFaults.end());
  for (const std::uint32_t n : {4u, 7u})
    EXPECT_EQ(run_shard(all, n, 22000 + n * 100, 10, SignatureScheme::kEd25519).runs, 10u);
}

}  // namespace
}  // namespace bizra::sim
