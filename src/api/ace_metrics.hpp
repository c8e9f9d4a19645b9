#pragma once
// The ACE runtime's Prometheus metrics (../shared/spec/ace.md "Observability"):
//   bizra_ace_tasks_total{agent,type,status}          counter, per finished task
//   bizra_ace_task_duration_ms{agent,type,status}     histogram, submission to finish
//   bizra_ace_task_success_rate                       gauge, succeeded / finished (NaN before any)
//   bizra_ace_agents_active                           gauge, agents running at least one task
//   bizra_ace_agent_running_tasks{agent}              gauge
//   bizra_ace_queue_depth{level}                      gauge, queued tasks per level L1..L4
// "agent" is the agent serving the task's skill (meta for orchestrated goals).

#include "ace/engine.hpp"
#include "metrics/metrics.hpp"

namespace bizra::api {

// Registers the metrics and returns the listener that feeds the per-task ones: pass it to
// engine.add_listener before engine.start(). With a null engine (the runtime is off) the names are
// still exported, with their true values (no tasks, no agents), so dashboards and alerts keep
// working. `engine` must outlive the registry's use.
ace::TaskListener register_ace_metrics(metrics::Registry& registry, const ace::Engine* engine);

}  // namespace bizra::api
