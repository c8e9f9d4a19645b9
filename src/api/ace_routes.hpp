#pragma once
// The ACE routes (../shared/spec/api.md, ace.md):
//
//   GET  /ace/status              queue depths per level, running tasks, totals, success rate
//   GET  /ace/agents              the six agents: level, latency budget, skills, running, outcomes
//   POST /ace/orchestrate         submit a task (bearer token): 202 {id, status, href}; with
//                                 ?wait=ms (≤ 60 000) the answer waits for the task: 200 with the
//                                 finished task, or 202 with its state when the wait ran out
//   GET  /ace/tasks/{id}          a task: state, output or error, agent path, timings, receipt
//   POST /ace/tasks/{id}/cancel   cancel a queued or running task (bearer token)
//
// A node without the runtime ([ace] enabled = false) answers every route 503 "ace_unavailable".

#include "ace/engine.hpp"
#include "http/router.hpp"

namespace bizra::api {

// `engine` may be null (the runtime is off); otherwise it must outlive the router's use.
void mount_ace_routes(http::Router& router, ace::Engine* engine);

// The JSON bodies of /ace/status and /ace/agents (shared with the WebSocket and CLI).
std::string ace_status_json(const ace::Engine& engine);
std::string ace_agents_json(const ace::Engine& engine);

}  // namespace bizra::api
