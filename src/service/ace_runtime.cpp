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
#include "service/node_operations.hpp"

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

}  // namespace

Result<std::unique_ptr<AceRuntime>> AceRuntime::start(node::Node& node, crypto::SecretKey node_key,
                                                      const node::AceSettings& settings, metrics::Registry& registry,
                                                      http::WebSocketHub* hub, ace::TaskListener observer) {
  for (const auto& dir : {settings.evidence_dir, settings.backup_dir}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error("bad_config", "ace: cannot create " + dir.string() + ": " + ec.message());
  }
  std::unique_ptr<AceRuntime> rt(new AceRuntime());
  auto knowledge = ace::KnowledgeStore::open(node.mutable_store());
  if (!knowledge) return knowledge.error();
  rt->knowledge_ = std::move(*knowledge);
  rt->operations_ = make_node_operations(node, registry);
  auto planner = make_planner_backend(settings);
  if (!planner) return planner.error();

  auto reflection = ace::ReflectionAgent::open(*rt->knowledge_);
  if (!reflection) return reflection.error();
  ace::RoutePolicy* routes = reflection->get();
  auto operations = ace::make_operations_agent(
      *rt->operations_, ace::OperationsOptions{.backup_root = settings.backup_dir, .keep_backups = settings.backups_kept});
  if (!operations) return operations.error();

  std::vector<std::unique_ptr<ace::Agent>> agents;
  agents.push_back(std::make_unique<ace::MetaAgent>());
  ace::ArchitectOptions architect;
  architect.generator = std::move(*planner);
  agents.push_back(ace::make_architect_agent(std::move(architect)));
  agents.push_back(std::move(*reflection));
  agents.push_back(std::move(*operations));
  agents.push_back(std::make_unique<ace::MemoryAgent>(*rt->knowledge_));
  ace::SecurityOptions security;
  security.evidence_root = settings.evidence_dir;
  security.validation_context = [&node] { return node.validation_context(); };
  agents.push_back(ace::make_security_agent(std::move(security)));

  auto engine = ace::Engine::open(node.mutable_store(), std::move(node_key), std::move(agents), routes,
                                  ace::EngineOptions{.workers = settings.workers});
  if (!engine) return engine.error();
  rt->engine_ = std::move(*engine);
  rt->engine_->add_listener(api::register_ace_metrics(registry, rt->engine_.get()));
  if (hub != nullptr) rt->engine_->add_listener(publish_to(*hub));
  if (observer) rt->engine_->add_listener(std::move(observer));
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
