#include "service/node_operations.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/identity.hpp"

namespace bizra::service {
namespace {

using json::Value;

Value num(std::uint64_t n) { return Value::number(std::to_string(n), static_cast<double>(n)); }
// Scores are computed, not parsed: a NaN or infinity (which JSON cannot hold) becomes null.
Value num(double x) { return std::isfinite(x) ? Value::number(jcs::format_number(x), x) : Value::null(); }
Value str(std::string s) { return Value::string(std::move(s)); }

class NodeOperationsImpl final : public ace::NodeOperations {
 public:
  NodeOperationsImpl(node::Node& node, const metrics::Registry& registry) : node_(node), registry_(registry) {}

  // "ok" unless the consensus core stopped on a broken safety invariant ("fault", with the reason).
  Value health() override {
    const node::NodeStatus s = node_.status();
    std::vector<Value::Member> members = {
        {"status", str(s.fault ? "fault" : "ok")},
        {"node_id", str(s.node_id)},
        {"validator", Value::boolean(s.validator)},
        {"round", num(static_cast<std::uint64_t>(s.round))},
        {"committed_height", num(static_cast<std::uint64_t>(s.committed_height))},
        {"committed_id", str(hex::encode(s.committed_id))},
        {"leader", str(s.leader)},
        {"validators", num(static_cast<std::uint64_t>(s.validators))},
        {"peers_connected", num(static_cast<std::uint64_t>(s.peers_connected))},
        {"commits", num(s.commits)},
        {"committed_transactions", num(s.committed_transactions)},
        {"last_finality_ms", num(s.last_finality_ms)},
        {"mempool_transactions", num(static_cast<std::uint64_t>(s.mempool_transactions))},
        {"mempool_bytes", num(static_cast<std::uint64_t>(s.mempool_bytes))},
    };
    if (s.fault) members.emplace_back("fault", str(*s.fault));
    return Value::object(std::move(members));
  }

  Value peers() override {
    std::vector<Value> list;
    for (const net::PeerStatus& p : node_.peers()) {
      list.push_back(Value::object({
          {"id", str(crypto::account_id(p.key))},
          {"pubkey", str(crypto::format_public_key(p.key))},
          {"address", str(p.address)},
          {"connected", Value::boolean(p.connected)},
          {"outbound", Value::boolean(p.outbound)},
          {"quality", num(p.quality)},
          {"reputation", num(p.reputation)},
          {"health", num(p.health)},
          {"failures", num(p.failures)},
          {"banned", Value::boolean(p.banned)},
          {"bytes_in", num(p.bytes_in)},
          {"bytes_out", num(p.bytes_out)},
      }));
    }
    return Value::array(std::move(list));
  }

  std::string metrics_text() override { return registry_.expose(); }
  storage::Store& store() override { return node_.mutable_store(); }

 private:
  node::Node& node_;
  const metrics::Registry& registry_;
};

}  // namespace

std::unique_ptr<ace::NodeOperations> make_node_operations(node::Node& node, const metrics::Registry& registry) {
  return std::make_unique<NodeOperationsImpl>(node, registry);
}

}  // namespace bizra::service
