#pragma once
// The simulator's virtual time and its event queue.
//
// Events are ordered by (time, sequence number): two events at the same virtual instant run in
// the order they were scheduled, so a run is a pure function of its seed and never depends on
// how a heap happens to break ties.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace bizra::sim {

// Virtual nanoseconds since the start of the run.
using Time = std::uint64_t;
inline constexpr Time kMicros = 1'000;
inline constexpr Time kMillis = 1'000'000;
inline constexpr Time kSeconds = 1'000'000'000;

template <typename Payload>
class EventQueue {
 public:
  struct Entry {
    Time time = 0;
    std::uint64_t sequence = 0;
    Payload payload;
  };

  void schedule(Time at, Payload payload) {
    heap_.push_back(Entry{at, next_sequence_++, std::move(payload)});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  Time next_time() const { return heap_.front().time; }  // !empty()

  Entry pop() {  // !empty()
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Entry entry = std::move(heap_.back());
    heap_.pop_back();
    return entry;
  }

 private:
  // std::push_heap builds a max-heap; "later" as less-than puts the earliest entry on top.
  static bool later(const Entry& a, const Entry& b) {
    return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
  }

  std::vector<Entry> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace bizra::sim
