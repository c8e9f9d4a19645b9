#pragma once
// Subcommands of the node0 CLI. Each add_* registers one subcommand (and its flags) on the app;
// the work itself lives in the src/ modules, so this layer only parses and prints.

#include <CLI/CLI.hpp>

namespace node0 {

void add_version_command(CLI::App& app);
void add_keygen_command(CLI::App& app);

}  // namespace node0
