#pragma once
// The simulated network: authenticated point-to-point links between validators with a latency
// distribution per link, loss, duplication, reordering and partitions that heal.
//
// Model (docs/consensus.md "Simulator"):
//  - Latency. Each link has a base one-way latency, drawn once per unordered pair of nodes from
//    [link_min, link_max] (a hash of the seed and the pair, so a link is symmetric and its base
//    does not depend on traffic); each message adds uniform jitter in [0, jitter]. Jitter larger
//    than the gap between two sends reorders them.
//  - Before GST (global stabilisation time) a message is lost with probability loss and
//    delivered twice with probability duplicate (the copy with its own jitter). After GST links
//    are reliable and every message arrives within max_one_way() (plus uplink queueing).
//  - A partition cuts every link between `side` and the other nodes during [start, heal): a
//    message is dropped if the link is cut when it is sent or when it would arrive.
//  - Uplink: optionally each node sends at most uplink_bits_per_second, one message after the
//    other (a leader's broadcast of a large proposal queues behind itself).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "consensus/types.hpp"
#include "sim/event_queue.hpp"
#include "sim/rng.hpp"

namespace bizra::sim {

using consensus::ValidatorIndex;

struct LatencyModel {
  Time link_min = 0;
  Time link_max = 0;
  Time jitter = 0;

  static LatencyModel lan();  // 0.1–0.5 ms one way, 0.1 ms jitter (one data centre)
  static LatencyModel wan();  // 25–100 ms one way, 10 ms jitter (continents; RTT 50–220 ms)
  static LatencyModel uniform(Time lo, Time hi);  // every message uniform in [lo, hi]
  Time max_one_way() const { return link_max + jitter; }
  // "lan", "wan", "uniform:A-B", "fixed:A" or "links:A-B+J" (link bases in [A, B], jitter J;
  // whole milliseconds). Errors: "bad_flag".
  static Result<LatencyModel> parse(std::string_view text);
  std::string to_text() const;  // parse(to_text()) gives this model back
  bool operator==(const LatencyModel&) const = default;
};

struct Partition {
  std::vector<ValidatorIndex> side;  // ascending
  Time start = 0;
  Time heal = 0;

  bool cuts(ValidatorIndex a, ValidatorIndex b, Time at) const;
  // "I,J,...@START-HEAL" (milliseconds). Errors: "bad_flag".
  static Result<Partition> parse(std::string_view text);
  std::string to_text() const;
  bool operator==(const Partition&) const = default;
};

struct NetworkConfig {
  LatencyModel latency = LatencyModel::lan();
  std::uint32_t loss_ppm = 0;       // before GST
  std::uint32_t duplicate_ppm = 0;  // before GST
  std::vector<Partition> partitions;
  Time gst = 0;
  std::uint64_t uplink_bits_per_second = 0;  // 0: unlimited
};

class Network {
 public:
  Network(NetworkConfig config, std::uint64_t seed, std::size_t nodes);

  // When the copies of a message of `bytes` bytes sent at `now` from `from` to `to` arrive:
  // none (lost or cut), one, or two (duplicated). Consumes `rng` only for this message.
  std::vector<Time> plan(ValidatorIndex from, ValidatorIndex to, std::size_t bytes, Time now, Rng& rng);

  bool cut(ValidatorIndex a, ValidatorIndex b, Time at) const;
  Time base_latency(ValidatorIndex a, ValidatorIndex b) const;

 private:
  Time leave_uplink(ValidatorIndex from, std::size_t bytes, Time now);

  NetworkConfig config_;
  std::uint64_t seed_;
  std::vector<Time> uplink_free_;  // per node: when its uplink finishes the queued messages
};

}  // namespace bizra::sim
