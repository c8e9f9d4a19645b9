// node0 ace verify-receipt: the ACE runtime's offline tool; `node0 ace run` and `node0 ace task`,
// clients of a running node, are cmd_ace_client.cpp.
#include <iostream>

#include "ace/receipt.hpp"
#include "base/file.hpp"
#include "base/hex.hpp"
#include "commands.hpp"
#include "crypto/identity.hpp"

namespace node0 {
namespace {

namespace ace = bizra::ace;

constexpr int kExitInvalid = 1;  // the receipt is malformed or does not verify

// 64 lowercase hex digits, or "ed25519:<hex>" as genesis.json and `node0 keygen` write keys.
bizra::crypto::PublicKey parse_pubkey(const std::string& text) {
  if (text.starts_with("ed25519:")) return must(bizra::crypto::parse_public_key(text), "--pubkey");
  if (text.size() != 2 * bizra::crypto::PublicKey::kSize || !bizra::hex::is_lower_hex(text))
    fail("--pubkey: expected 64 lowercase hex digits or ed25519:<hex>");
  bizra::crypto::PublicKey key;
  key.bytes = must(bizra::hex::decode_fixed<bizra::crypto::PublicKey::kSize>(text), "--pubkey");
  return key;
}

// Prints "OK <task id> <status>" (exit 0) or the verdict "<code>: <message>" (exit 1). Only the
// key given with --pubkey is trusted; the receipt's own node_pubkey must match it.
void add_verify_receipt(CLI::App& ace_cmd) {
  struct Options {
    std::string file;
    std::string pubkey;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = ace_cmd.add_subcommand("verify-receipt",
                                     "Verify an ACE task receipt against the node's public key; prints \"OK <task id> "
                                     "<status>\" or \"<code>: <message>\"");
  cmd->add_option("file", o->file, "Receipt file (JSON, as GET /ace/tasks/{id} reports it under \"receipt\")")
      ->required();
  cmd->add_option("--pubkey", o->pubkey, "The node's Ed25519 public key (64 hex, or ed25519:<hex> as in genesis.json): the only key trusted")
      ->required();
  cmd->callback([o] {
    const bizra::crypto::PublicKey trusted = parse_pubkey(o->pubkey);
    const std::string text = must(bizra::read_bounded_file(o->file, ace::kMaxReceiptBytes), "receipt file");
    const auto receipt = ace::parse_receipt(text);
    const bizra::Status verdict = receipt ? ace::verify_receipt(*receipt, trusted) : bizra::Status(receipt.error());
    if (verdict) {
      std::cout << "OK " << receipt->task_id << " " << receipt->status << "\n";
      return;
    }
    std::cout << verdict.error().to_string() << "\n";
    throw ExitWithCode{kExitInvalid};
  });
}

}  // namespace

void add_ace_command(CLI::App& app) {
  auto* ace_cmd = app.add_subcommand("ace", "ACE agent runtime: run, task, verify-receipt");
  ace_cmd->require_subcommand(1);
  add_ace_client_commands(*ace_cmd);
  add_verify_receipt(*ace_cmd);
}

}  // namespace node0
