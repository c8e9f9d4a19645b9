#include "service/ace_runtime.hpp"

#include "ace/architect_agent.hpp"
#include "ace/llm.hpp"
#include "ace/memory_agent.hpp"
#include "ace/meta_agent.hpp"
#include "ace/reflection_agent.hpp"
#include "ace/security_agent.hpp"
#include "api/ace_metrics.hpp"
#include "api/queries.hpp"
#include "base/file.hpp"
#include "base/log.hpp"
#include "service/node_operations.hpp"
#include "service/receipt_attestation.hpp"

namespace bizra::service {
namespace {

constexpr std::size_t kMaxLlmKeyBytes = 4096;

std::string_view event_name(ace::TaskEvent::Kind kind) {
  switch (kind) {
    case ace::TaskEvent::Kind::kQueued: return "queued";
    case ace::TaskEvent::Kind::kStarted: return "started";
    case ace::TaskEvent::Kind::kFinished: return "finished";
  }
  return "unknown";
}

// One "ace" WebSocket event per task state change: enough to follow a plan step by step; the
// full task (output, receipt) is GET /ace/tasks/{id}.
ace::TaskListener publish_to(http::WebSocketHub& hub) {
  return [&hub](const ace::TaskEvent& e) {
    api::JsonObject event;
    event.str("event", event_name(e.kind))
        .str("id", e.task.id)
        .str("skill", e.task.request.skill)
        .str("type", ace::task_type_name(e.task.request.type))
        .str("status", ace::task_status_name(e.task.status))
        .str("agent", ace::agent_name(e.agent));
    if (!e.task.parent_id.empty()) event.str("parent_id", e.task.parent_id);
    if (e.kind == ace::TaskEvent::Kind::kFinished) {
      event.num("duration_us", static_cast<std::uint64_t>(e.duration.count()));
      if (e.task.error) event.str("error_code", e.task.error->code());
    }
    hub.publish("ace", event.done());
  };
}

// A receipt turned into an attestation ([ace] attest_receipts): logged, and an "attested" event
// on the "ace" topic with the attestation id to follow (GET /api/v1/poi/attestation/{id}).
void report_attestation(http::WebSocketHub* hub, const std::string& task_id, const Result<std::string>& attestation) {
  if (!attestation) {
    log::warn("ace receipt not attested", {{"task", task_id}, {"error", attestation.error().to_string()}});
    return;
  }
  log::info("ace receipt attested", {{"task", task_id}, {"attestation", *attestation}});
  if (hub != nullptr)
    hub->publish("ace", api::JsonObject().str("event", "attested").str("id", task_id).str("attestation_id", *attestation).done());
}

// The Architect's LLM planner, when [ace] llm is set.
Result<std::shared_ptr<ace::TextGenerator>> make_planner_backend(const node::AceSettings& s) {
  if (s.llm.empty()) return std::shared_ptr<ace::TextGenerator>();
  ace::LlmConfig config;
  config.kind = s.llm;
  config.url = s.llm_url;
  config.model = s.llm_model;
  config.timeout = std::chrono::milliseconds(s.llm_timeout_ms);
  if (!s.llm_api_key_file.empty()) {
    auto key = read_bounded_file(s.llm_api_key_file, kMaxLlmKeyBytes);
    if (!key) return Error("bad_config", "ace.llm_api_key_file: " + key.error().to_string());
    config.api_key = std::move(*key);
    while (!config.api_key.empty() && (config.api_key.back() == '\n' || config.api_key.back() == '\r'))
      config.api_key.pop_back();
  }
  auto generator = ace::make_text_generator(std::move(config));
  if (!generator) return generator.error();
  return std::shared_ptr<ace::TextGenerator>(std::move(*generator));
}

Status create_directories(const node::AceSettings& settings) {
  for (const auto& dir : {settings.evidence_dir, settings.backup_dir}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error("bad_config", "ace: cannot create " + dir.string() + ": " + ec.message());
  }
  return ok_status();
}

}  // namespace

// The six agents, in kAllAgents order; `routes` is set to Reflection's route policy.
Result<std::vector<std::unique_ptr<ace::Agent>>> AceRuntime::make_agents(node::Node& node,
                                                                        const node::AceSettings& settings,
                                                                        ace::RoutePolicy*& routes) {
  auto planner = make_planner_backend(settings);
  if (!planner) return planner.error();
  auto reflection = ace::ReflectionAgent::open(*knowledge_);
  if (!reflection) return reflection.error();
  routes = reflection->get();
  auto operations = ace::make_operations_agent(
      *operations_, ace::OperationsOptions{.backup_root = settings.backup_dir, .keep_backups = settings.backups_kept});
  if (!operations) return operations.error();
  ace::ArchitectOptions architect;
  architect.generator = std::move(*planner);
  ace::SecurityOptions security;
  security.evidence_root = settings.evidence_dir;
  security.validation_context = [&node] { return node.validation_context(); };

  std::vector<std::unique_ptr<ace::Agent>> agents;
  agents.push_back(std::make_unique<ace::MetaAgent>());
  agents.push_back(ace::make_architect_agent(std::move(architect)));
  agents.push_back(std::move(*reflection));
  agents.push_back(std::move(*operations));
  agents.push_back(std::make_unique<ace::MemoryAgent>(*knowledge_));
  agents.push_back(ace::make_security_agent(std::move(security)));
  return agents;
}

// Metrics, the WebSocket topic, the caller's observer and receipt attestations: every listener
// is added before the engine starts.
void AceRuntime::add_listeners(node::Node& node, const crypto::SecretKey& node_key, const node::AceSettings& settings,
                               metrics::Registry& registry, http::WebSocketHub* hub, ace::TaskListener observer) {
  engine_->add_listener(api::register_ace_metrics(registry, engine_.get()));
  if (hub != nullptr) engine_->add_listener(publish_to(*hub));
  if (observer) engine_->add_listener(std::move(observer));
  if (settings.attest_receipts)
    engine_->add_listener(attest_receipts(node, node_key, [hub](const std::string& task, const Result<std::string>& id) {
      report_attestation(hub, task, id);
    }));
}

Result<std::unique_ptr<AceRuntime>> AceRuntime::start(node::Node& node, crypto::SecretKey node_key,
                                                      const node::AceSettings& settings, metrics::Registry& registry,
                                                      http::WebSocketHub* hub, ace::TaskListener observer) {
  BIZRA_TRY(create_directories(settings));
  std::unique_ptr<AceRuntime> rt(new AceRuntime());
  auto knowledge = ace::KnowledgeStore::open(node.mutable_store());
  if (!knowledge) return knowledge.error();
  rt->knowledge_ = std::move(*knowledge);
  rt->operations_ = make_node_operations(node, registry);
  ace::RoutePolicy* routes = nullptr;
  auto agents = rt->make_agents(node, settings, routes);
  if (!agents) return agents.error();
  // The engine signs receipts with the node key and takes its own copy; the listeners get theirs.
  auto engine_key = crypto::SecretKey::from_seed(node_key.seed());
  if (!engine_key) return engine_key.error();
  auto engine = ace::Engine::open(node.mutable_store(), std::move(*engine_key), std::move(*agents), routes,
                                  ace::EngineOptions{.workers = settings.workers});
  if (!engine) return engine.error();
  rt->engine_ = std::move(*engine);
  rt->add_listeners(node, node_key, settings, registry, hub, std::move(observer));
  rt->engine_->start();
  rt->scheduler_ = std::make_unique<SatScheduler>(
      *rt->engine_,
      std::vector<SatJob>{{"operations.health", std::chrono::seconds(settings.health_interval_s), 10'000},
                          {"operations.backup", std::chrono::seconds(settings.backup_interval_s), 600'000}});
  rt->scheduler_->start();
  return rt;
}

AceRuntime::~AceRuntime() {
  scheduler_.reset();
  if (engine_) engine_->stop();
}

}  // namespace bizra::service
