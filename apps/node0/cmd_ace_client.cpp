// node0 ace run / node0 ace task: a client of a running node's ACE routes (docs/ace.md).
//
//   node0 ace run --goal "health check" --token-file devnet/api.key --wait 10000 --receipt-out r.json
//   node0 ace run --skill memory.recall --input '{"query":"backup"}' --token-file devnet/api.key
//   node0 ace task <id> [--receipt-out r.json]
//
// Exit code: 0 the task succeeded (or, without --wait, was queued), 1 it finished otherwise or is
// still running when the wait ran out, 2 the request could not be made or was refused.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "ace/task.hpp"
#include "base/file.hpp"
#include "codec/jcs.hpp"
#include "codec/json.hpp"
#include "commands.hpp"
#include "http/client.hpp"
#include "http/message.hpp"
#include "node/genesis.hpp"

namespace node0 {
namespace {

using namespace bizra;

constexpr std::size_t kMaxTokenFileBytes = 4096;

struct Endpoint {
  std::string api = "http://127.0.0.1:3006";
  std::string token_file;
  std::string receipt_out;
  std::uint32_t wait_ms = 30'000;
};

struct RunOptions {
  Endpoint endpoint;
  std::string goal, skill, input = "{}", type = "APT", idempotency_key;
  std::uint32_t priority = 5, deadline_ms = 30'000;
};

http::Client connect(const Endpoint& e, std::uint32_t extra_ms) {
  std::string url = e.api;
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto hp = must(node::parse_host_port(url), "--api");
  return http::Client(hp.first, hp.second, std::chrono::milliseconds(10000 + extra_ms));
}

// The bearer token: --token-file, else $BIZRA_API_KEY. Never printed.
std::vector<std::pair<std::string, std::string>> auth_headers(const Endpoint& e) {
  std::string token;
  if (!e.token_file.empty()) {
    token = must(read_bounded_file(e.token_file, kMaxTokenFileBytes), "--token-file");
  } else if (const char* env = std::getenv("BIZRA_API_KEY")) {
    token = env;
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

// The request body: skill (meta.orchestrate with --goal), input (--input, plus "goal").
std::string request_body(const RunOptions& o) {
  auto input = must(json::parse(o.input), "--input");
  if (!input.is_object()) fail("--input must be a JSON object");
  std::vector<json::Value::Member> members = input.members();
  if (!o.goal.empty()) {
    if (input.find("goal") != nullptr) fail("--goal and an input \"goal\" member: give one");
    members.emplace_back("goal", json::Value::string(o.goal));
  }
  const std::string skill = !o.skill.empty() ? o.skill : "meta.orchestrate";
  if (skill == "meta.orchestrate" && o.goal.empty() && input.find("goal") == nullptr)
    fail("meta.orchestrate needs a goal: --goal TEXT (or --skill for a single skill)");
  std::vector<json::Value::Member> body;
  body.emplace_back("type", json::Value::string(o.type));
  body.emplace_back("skill", json::Value::string(skill));
  body.emplace_back("input", json::Value::object(std::move(members)));
  body.emplace_back("priority", json::Value::number(std::to_string(o.priority), o.priority));
  body.emplace_back("deadline_ms", json::Value::number(std::to_string(o.deadline_ms), o.deadline_ms));
  if (!o.idempotency_key.empty()) body.emplace_back("idempotency_key", json::Value::string(o.idempotency_key));
  return jcs::serialize(json::Value::object(std::move(body)));
}

// Prints the task, saves its receipt when asked, and ends with the exit code of its state.
[[noreturn]] void finish(const Endpoint& e, const http::Response& response) {
  if (response.status >= 300) {
    std::cerr << "error: HTTP " << response.status << ": " << response.body << "\n";
    throw ExitWithCode{kExitError};
  }
  std::cout << response.body << "\n";
  auto task = must(json::parse(response.body), "the node's answer");
  const json::Value* status = task.find("status");
  const std::string state = status != nullptr ? status->as_string() : "";
  const json::Value* receipt = task.find("receipt");
  if (!e.receipt_out.empty()) {
    if (receipt == nullptr) fail("the task has no receipt yet (state " + state + "): try node0 ace task ID later");
    must(write_file_atomic(e.receipt_out, jcs::serialize(*receipt) + "\n"), "--receipt-out");
    std::cerr << "receipt written to " << e.receipt_out << "\n";
  }
  const bool good = state == "succeeded" || (state == "queued" && e.wait_ms == 0);
  throw ExitWithCode{good ? 0 : 1};
}

void run(const RunOptions& o) {
  const std::string body = request_body(o);
  if (!ace::task_type_from_name(o.type)) fail("--type must be APT, AST or SAT");
  auto client = connect(o.endpoint, o.endpoint.wait_ms);
  const std::string target = "/ace/orchestrate?wait=" + std::to_string(o.endpoint.wait_ms);
  finish(o.endpoint, must(client.request("POST", target, body, "application/json", auth_headers(o.endpoint)), "POST /ace/orchestrate"));
}

void show(const Endpoint& e, const std::string& id) {
  if (id.empty() || id.size() > 64 || id.find_first_not_of("0123456789abcdef") != std::string::npos)
    fail("task id: expected lowercase hex");
  auto client = connect(e, 0);
  finish(e, must(client.request("GET", "/ace/tasks/" + id), "GET /ace/tasks"));
}

void add_endpoint_flags(CLI::App& cmd, Endpoint& e) {
  cmd.add_option("--api", e.api, "The node's API base URL")->capture_default_str();
  cmd.add_option("--receipt-out", e.receipt_out, "Write the task's signed receipt (JSON) to this file");
}

}  // namespace

void add_ace_client_commands(CLI::App& ace) {
  auto run_options = std::make_shared<RunOptions>();
  CLI::App* r = ace.add_subcommand("run", "Submit a task to a running node (POST /ace/orchestrate) and wait for it");
  add_endpoint_flags(*r, run_options->endpoint);
  r->add_option("--token-file", run_options->endpoint.token_file, "File holding the API key (else $BIZRA_API_KEY)");
  r->add_option("--goal", run_options->goal, "A goal for the Architect to plan (skill meta.orchestrate)");
  r->add_option("--skill", run_options->skill, "Run one skill instead, e.g. memory.recall");
  r->add_option("--input", run_options->input, "The skill's input (a JSON object; with --goal: its parameters)")
      ->capture_default_str();
  r->add_option("--type", run_options->type, "APT, AST or SAT")->capture_default_str();
  r->add_option("--priority", run_options->priority, "0..9, higher first")->check(CLI::Range(0, 9))->capture_default_str();
  r->add_option("--deadline-ms", run_options->deadline_ms, "Deadline from submission")
      ->check(CLI::Range(1u, ace::kMaxDeadlineMs))
      ->capture_default_str();
  r->add_option("--idempotency-key", run_options->idempotency_key, "Resubmitting the same key returns the first task");
  r->add_option("--wait", run_options->endpoint.wait_ms, "Wait up to this many ms for the task to finish (0: don't)")
      ->check(CLI::Range(0, 60'000))
      ->capture_default_str();
  r->callback([run_options] { run(*run_options); });

  auto task_endpoint = std::make_shared<Endpoint>();
  auto task_id = std::make_shared<std::string>();
  CLI::App* t = ace.add_subcommand("task", "Show a task of a running node (GET /ace/tasks/{id})");
  add_endpoint_flags(*t, *task_endpoint);
  t->add_option("id", *task_id, "The task id")->required();
  t->callback([task_endpoint, task_id] {
    task_endpoint->wait_ms = 0;
    show(*task_endpoint, *task_id);
  });
}

}  // namespace node0
