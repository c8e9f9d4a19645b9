#include "sim/invariants.hpp"

#include <algorithm>

#include "base/hex.hpp"

namespace bizra::sim {
namespace {

std::string short_id(const Hash32& id) { return hex::encode(id).substr(0, 16); }

std::string_view kind_name(poi::MessageKind kind) {
  switch (kind) {
    case poi::MessageKind::kVote: return "votes";
    case poi::MessageKind::kProposal: return "proposals";
    case poi::MessageKind::kTimeout: return "timeouts";
  }
  return "?";
}

}  // namespace

std::string_view name(ViolationKind kind) {
  switch (kind) {
    case ViolationKind::kSafety: return "safety";
    case ViolationKind::kDurability: return "durability";
    case ViolationKind::kStateDivergence: return "state_divergence";
    case ViolationKind::kLiveness: return "liveness";
    case ViolationKind::kExecution: return "execution";
  }
  return "?";
}

Checker::Checker(std::vector<bool> honest)
    : honest_(std::move(honest)), down_(honest_.size(), false), last_(honest_.size()) {}

void Checker::fail(ViolationKind kind, ValidatorIndex node, Time at, std::string detail) {
  if (!violation_) violation_ = Violation{kind, at, node, std::move(detail)};
}

void Checker::on_commit(ValidatorIndex node, const consensus::Block& block, Time at) {
  if (!honest_[node]) return;
  Tip& tip = last_[node];
  const Height height = block.header.height;
  if (height != tip.height + 1 || (tip.height > 0 && block.header.parent_id != tip.id)) {
    fail(ViolationKind::kSafety, node, at,
         "n" + std::to_string(node) + " committed " + short_id(block.id) + " at height " + std::to_string(height) +
             ", which does not extend its previous commit " + short_id(tip.id) + " at height " +
             std::to_string(tip.height));
    return;
  }
  if (height <= chain_.size()) {
    if (chain_[height - 1] != block.id)
      fail(ViolationKind::kSafety, node, at,
           "conflicting commits at height " + std::to_string(height) + ": n" + std::to_string(node) + " committed " +
               short_id(block.id) + ", another honest node committed " + short_id(chain_[height - 1]));
  } else {
    chain_.push_back(block.id);
  }
  tip = Tip{height, block.id};
  if (liveness_deadline_ && !progressed_[node] && height > height_at_gst_[node]) {
    progressed_[node] = true;
    if (--laggards_ == 0) recovered_at_ = at;
  }
}

void Checker::on_executed(ValidatorIndex node, Height height, const Hash32& state, const Hash32& receipts, Time at) {
  if (!honest_[node]) return;
  if (height <= digests_.size()) {
    const auto& [first_state, first_receipts] = digests_[height - 1];
    if (first_state != state || first_receipts != receipts)
      fail(ViolationKind::kStateDivergence, node, at,
           "n" + std::to_string(node) + " reached state " + short_id(state) + "/" + short_id(receipts) + " at height " +
               std::to_string(height) + ", another honest node " + short_id(first_state) + "/" +
               short_id(first_receipts));
  } else {
    digests_.emplace_back(state, receipts);
  }
}

void Checker::on_signed(ValidatorIndex node, poi::MessageKind kind, Round round, const Hash32& statement, Time at) {
  if (!honest_[node]) return;
  const auto [it, inserted] = signed_.try_emplace({node, kind, round}, statement);
  if (!inserted && it->second != statement)
    fail(ViolationKind::kDurability, node, at,
         "honest n" + std::to_string(node) + " signed two different " + std::string(kind_name(kind)) + " in round " +
             std::to_string(round) + ": " + short_id(it->second) + " and " + short_id(statement));
}

void Checker::on_restart(ValidatorIndex node, Height persisted, Height restored, Time at) {
  if (honest_[node] && restored < persisted)
    fail(ViolationKind::kDurability, node, at,
         "n" + std::to_string(node) + " restarted at committed height " + std::to_string(restored) +
             " but had committed " + std::to_string(persisted) + " before the crash");
}

void Checker::on_core_fault(ValidatorIndex node, const Error& fault, Time at) {
  if (honest_[node])
    fail(ViolationKind::kSafety, node, at, "n" + std::to_string(node) + "'s core stopped: " + fault.to_string());
}

void Checker::on_execution_error(ValidatorIndex node, const std::string& error, Time at) {
  if (honest_[node]) fail(ViolationKind::kExecution, node, at, "n" + std::to_string(node) + ": " + error);
}

void Checker::arm_liveness(Time deadline) {
  liveness_deadline_ = deadline;
  height_at_gst_.clear();
  for (const Tip& tip : last_) height_at_gst_.push_back(tip.height);
  progressed_ = down_;  // nothing is expected of a node that never runs
  laggards_ = 0;
  for (std::size_t i = 0; i < honest_.size(); ++i) if (honest_[i] && !down_[i]) ++laggards_;
  recovered_at_.reset();
}

bool Checker::all_progressed() const { return liveness_deadline_ && laggards_ == 0; }

void Checker::check_liveness(Time now) {
  if (!liveness_deadline_ || now < *liveness_deadline_) return;
  for (std::size_t i = 0; i < last_.size(); ++i) {
    if (honest_[i] && !progressed_[i]) {
      const auto node = static_cast<ValidatorIndex>(i);
      fail(ViolationKind::kLiveness, node, now,
           "honest n" + std::to_string(node) + " committed nothing after GST before the deadline (stuck at height " +
               std::to_string(last_[i].height) + ")");
      return;
    }
  }
}

}  // namespace bizra::sim
