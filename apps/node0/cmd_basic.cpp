#include <cstdio>
#include <iostream>

#include "base/hex.hpp"
#include "commands.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "crypto/keyfile.hpp"
#include "version.hpp"

namespace node0 {

void add_version_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the version and build details");
  cmd->callback([] {
    std::cout << "node0 " << kVersion << " (commit " << kGitCommit << ", " << kBuildType << ", " << kCompiler
              << ", blake3 " << bizra::crypto::Blake3::simd_backend() << ")\n";
  });
}

void add_keygen_command(CLI::App& app) {
  struct Options {
    std::string out;
    std::string seed_hex;
    bool force = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("keygen", "Create an Ed25519 key file (mode 0600); prints its public key and id");
  cmd->add_option("--out", opts->out, "Key file to write")->required();
  cmd->add_option("--seed", opts->seed_hex,
                  "Derive the key from this 32-byte seed (64 hex digits) instead of OS randomness; "
                  "for tests and reproducible devnets only");
  cmd->add_flag("--force", opts->force, "Overwrite an existing key file");
  cmd->callback([opts] {
    auto key = [&]() -> bizra::Result<bizra::crypto::SecretKey> {
      if (opts->seed_hex.empty()) return bizra::crypto::SecretKey::generate();
      auto seed = bizra::hex::decode(opts->seed_hex);
      if (!seed) return seed.error().with_context("--seed");
      return bizra::crypto::SecretKey::from_seed(*seed);
    }();
    if (!key) throw CLI::ValidationError("keygen", key.error().to_string());
    if (auto st = bizra::crypto::write_key_file(opts->out, *key, opts->force); !st)
      throw CLI::RuntimeError(st.error().to_string(), 1);
    std::cout << "pubkey: " << bizra::crypto::format_public_key(key->public_key()) << "\n"
              << "id:     " << bizra::crypto::account_id(key->public_key()) << "\n";
  });
}

}  // namespace node0
