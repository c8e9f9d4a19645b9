#include "sim/network.hpp"

#include <algorithm>

#include "sim/flags.hpp"

namespace bizra::sim {

LatencyModel LatencyModel::lan() { return {100 * kMicros, 500 * kMicros, 100 * kMicros}; }
LatencyModel LatencyModel::wan() { return {25 * kMillis, 100 * kMillis, 10 * kMillis}; }
LatencyModel LatencyModel::uniform(Time lo, Time hi) { return {lo, lo, hi - lo}; }

Result<LatencyModel> LatencyModel::parse(std::string_view text) {
  if (text == "lan") return lan();
  if (text == "wan") return wan();
  if (text.starts_with("uniform:")) {
    if (const auto range = parse_ms_range(text.substr(8))) return uniform(range->first, range->second);
  } else if (text.starts_with("fixed:")) {
    if (const auto ms = parse_ms(text.substr(6))) return uniform(*ms, *ms);
  } else if (text.starts_with("links:")) {
    const auto plus = text.find('+');
    if (plus != std::string_view::npos) {
      const auto range = parse_ms_range(text.substr(6, plus - 6));
      const auto jitter = parse_ms(text.substr(plus + 1));
      if (range && jitter) return LatencyModel{range->first, range->second, *jitter};
    }
  }
  return bad_flag("--latency (lan, wan, uniform:A-B, fixed:A or links:A-B+J in ms)", text);
}

std::string LatencyModel::to_text() const {
  if (*this == lan()) return "lan";
  if (*this == wan()) return "wan";
  if (link_min == link_max) {
    if (jitter == 0) return "fixed:" + ms_text(link_min);
    return "uniform:" + ms_text(link_min) + "-" + ms_text(link_min + jitter);
  }
  return "links:" + ms_text(link_min) + "-" + ms_text(link_max) + "+" + ms_text(jitter);
}

bool Partition::cuts(ValidatorIndex a, ValidatorIndex b, Time at) const {
  if (at < start || at >= heal) return false;
  const bool a_in = std::binary_search(side.begin(), side.end(), a);
  const bool b_in = std::binary_search(side.begin(), side.end(), b);
  return a_in != b_in;
}

Result<Partition> Partition::parse(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0) return bad_flag("--partition (I,J,...@START-HEAL in ms)", text);
  Partition partition;
  std::string_view nodes = text.substr(0, at);
  while (!nodes.empty()) {
    const auto comma = nodes.find(',');
    const auto node = parse_u64(nodes.substr(0, comma));
    if (!node || *node >= consensus::kMaxValidators) return bad_flag("--partition node", text);
    partition.side.push_back(static_cast<ValidatorIndex>(*node));
    nodes = comma == std::string_view::npos ? std::string_view{} : nodes.substr(comma + 1);
  }
  const auto range = parse_ms_range(text.substr(at + 1));
  if (!range) return bad_flag("--partition time range", text);
  std::sort(partition.side.begin(), partition.side.end());
  partition.side.erase(std::unique(partition.side.begin(), partition.side.end()), partition.side.end());
  partition.start = range->first;
  partition.heal = range->second;
  return partition;
}

std::string Partition::to_text() const {
  std::string text;
  for (const ValidatorIndex node : side) text += (text.empty() ? "" : ",") + std::to_string(node);
  return text + "@" + ms_text(start) + "-" + ms_text(heal);
}

Network::Network(NetworkConfig config, std::uint64_t seed, std::size_t nodes)
    : config_(std::move(config)), seed_(seed), uplink_free_(nodes, 0) {}

bool Network::cut(ValidatorIndex a, ValidatorIndex b, Time at) const {
  return std::any_of(config_.partitions.begin(), config_.partitions.end(),
                     [&](const Partition& p) { return p.cuts(a, b, at); });
}

Time Network::base_latency(ValidatorIndex a, ValidatorIndex b) const {
  const auto& latency = config_.latency;
  if (latency.link_max == latency.link_min) return latency.link_min;
  const std::uint64_t pair = (std::uint64_t{std::min(a, b)} << 32) | std::max(a, b);
  return latency.link_min + mix(seed_, pair) % (latency.link_max - latency.link_min + 1);
}

Time Network::leave_uplink(ValidatorIndex from, std::size_t bytes, Time now) {
  if (config_.uplink_bits_per_second == 0) return now;
  __extension__ typedef unsigned __int128 Wide;
  const Wide bits = static_cast<Wide>(bytes) * 8;
  const auto transmit = static_cast<Time>(bits * kSeconds / config_.uplink_bits_per_second);
  Time& free_at = uplink_free_[from];
  free_at = std::max(free_at, now) + transmit;
  return free_at;
}

std::vector<Time> Network::plan(ValidatorIndex from, ValidatorIndex to, std::size_t bytes, Time now, Rng& rng) {
  std::vector<Time> arrivals;
  const Time left = leave_uplink(from, bytes, now);
  if (cut(from, to, now)) return arrivals;
  const bool faulty = now < config_.gst;
  if (faulty && rng.chance(config_.loss_ppm)) return arrivals;
  const int copies = faulty && rng.chance(config_.duplicate_ppm) ? 2 : 1;
  const Time base = base_latency(from, to);
  for (int i = 0; i < copies; ++i) {
    const Time arrival = left + base + rng.between(0, config_.latency.jitter);
    if (!cut(from, to, arrival)) arrivals.push_back(arrival);
  }
  return arrivals;
}

}  // namespace bizra::sim
