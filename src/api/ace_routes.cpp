#include "api/ace_routes.hpp"

#include <charconv>
#include <map>

#include "api/queries.hpp"
#include "base/hex.hpp"
#include "http/message.hpp"

namespace bizra::api {
namespace {

using http::Request;
using http::Response;

constexpr std::uint32_t kMaxWaitMs = 60'000;

int status_for_ace(std::string_view code) {
  if (code == "queue_full" || code == "stopped") return 503;
  if (code == "not_found") return 404;
  if (code == "already_finished") return 409;
  if (code == "too_large") return 413;
  if (code == "bad_request" || code == "bad_json" || code == "unknown_skill") return 400;
  return 500;  // storage errors: the task may not have been recorded
}

Response ace_error(const Error& error) {
  Response r = Response::error(status_for_ace(error.code()), error.code(), error.message());
  if (error.code() == "queue_full") r.headers.emplace_back("Retry-After", "1");
  return r;
}

// ?wait=ms: absent → 0; a decimal up to kMaxWaitMs; anything else is a client error.
Result<std::uint32_t> wait_ms(const Request& request) {
  const auto text = request.query_param("wait");
  if (!text) return 0u;
  std::uint32_t ms = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
  if (ec != std::errc() || end != text->data() + text->size() || ms > kMaxWaitMs)
    return Error("bad_request", "wait must be 0.." + std::to_string(kMaxWaitMs) + " milliseconds");
  return ms;
}

Response orchestrate(ace::Engine& engine, const Request& request) {
  auto wait = wait_ms(request);
  if (!wait) return ace_error(wait.error());
  auto task = ace::parse_task_request(request.body, "api:" + request.remote_ip);
  if (!task) return ace_error(task.error());
  auto id = engine.submit(std::move(*task));
  if (!id) return ace_error(id.error());
  if (*wait > 0) {
    const auto view = engine.wait(*id, std::chrono::milliseconds(*wait));
    if (view) return Response::json(ace::is_finished(view->status) ? 200 : 202, ace::task_json(*view));
  }
  return Response::json(202, JsonObject().str("id", *id).str("status", "queued").str("href", "/ace/tasks/" + *id).done());
}

Response task(const ace::Engine& engine, const Request& request) {
  const std::string_view id = request.param("id").value_or("");
  const auto view = engine.get(id);
  if (!view) return Response::error(404, "not_found", "no ACE task " + std::string(id));
  return Response::json(200, ace::task_json(*view));
}

Response cancel(ace::Engine& engine, const Request& request) {
  const std::string_view id = request.param("id").value_or("");
  if (auto status = engine.cancel(id); !status) return ace_error(status.error());
  const auto view = engine.get(id);
  return Response::json(200, view ? ace::task_json(*view) : JsonObject().str("id", id).done());
}

Response unavailable(const Request&) {
  return Response::error(503, "ace_unavailable", "the ACE runtime is not enabled on this node ([ace] enabled)");
}

std::string string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? "," : "") + http::json_quote(item);
  return out + "]";
}

}  // namespace

std::string ace_status_json(const ace::Engine& engine) {
  const ace::EngineStatus s = engine.status();
  JsonObject queues;
  for (std::size_t level = 0; level < 4; ++level) queues.num("L" + std::to_string(level + 1), s.queue_depth[level]);
  std::string running = "{";
  for (const ace::AgentState& a : s.agents)
    running += (running.size() > 1 ? "," : "") + http::json_quote(ace::agent_name(a.kind)) + ":" + std::to_string(a.running);
  // Success rate in per-mille: the API stays integer-only like the rest of the node's JSON.
  const std::uint64_t rate = s.finished == 0 ? 0 : s.succeeded * 1000 / s.finished;
  return JsonObject()
      .raw("queues", queues.done())
      .raw("running_by_agent", running + "}")
      .num("running", s.running)
      .num("submitted", s.submitted)
      .num("finished", s.finished)
      .num("succeeded", s.succeeded)
      .num("success_rate_permille", rate)
      .str("node_pubkey", hex::encode(engine.node_public_key().bytes))
      .done();
}

std::string ace_agents_json(const ace::Engine& engine) {
  std::map<std::string, std::vector<std::string>, std::less<>> skills_by_agent;
  for (const std::string& skill : engine.skills())
    if (auto kind = ace::agent_for_skill(skill)) skills_by_agent[std::string(ace::agent_name(*kind))].push_back(skill);
  std::string out = "{\"agents\":[";
  bool first = true;
  for (const ace::AgentState& a : engine.status().agents) {
    const std::string name(ace::agent_name(a.kind));
    out += (first ? "" : ",") + JsonObject()
                                    .str("name", name)
                                    .str("display_name", ace::agent_display_name(a.kind))
                                    .str("level", "L" + std::to_string(static_cast<int>(ace::agent_level(a.kind))))
                                    .num("latency_budget_ms", static_cast<std::uint64_t>(ace::latency_budget(a.kind).count()))
                                    .raw("skills", string_array(skills_by_agent[name]))
                                    .num("running", a.running)
                                    .num("succeeded", a.succeeded)
                                    .num("failed", a.failed)
                                    .done();
    first = false;
  }
  return out + "]}";
}

void mount_ace_routes(http::Router& router, ace::Engine* engine) {
  const http::RouteOptions write{.max_body_bytes = ace::kMaxTaskInputBytes + 4096, .requires_auth = true, .rate_limited = true};
  const http::RouteOptions authorized{.requires_auth = true, .rate_limited = true};
  if (engine == nullptr) {
    router.add("GET", "/ace/status", unavailable);
    router.add("GET", "/ace/agents", unavailable);
    router.add("POST", "/ace/orchestrate", unavailable, write);
    router.add("GET", "/ace/tasks/{id}", unavailable);
    router.add("POST", "/ace/tasks/{id}/cancel", unavailable, authorized);
    return;
  }
  router.add("GET", "/ace/status", [engine](const Request&) { return Response::json(200, ace_status_json(*engine)); });
  router.add("GET", "/ace/agents", [engine](const Request&) { return Response::json(200, ace_agents_json(*engine)); });
  router.add("POST", "/ace/orchestrate", [engine](const Request& r) { return orchestrate(*engine, r); }, write);
  router.add("GET", "/ace/tasks/{id}", [engine](const Request& r) { return task(*engine, r); });
  router.add("POST", "/ace/tasks/{id}/cancel", [engine](const Request& r) { return cancel(*engine, r); }, authorized);
}

}  // namespace bizra::api
