#include "api/ace_metrics.hpp"

#include <limits>
#include <string>

namespace bizra::api {
namespace {

// Milliseconds: an L1 security check takes well under one, an orchestrated plan seconds, and a
// deadline may be minutes away.
const std::vector<double> kDurationBucketsMs = {0.1, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500,
                                                1000, 2000, 5000, 10000, 30000, 60000, 300000};

void register_state_gauges(metrics::Registry& r, const ace::Engine* engine) {
  auto& active = r.gauge("bizra_ace_agents_active", "ACE agents running at least one task");
  auto& running = r.gauge("bizra_ace_agent_running_tasks", "ACE tasks running, per agent", {"agent"});
  auto& queued = r.gauge("bizra_ace_queue_depth", "ACE tasks queued, per level", {"level"});
  for (ace::AgentKind kind : ace::kAllAgents) running.with({std::string(ace::agent_name(kind))}).set(0);
  for (int level = 1; level <= 4; ++level) queued.with({"L" + std::to_string(level)}).set(0);
  if (engine == nullptr) return;
  r.on_collect([engine, &active, &running, &queued] {
    const ace::EngineStatus s = engine->status();
    double busy = 0;
    for (const ace::AgentState& a : s.agents) {
      running.with({std::string(ace::agent_name(a.kind))}).set(static_cast<double>(a.running));
      busy += a.running > 0 ? 1 : 0;
    }
    active.with({}).set(busy);
    for (std::size_t level = 0; level < 4; ++level)
      queued.with({"L" + std::to_string(level + 1)}).set(static_cast<double>(s.queue_depth[level]));
  });
}

}  // namespace

ace::TaskListener register_ace_metrics(metrics::Registry& r, const ace::Engine* engine) {
  register_state_gauges(r, engine);
  r.gauge_callback("bizra_ace_task_success_rate", "Share of finished ACE tasks that succeeded (NaN: none yet)",
                   [engine] {
                     const ace::EngineStatus s = engine ? engine->status() : ace::EngineStatus{};
                     return s.finished == 0 ? std::numeric_limits<double>::quiet_NaN()
                                            : static_cast<double>(s.succeeded) / static_cast<double>(s.finished);
                   });
  auto& total = r.counter("bizra_ace_tasks_total", "Finished ACE tasks", {"agent", "type", "status"});
  auto& duration = r.histogram("bizra_ace_task_duration_ms", "ACE task duration from submission to finish",
                               kDurationBucketsMs, {"agent", "type", "status"});
  return [&total, &duration](const ace::TaskEvent& e) {
    if (e.kind != ace::TaskEvent::Kind::kFinished) return;
    const std::vector<std::string> labels = {std::string(ace::agent_name(e.agent)),
                                             std::string(ace::task_type_name(e.task.request.type)),
                                             std::string(ace::task_status_name(e.task.status))};
    total.with(labels).inc();
    duration.with(labels).observe(static_cast<double>(e.duration.count()) / 1000.0);
  };
}

}  // namespace bizra::api
