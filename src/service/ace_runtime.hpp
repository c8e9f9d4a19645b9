#pragma once
// The ACE runtime as a node runs it (../shared/spec/ace.md, docs/ace.md): the knowledge store,
// the six agents (with the LLM planner when [ace] llm is set), the engine over the node's own
// store and key, the SAT scheduler, the ACE metrics and the WebSocket topic "ace".

#include <memory>

#include "ace/engine.hpp"
#include "ace/knowledge.hpp"
#include "ace/operations_agent.hpp"
#include "http/websocket.hpp"
#include "metrics/metrics.hpp"
#include "node/config.hpp"
#include "node/node.hpp"
#include "service/sat_scheduler.hpp"

namespace bizra::service {

class AceRuntime {
 public:
  // Builds everything and starts the engine and the scheduler. `node`, `registry` and `hub` (may
  // be null: no WebSocket events) must outlive the runtime; `observer` (may be empty) gets every
  // task event too (benchmarks). Errors: "bad_config" (an unreadable LLM key file, a bad LLM URL),
  // storage errors while recovering task records.
  static Result<std::unique_ptr<AceRuntime>> start(node::Node& node, crypto::SecretKey node_key,
                                                   const node::AceSettings& settings, metrics::Registry& registry,
                                                   http::WebSocketHub* hub, ace::TaskListener observer = {});
  ~AceRuntime();  // stops the scheduler, then the engine
  AceRuntime(const AceRuntime&) = delete;
  AceRuntime& operator=(const AceRuntime&) = delete;

  ace::Engine& engine() { return *engine_; }

 private:
  AceRuntime() = default;
  Result<std::vector<std::unique_ptr<ace::Agent>>> make_agents(node::Node& node, const node::AceSettings& settings,
                                                               ace::RoutePolicy*& routes);
  void add_listeners(node::Node& node, const crypto::SecretKey& node_key, const node::AceSettings& settings,
                     metrics::Registry& registry, http::WebSocketHub* hub, ace::TaskListener observer);

  std::unique_ptr<ace::KnowledgeStore> knowledge_;
  std::unique_ptr<ace::NodeOperations> operations_;
  std::unique_ptr<ace::Engine> engine_;
  std::unique_ptr<SatScheduler> scheduler_;
};

}  // namespace bizra::service
