#pragma once
// SAT tasks (../shared/spec/ace.md): autonomous system tasks the node starts itself, on a fixed
// period each (periodic health report, periodic backup).
//
// Each submission carries the idempotency key "sat:<skill>:<period index>", the period index
// being the Unix time divided by the period: a node restarted within a period does not run the
// same job twice, and two schedulers can never double-submit one slot.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ace/engine.hpp"

namespace bizra::service {

struct SatJob {
  std::string skill;  // e.g. "operations.health"
  std::chrono::seconds period;
  std::uint32_t deadline_ms = 60'000;
};

class SatScheduler {
 public:
  // `engine` must outlive the scheduler. Jobs with a zero period are ignored.
  SatScheduler(ace::Engine& engine, std::vector<SatJob> jobs);
  ~SatScheduler();  // stops and joins

  // Starts the thread that ticks once a second with the system clock.
  void start();
  SatScheduler(const SatScheduler&) = delete;
  SatScheduler& operator=(const SatScheduler&) = delete;

  // Submits every job whose current period has not been submitted yet; called by the scheduler
  // thread, and by tests (without start()) with a chosen time.
  void tick(std::chrono::system_clock::time_point now);

 private:
  void run();
  void tick_locked(std::chrono::system_clock::time_point now);  // holds mu_

  ace::Engine& engine_;
  std::vector<SatJob> jobs_;
  std::mutex mu_;                          // last_period_, stopping_
  std::vector<std::int64_t> last_period_;  // per job; -1: none yet
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bizra::service
