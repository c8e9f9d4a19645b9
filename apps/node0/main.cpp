// node0: the BIZRA NODE0 command line. A thin shell over the modules in src/.

#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"node0 — BIZRA NODE0, a Proof-of-Impact BFT node"};
  app.require_subcommand(0, 1);
  node0::add_version_command(app);
  node0::add_keygen_command(app);
  node0::add_attest_command(app);
  node0::add_sim_command(app);
  node0::add_node_commands(app);
  node0::add_devnet_commands(app);
  node0::add_ace_command(app);
  node0::add_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const node0::ExitWithCode& e) {
    return e.code;
  } catch (const CLI::RuntimeError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (argc == 1) std::cout << app.help();
  return 0;
}
