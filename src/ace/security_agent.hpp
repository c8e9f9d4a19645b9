#pragma once
// The Security agent (L1, 100 ms budget; ../shared/spec/ace.md): verifies attestations and
// signatures, hashes evidence packs, checks task policy. docs/ace-agents.md has the
// skills' inputs, outputs and errors.
//
//   security.verify_attestation {attestation: object | document text}
//                               -> {valid, id, checks: "full"|"stateless", attester?, error?}
//   security.verify_signature   {pubkey, message | message_hex, signature} -> {valid}
//   security.hash_evidence      {paths: [...]} -> {files, file_count, total_bytes, pack_digest, pack_sha256}
//   security.check_policy       {skill, requester?, input_bytes?, type?, enforce?} -> {allowed, reasons}
//
// Every skill tolerates the "deps" member the engine adds to plan steps; other unknown members
// are "bad_input".

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ace/agent.hpp"
#include "ace/evidence_pack.hpp"
#include "ace/task.hpp"
#include "poi/validate.hpp"

namespace bizra::ace {

// Who may run what. The engine-facing rules, all evaluated (every violation is reported):
//   unknown_skill      the skill is not "<agent>.<verb>" of one of the six agents
//   denied             the requester is listed for the skill in `denied_requesters` ("*": everyone)
//   node_only          a skill of `node_only_skills` asked by a requester outside `node_requesters`,
//                      or as a task type other than SAT
//   sat_requires_node  a SAT task (the node's own autonomous work) asked by anyone but the node
//   input_too_large    input_bytes over the skill's bound (`max_input_bytes`, else the default)
struct SecurityPolicy {
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> denied_requesters;
  std::map<std::string, std::size_t, std::less<>> max_input_bytes;
  std::size_t default_max_input_bytes = kMaxTaskInputBytes;
  // Operations that copy or rewrite the whole database run only as the node's own SAT tasks.
  std::set<std::string, std::less<>> node_only_skills{"operations.backup", "operations.compact"};
  std::set<std::string, std::less<>> node_requesters{"node"};
};

struct PolicyRequest {
  std::string skill;
  std::string requester;
  std::optional<std::uint64_t> input_bytes;
  std::optional<TaskType> type;
};

struct PolicyViolation {
  std::string_view code;  // one of the rule names above
  std::string message;
};

// The violations of `request` under `policy`, in the rule order above; empty: allowed.
std::vector<PolicyViolation> check_policy(const SecurityPolicy& policy, const PolicyRequest& request);

// The two functions are called from engine worker threads, several at once: they must be
// thread-safe.
struct SecurityOptions {
  // hash_evidence reads only under this directory; empty: the skill answers "not_configured".
  std::filesystem::path evidence_root;
  EvidenceLimits evidence_limits;
  SecurityPolicy policy;
  // The network and chain state for verify_attestation's rules 3 (chain, finalized block_ref),
  // 6 (replay) and 7 (clock bound). Empty: stateless verification (see make_security_agent).
  std::function<poi::ValidationContext()> validation_context;
  // Unix seconds for rule 7 in stateless mode; empty: the system clock.
  std::function<std::int64_t()> unix_now;
};

// Stateless verify_attestation (no validation_context) runs rules 1, 2, 4, 5, 8, 9 and 10 in
// full; of rule 3 only the format of anchor.genesis_root and anchor.block_ref (any chain id is
// accepted, a block_ref is not looked up); of rule 6 only the nonce format (no replay check); of
// rule 7 everything, with the local clock (unix_now) as t.
std::unique_ptr<Agent> make_security_agent(SecurityOptions options);

}  // namespace bizra::ace
