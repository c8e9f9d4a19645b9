#include "sim/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>

#include "consensus/core.hpp"
#include "sim/flags.hpp"
#include "sim/rng.hpp"

namespace bizra::sim {
namespace {

// Stream names for the seed's independent uses (mix(seed, stream)).
constexpr std::uint64_t kWeightStream = 0x77656967;     // "weig"
constexpr std::uint64_t kByzantineStream = 0x62797a61;  // "byza"
constexpr std::uint64_t kScenarioStream = 0x7363656e;   // "scen"
constexpr std::uint64_t kDownStream = 0x646f776e;       // "down"

Error bad_scenario(std::string message) { return Error("bad_scenario", std::move(message)); }

Time derived_gst(const Scenario& s) {
  Time gst = 0;
  for (const auto& p : s.network.partitions) gst = std::max(gst, p.heal);
  for (const auto& c : s.crashes) gst = std::max(gst, c.restart);
  if (s.network.loss_ppm > 0 || s.network.duplicate_ppm > 0) gst = std::max(gst, s.duration / 2);
  return gst;
}

// Long enough for the slowest round after GST (6 one-way delays) plus verifying a quorum's
// signatures three times over, never below 100 ms.
std::uint64_t derived_base_timeout_ms(const Scenario& s) {
  const Time round = 6 * s.network.latency.max_one_way() + 3 * Time{s.validators} * s.costs.verify;
  return std::max<std::uint64_t>(100, (round + kMillis - 1) / kMillis);
}

Status check(const Scenario& s) {
  if (s.validators == 0 || s.validators > consensus::kMaxValidators)
    return bad_scenario("validators must be 1.." + std::to_string(consensus::kMaxValidators));
  if (s.byzantine > 0 && s.faults.empty()) return bad_scenario("Byzantine validators need a --fault");
  for (const auto& p : s.network.partitions) {
    if (p.side.empty() || p.side.back() >= s.validators)
      return bad_scenario("partition " + p.to_text() + ": unknown node");
    if (p.heal > s.network.gst) return bad_scenario("partition " + p.to_text() + " heals after GST");
  }
  for (const auto& c : s.crashes) {
    if (c.node >= s.validators) return bad_scenario("crash " + c.to_text() + ": unknown node");
    if (c.restart <= c.at || c.restart > s.network.gst)
      return bad_scenario("crash " + c.to_text() + ": restart must follow the crash and come by GST");
  }
  if (s.duration == 0) return bad_scenario("duration must be positive");
  return ok_status();
}

std::vector<ValidatorIndex> pick(Rng& rng, std::uint32_t n, std::uint32_t count) {
  std::vector<ValidatorIndex> all(n);
  std::iota(all.begin(), all.end(), ValidatorIndex{0});
  for (std::uint32_t i = 0; i < count && i < n; ++i)
    std::swap(all[i], all[i + static_cast<std::uint32_t>(rng.below(n - i))]);
  all.resize(std::min(count, n));
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace

std::string_view name(Fault fault) {
  switch (fault) {
    case Fault::kEquivocate: return "equivocate";
    case Fault::kWithhold: return "withhold";
    case Fault::kInvalidProposal: return "invalid-proposal";
    case Fault::kGarbage: return "garbage";
    case Fault::kReplay: return "replay";
  }
  return "?";
}

Result<Fault> parse_fault(std::string_view text) {
  for (const Fault fault : kAllFaults)
    if (name(fault) == text) return fault;
  return bad_flag("--fault (equivocate, withhold, invalid-proposal, garbage, replay)", text);
}

Result<CrashSpec> CrashSpec::parse(std::string_view text) {
  const auto at = text.find('@');
  const auto node = parse_u64(text.substr(0, at));
  const auto range = at == std::string_view::npos ? std::nullopt : parse_ms_range(text.substr(at + 1));
  if (!node || *node >= consensus::kMaxValidators || !range) return bad_flag("--crash (N@AT-RESTART in ms)", text);
  return CrashSpec{static_cast<ValidatorIndex>(*node), range->first, range->second};
}

std::string CrashSpec::to_text() const {
  return std::to_string(node) + "@" + ms_text(at) + "-" + ms_text(restart);
}

std::string Scenario::to_flags() const {
  std::string flags = "--seed " + std::to_string(seed) + " --validators " + std::to_string(validators);
  if (random_weights) flags += " --weights random";
  flags += " --byzantine " + std::to_string(byzantine);
  if (!faults.empty()) {
    flags += " --fault ";
    for (std::size_t i = 0; i < faults.size(); ++i) flags += (i > 0 ? "," : "") + std::string(name(faults[i]));
  }
  if (down > 0) flags += " --down " + std::to_string(down);
  flags += " --latency " + network.latency.to_text();
  flags += " --loss " + probability_text(network.loss_ppm) + " --dup " + probability_text(network.duplicate_ppm);
  for (const auto& p : network.partitions) flags += " --partition " + p.to_text();
  for (const auto& c : crashes) flags += " --crash " + c.to_text();
  if (network.gst > 0) flags += " --gst " + ms_text(network.gst);
  if (network.uplink_bits_per_second > 0)
    flags += " --bandwidth " + std::to_string(network.uplink_bits_per_second / 1'000'000);
  flags += " --duration " + ms_text(duration);
  if (liveness_window > 0) flags += " --liveness-window " + ms_text(liveness_window);
  if (base_timeout_ms > 0) flags += " --timeout-ms " + std::to_string(base_timeout_ms);
  if (scheme) flags += std::string(" --signer ") + (*scheme == SignatureScheme::kEd25519 ? "ed25519" : "mac");
  flags +=
      " --sign-us " + std::to_string(costs.sign / kMicros) + " --verify-us " + std::to_string(costs.verify / kMicros);
  flags += " --txs " + std::to_string(workload.max_transactions_per_block);
  if (mutation != consensus::SafetyMutation::kNone) flags += " --mutation " + std::string(name(mutation));
  if (!check_double_signing) flags += " --no-double-sign-check";
  return flags;
}

Result<Scenario> resolve(Scenario s) {
  if (s.network.gst == 0) s.network.gst = derived_gst(s);
  if (s.base_timeout_ms == 0) s.base_timeout_ms = derived_base_timeout_ms(s);
  if (s.liveness_window == 0) {
    const consensus::CoreConfig defaults;
    const std::uint64_t longest_round = consensus::round_timer_ms(
        s.base_timeout_ms, defaults.backoff_percent, defaults.max_backoff_exponent, defaults.max_backoff_exponent);
    s.liveness_window = 30 * longest_round * kMillis;
  }
  if (!s.scheme) s.scheme = s.validators <= 16 ? SignatureScheme::kEd25519 : SignatureScheme::kInsecureMac;
  BIZRA_TRY(check(s));
  BIZRA_TRY(byzantine_nodes(s));
  const auto down = down_nodes(s);
  if (!down) return down.error();
  for (const auto& c : s.crashes)
    if (std::binary_search(down->begin(), down->end(), c.node))
      return bad_scenario("crash " + c.to_text() + ": that node is down for the whole run (--down)");
  return s;
}

std::vector<std::uint64_t> validator_weights(const Scenario& s) {
  std::vector<std::uint64_t> weights(s.validators, 1);
  if (s.random_weights) {
    Rng rng(mix(s.seed, kWeightStream));
    for (auto& w : weights) w = rng.between(1, 10);
  }
  return weights;
}

namespace {

// A seeded permutation of the nodes, then greedily every node not in `taken` whose weight keeps
// `weight` (the weight already taken) below a third of the total, until `count` are chosen.
std::vector<ValidatorIndex> pick_below_third(const Scenario& s, std::uint64_t stream, std::uint32_t count,
                                             std::span<const ValidatorIndex> taken) {
  const auto weights = validator_weights(s);
  const std::uint64_t total = std::accumulate(weights.begin(), weights.end(), std::uint64_t{0});
  std::uint64_t weight = 0;
  for (const ValidatorIndex i : taken) weight += weights[i];
  Rng rng(mix(s.seed, stream));
  std::vector<ValidatorIndex> order(s.validators);
  std::iota(order.begin(), order.end(), ValidatorIndex{0});
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  std::vector<ValidatorIndex> chosen;
  for (const ValidatorIndex i : order) {
    if (chosen.size() == count) break;
    if (std::find(taken.begin(), taken.end(), i) != taken.end()) continue;
    if ((weight + weights[i]) * 3 < total) {
      chosen.push_back(i);
      weight += weights[i];
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace

Result<std::vector<ValidatorIndex>> byzantine_nodes(const Scenario& s) {
  auto chosen = pick_below_third(s, kByzantineStream, s.byzantine, {});
  if (chosen.size() < s.byzantine)
    return bad_scenario(std::to_string(s.byzantine) + " Byzantine validators would hold a third of the weight or more");
  return chosen;
}

Result<std::vector<ValidatorIndex>> down_nodes(const Scenario& s) {
  const auto byzantine = byzantine_nodes(s);
  if (!byzantine) return byzantine.error();
  auto chosen = pick_below_third(s, kDownStream, s.down, *byzantine);
  if (chosen.size() < s.down)
    return bad_scenario(std::to_string(s.down) + " down validators and " + std::to_string(s.byzantine) +
                        " Byzantine ones would hold a third of the weight or more");
  return chosen;
}

Scenario random_scenario(std::uint64_t seed, std::uint32_t validators, std::vector<Fault> faults) {
  Rng rng(mix(seed, kScenarioStream));
  Scenario s;
  s.seed = seed;
  s.validators = validators;
  s.faults = std::move(faults);
  s.random_weights = rng.chance(300'000);
  s.scheme = SignatureScheme::kInsecureMac;  // randomized suites run thousands of seeds

  // Up to f Byzantine validators (at least one when there are fault kinds to exercise).
  std::uint32_t max_byzantine = 0;
  for (std::uint32_t k = 1; k <= validators; ++k) {
    s.byzantine = k;
    if (byzantine_nodes(s).ok()) max_byzantine = k;
  }
  s.byzantine = s.faults.empty() || max_byzantine == 0 ? 0 : static_cast<std::uint32_t>(rng.between(1, max_byzantine));
  const auto byzantine = *byzantine_nodes(s);

  const std::uint64_t latency = rng.below(10);
  if (latency < 4) {
    s.network.latency = LatencyModel::lan();
  } else if (latency < 6) {
    s.network.latency = LatencyModel::wan();
  } else {
    s.network.latency = LatencyModel::uniform(1 * kMillis, rng.between(2, 50) * kMillis);
  }
  constexpr std::array<std::uint32_t, 5> kLoss = {0, 0, 10'000, 50'000, 200'000};
  constexpr std::array<std::uint32_t, 4> kDuplicate = {0, 0, 10'000, 100'000};
  s.network.loss_ppm = kLoss[rng.below(kLoss.size())];
  s.network.duplicate_ppm = kDuplicate[rng.below(kDuplicate.size())];

  // Faults happen within a few time units and heal by GST; a unit is a few round timeouts.
  const Time unit = std::max<Time>(250 * kMillis, 40 * s.network.latency.max_one_way());
  Time gst = s.network.loss_ppm > 0 || s.network.duplicate_ppm > 0 ? rng.between(2, 6) * unit : 0;
  for (std::uint64_t i = rng.below(3); i > 0; --i) {
    Partition p;
    p.side =
        pick(rng, validators, static_cast<std::uint32_t>(rng.between(1, std::max<std::uint32_t>(1, validators - 1))));
    p.start = rng.between(0, 5 * unit / kMillis) * kMillis;
    p.heal = p.start + rng.between(unit / 2 / kMillis, 5 * unit / kMillis) * kMillis;
    gst = std::max(gst, p.heal);
    s.network.partitions.push_back(std::move(p));
  }
  std::vector<ValidatorIndex> honest;
  for (ValidatorIndex i = 0; i < validators; ++i)
    if (!std::binary_search(byzantine.begin(), byzantine.end(), i)) honest.push_back(i);
  for (std::uint64_t i = rng.below(3); i > 0 && !honest.empty(); --i) {
    CrashSpec c;
    c.node = honest[rng.below(honest.size())];
    c.at = rng.between(0, 6 * unit / kMillis) * kMillis;
    c.restart = c.at + rng.between(100, 4 * unit / kMillis) * kMillis;
    gst = std::max(gst, c.restart);
    s.crashes.push_back(c);
  }
  s.network.gst = gst;
  s.duration = gst + 4 * unit;
  return *resolve(std::move(s));
}

std::string_view name(consensus::SafetyMutation mutation) {
  switch (mutation) {
    case consensus::SafetyMutation::kNone: return "none";
    case consensus::SafetyMutation::kIgnoreLastVotedRound: return "ignore-last-voted-round";
    case consensus::SafetyMutation::kIgnoreTcHighQc: return "ignore-tc-high-qc";
  }
  return "?";
}

Result<consensus::SafetyMutation> parse_mutation(std::string_view text) {
  for (const auto m : kAllMutations)
    if (name(m) == text) return m;
  return bad_flag("--mutation (none, ignore-last-voted-round, ignore-tc-high-qc)", text);
}

}  // namespace bizra::sim
