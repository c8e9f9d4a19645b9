#pragma once
// Subcommands of the node0 CLI. Each add_* registers one subcommand (and its flags) on the app;
// the work itself lives in the src/ modules, so this layer only parses and prints.

#include <CLI/CLI.hpp>

namespace node0 {

// Thrown by a command that has already printed its verdict and only needs to set the exit code
// (e.g. `attest verify` printing "bad_nonce: ..."): main returns `code` and prints nothing more.
struct ExitWithCode {
  int code;
};

void add_version_command(CLI::App& app);
void add_keygen_command(CLI::App& app);
void add_attest_command(CLI::App& app);
void add_sim_command(CLI::App& app);

}  // namespace node0
