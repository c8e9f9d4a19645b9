#pragma once
// Subcommands of the node0 CLI. Each add_* registers one subcommand (and its flags) on the app;
// the work itself lives in the src/ modules, so this layer only parses and prints.

#include <CLI/CLI.hpp>
#include <signal.h>

#include <string>
#include <string_view>
#include <utility>

#include "base/error.hpp"

namespace node0 {

// Exit code of a command that could not run (bad flags, unreadable files, a failed start); 1 is
// a command's negative verdict (e.g. `attest verify` of an invalid document).
inline constexpr int kExitError = 2;

// Ends the command with `what` on stderr and exit code kExitError.
[[noreturn]] inline void fail(const std::string& what) { throw CLI::RuntimeError(what, kExitError); }

// The value, or fail() with the error ("context: code: message").
template <typename T>
T must(bizra::Result<T> result, std::string_view context = {}) {
  if (!result) fail(context.empty() ? result.error().to_string() : result.error().with_context(context).to_string());
  return std::move(*result);
}
inline void must(bizra::Status status, std::string_view context = {}) {
  if (!status) fail(context.empty() ? status.error().to_string() : status.error().with_context(context).to_string());
}

// Thrown by a command that has already printed its verdict and only needs to set the exit code
// (e.g. `attest verify` printing "bad_nonce: ..."): main returns `code` and prints nothing more.
struct ExitWithCode {
  int code;
};

// Blocks SIGINT and SIGTERM in this thread and every thread it starts later (call it before
// starting any), so that the command can sigwait() for them. Their dispositions are reset to the
// default first: a process started in the background by a shell inherits SIGINT ignored, and an
// ignored signal is discarded, never delivered to sigwait().
inline sigset_t block_stop_signals() {
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void add_version_command(CLI::App& app);
void add_keygen_command(CLI::App& app);
void add_attest_command(CLI::App& app);
void add_sim_command(CLI::App& app);
void add_node_commands(CLI::App& app);    // init, genesis, run
void add_devnet_commands(CLI::App& app);  // devnet, load
void add_ace_command(CLI::App& app);       // ace run, task, verify-receipt
void add_ace_client_commands(CLI::App& ace);  // ace run, task (cmd_ace_client.cpp)
void add_bench_command(CLI::App& app);    // bench: runs bench/run_all.py

}  // namespace node0
