#include "service/sat_scheduler.hpp"

#include <algorithm>

namespace bizra::service {

SatScheduler::SatScheduler(ace::Engine& engine, std::vector<SatJob> jobs) : engine_(engine) {
  std::erase_if(jobs, [](const SatJob& job) { return job.period.count() <= 0; });
  jobs_ = std::move(jobs);
  last_period_.assign(jobs_.size(), -1);
}

void SatScheduler::start() {
  if (!jobs_.empty() && !thread_.joinable()) thread_ = std::thread([this] { run(); });
}

SatScheduler::~SatScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SatScheduler::tick(std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mu_);
  tick_locked(now);
}

void SatScheduler::tick_locked(std::chrono::system_clock::time_point now) {
  const auto unix_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  for (std::size_t i = 0; i < jobs_.size(); ++i) {
    const std::int64_t period = unix_s / jobs_[i].period.count();
    if (period == last_period_[i]) continue;
    ace::TaskRequest request;
    request.type = ace::TaskType::kSat;
    request.skill = jobs_[i].skill;
    request.priority = 3;  // below interactive work of the same level
    request.deadline_ms = jobs_[i].deadline_ms;
    request.idempotency_key = "sat:" + jobs_[i].skill + ":" + std::to_string(period);
    request.requester = "node";
    // A full queue or a stopping engine skips this period; the next one tries again.
    if (engine_.submit(std::move(request)).ok()) last_period_[i] = period;
  }
}

void SatScheduler::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    tick_locked(std::chrono::system_clock::now());
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

}  // namespace bizra::service
