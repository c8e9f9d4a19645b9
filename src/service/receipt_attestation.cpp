#include "service/receipt_attestation.hpp"

#include <cmath>
#include <cstdio>
#include <memory>

#include "ace/evidence_pack.hpp"
#include "api/queries.hpp"
#include "base/hex.hpp"
#include "crypto/identity.hpp"
#include "http/message.hpp"
#include "poi/attestation.hpp"

namespace bizra::service {
namespace {

constexpr std::int64_t kMicro = 1'000'000;
// The Ihsan gate's weights (0.4·accuracy + 0.3·safety + 0.3·efficiency), in micro-units.
constexpr std::int64_t kWeights[] = {400'000, 300'000, 300'000};
constexpr const char* kDimensions[] = {"accuracy", "safety", "efficiency"};

std::string micro_text(std::int64_t micro) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(micro / kMicro),
                static_cast<long long>(micro % kMicro));
  return buf;
}

// The gate's dimension `name` of the evaluation, in micro-units (it reports per-mille values).
Result<std::int64_t> dimension(const json::Value& evaluation, const char* name) {
  const json::Value* v = evaluation.find(name);
  if (v == nullptr || !v->is_number() || v->number() < 0 || v->number() > 1)
    return Error("bad_evaluation", std::string(name) + ": expected a number in [0, 1]");
  return static_cast<std::int64_t>(std::llround(v->number() * static_cast<double>(kMicro)));
}

bool passed_gate(const ace::TaskView& task, const json::Value*& evaluation) {
  if (task.request.skill != "meta.orchestrate" || task.status != ace::TaskStatus::kSucceeded || !task.output ||
      !task.receipt)
    return false;
  evaluation = task.output->find("evaluation");
  if (evaluation == nullptr || !evaluation->is_object()) return false;
  const json::Value* pass = evaluation->find("pass");
  return pass != nullptr && pass->is_bool() && pass->as_bool();
}

}  // namespace

Result<std::optional<std::string>> receipt_attestation(const ace::TaskView& task, const std::string& chain_id,
                                                       const Hash32& genesis_root, const crypto::SecretKey& node_key) {
  const json::Value* evaluation = nullptr;
  if (!passed_gate(task, evaluation)) return std::optional<std::string>();
  std::string dimensions = "{", weights = "{";
  std::int64_t weighted = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    auto d = dimension(*evaluation, kDimensions[i]);
    if (!d) return d.error();
    weighted += *d * kWeights[i];
    const std::string sep = i > 0 ? "," : "";
    dimensions += sep + "\"" + kDimensions[i] + "\":" + micro_text(*d);
    weights += sep + "\"" + kDimensions[i] + "\":" + micro_text(kWeights[i]);
  }
  auto start = poi::format_utc(task.submitted_unix_ms / 1000);
  auto end = poi::format_utc(task.finished_unix_ms / 1000);
  if (!start || !end) return Error("bad_evaluation", "task timings outside the RFC 3339 range");
  const std::string receipt = ace::receipt_json(*task.receipt);
  const crypto::PublicKey pub = node_key.public_key();
  const std::string document =
      "{\"version\":\"poi-1.0\",\"anchor\":{\"chain_id\":" + http::json_quote(chain_id) + ",\"genesis_root\":\"" +
      hex::encode(genesis_root) + "\"},\"attester\":{\"id\":\"" + crypto::account_id(pub) + "\",\"pubkey\":\"" +
      crypto::format_public_key(pub) + "\"},\"evidence\":{\"pack_sha256\":\"" +
      hex::encode(ace::sha256(as_bytes(receipt))) + "\",\"pack_bytes\":" + std::to_string(receipt.size()) +
      ",\"methodology_ref\":\"ace-receipt:" + task.id + "\"},\"measurement\":{\"dimensions\":" + dimensions +
      "},\"weights\":" + weights + "},\"impact_score\":" + micro_text(weighted / kMicro) + "},\"time_window\":[\"" +
      *start + "\",\"" + *end + "\"],\"nonce\":\"" + task.id + "\"}";
  auto signed_document = poi::sign(document, node_key);
  if (!signed_document) return signed_document.error();
  return std::optional<std::string>(std::move(*signed_document));
}

ace::TaskListener attest_receipts(node::Node& node, const crypto::SecretKey& node_key,
                                  std::function<void(const std::string&, const Result<std::string>&)> on_submitted) {
  auto key = std::make_shared<crypto::SecretKey>(crypto::SecretKey::from_seed(node_key.seed()).value());
  return [&node, key, on_submitted = std::move(on_submitted)](const ace::TaskEvent& e) {
    if (e.kind != ace::TaskEvent::Kind::kFinished || !e.task.parent_id.empty()) return;
    auto document = receipt_attestation(e.task, node.genesis().chain_id, node.genesis_root(), *key);
    if (document && !*document) return;  // not attested
    if (!document) return on_submitted(e.task.id, document.error());
    auto submitted = api::submit_attestation(node, **document);
    if (!submitted) return on_submitted(e.task.id, submitted.error());
    on_submitted(e.task.id, submitted->attestation_id.value_or(""));
  };
}

}  // namespace bizra::service
