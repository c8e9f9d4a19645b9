#pragma once
// A tiny in-test network for the consensus Core: validators 0..n-1 (and full nodes after them)
// exchange messages through one FIFO queue, in order, on a virtual clock. When the queue is
// empty the earliest armed timer fires. Nodes can be taken down (they neither receive nor send).
// Deliberately simple: the deterministic simulator (src/sim) is the real adversarial test.

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "fixture.hpp"

namespace bizra::consensus::testing {

struct Envelope {
  ValidatorIndex to;
  ValidatorIndex from;
  Message message;
};

class Network {
 public:
  // `tweak`, if given, adjusts every node's config.
  Network(const std::vector<std::uint64_t>& weights, std::size_t full_nodes,
          const std::function<void(CoreConfig&)>& tweak = {})
      : committee(weights), payloads(weights.size() + full_nodes) {
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      const bool validator = i < weights.size();
      const std::optional<ValidatorIndex> self =
          validator ? std::optional<ValidatorIndex>(static_cast<ValidatorIndex>(i)) : std::nullopt;
      CoreConfig config = committee.config(self);
      if (tweak) tweak(config);
      cores.push_back(std::make_unique<Core>(std::move(config), committee.signer(self), payloads[i], RestoredState{}));
    }
    commits.resize(cores.size());
    log.resize(cores.size());
    timers.resize(cores.size());
  }

  std::size_t size() const { return cores.size(); }

  void start_all() {
    for (std::size_t i = 0; i < size(); ++i) {
      Outputs out;
      cores[i]->start(now, out);
      perform(static_cast<ValidatorIndex>(i), std::move(out));
    }
  }

  void deliver(const Envelope& e) {
    ++now;
    Outputs out;
    cores[e.to]->on_message(e.from, e.message, now, out);
    perform(e.to, std::move(out));
  }

  // Delivers the next message, or fires the earliest timer; false when nothing is left.
  bool step() {
    if (!queue.empty()) {
      const Envelope e = std::move(queue.front());
      queue.pop_front();
      if (!down.count(e.to) && !down.count(e.from)) deliver(e);
      return true;
    }
    std::optional<std::size_t> next;
    for (std::size_t i = 0; i < size(); ++i)
      if (timers[i] && !down.count(static_cast<ValidatorIndex>(i)) &&
          (!next || timers[i]->deadline_ms < timers[*next]->deadline_ms))
        next = i;
    if (!next) return false;
    const SetTimer timer = *timers[*next];
    timers[*next].reset();
    now = std::max(now, timer.deadline_ms);
    Outputs out;
    cores[*next]->on_timeout(timer.round, now, out);
    perform(static_cast<ValidatorIndex>(*next), std::move(out));
    return true;
  }

  // Steps until `done` holds; false if the step budget ran out first.
  bool run_until(const std::function<bool()>& done, std::size_t max_steps = 200'000) {
    for (std::size_t i = 0; i < max_steps; ++i) {
      if (done()) return true;
      if (!step()) return done();
    }
    return false;
  }

  // True when every node in `nodes` committed at least `height` blocks.
  bool all_committed(Height height, const std::set<ValidatorIndex>& nodes) const {
    for (ValidatorIndex i : nodes)
      if (commits[i].size() < height) return false;
    return true;
  }

  Committee committee;
  std::deque<TestPayloads> payloads;  // stable addresses: cores hold references
  std::vector<std::unique_ptr<Core>> cores;
  std::vector<std::vector<Block>> commits;  // each node's committed blocks, ascending
  std::vector<Outputs> log;                 // every output of each node
  std::vector<std::optional<SetTimer>> timers;
  std::deque<Envelope> queue;
  std::set<ValidatorIndex> down;
  std::uint64_t now = 10'000;
  bool commits_contiguous = true;

 private:
  void perform(ValidatorIndex node, Outputs out) {
    for (Output& o : out) {
      if (auto* send = std::get_if<SendTo>(&o)) {
        queue.push_back({send->to, node, send->message});
      } else if (auto* broadcast = std::get_if<Broadcast>(&o)) {
        for (std::size_t to = 0; to < size(); ++to)
          if (to != node) queue.push_back({static_cast<ValidatorIndex>(to), node, broadcast->message});
      } else if (auto* request = std::get_if<RequestBlocks>(&o)) {
        queue.push_back({request->from, node, request->request});
      } else if (auto* commit = std::get_if<Commit>(&o)) {
        for (const Block& b : commit->blocks) {
          commits_contiguous = commits_contiguous && b.header.height == commits[node].size() + 1;
          commits[node].push_back(b);
        }
      } else if (auto* timer = std::get_if<SetTimer>(&o)) {
        timers[node] = *timer;
      }
      log[node].push_back(std::move(o));
    }
  }
};

}  // namespace bizra::consensus::testing
