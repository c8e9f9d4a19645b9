#pragma once
// ACE receipts as PoI attestations ([ace] attest_receipts; ../shared/spec/ace.md "Optionally the
// node turns a receipt into a PoI attestation").
//
// What is attested: a goal (meta.orchestrate) that succeeded and passed Reflection's Ihsan gate
// is a claim of impact by this node, measured by the gate's own dimensions:
//   attester     the node key
//   evidence     pack_sha256 = SHA-256 of the receipt's canonical JSON (the receipt is the
//                evidence pack: anyone holding it checks the hash, and its signature, offline),
//                methodology_ref = "ace-receipt:<task id>"
//   measurement  dimensions {accuracy, safety, efficiency} from the evaluation, weights
//                {0.4, 0.3, 0.3} (the gate's formula), impact_score = their weighted sum
//   time_window  [submitted, finished] of the task; nonce = the task id (unique per task)
// Tasks that are not goals, did not succeed or did not pass the gate are not attested.

#include <optional>
#include <string>

#include "ace/engine.hpp"
#include "node/node.hpp"

namespace bizra::service {

// The signed attestation document for `task`, or nullopt when the task is not attested (see
// above). Errors: "bad_evaluation" (an evaluation without the gate's numbers).
Result<std::optional<std::string>> receipt_attestation(const ace::TaskView& task, const std::string& chain_id,
                                                       const Hash32& genesis_root, const crypto::SecretKey& node_key);

// A task listener that submits the attestation of every attested task to `node`'s mempool and
// calls `on_submitted(task id, attestation id or error)` (logging, events). `node` must outlive
// the listener; `node_key` is copied.
ace::TaskListener attest_receipts(node::Node& node, const crypto::SecretKey& node_key,
                                  std::function<void(const std::string&, const Result<std::string>&)> on_submitted);

}  // namespace bizra::service
