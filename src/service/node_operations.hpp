#pragma once
// The node side of the Operations agent (ace/operations_agent.hpp): health from Node::status(),
// peers from Node::peers(), metrics from the node's registry, and the node's own store (so
// checkpoints and backups hold the chain, the ACE task records and the knowledge store).

#include <memory>

#include "ace/operations_agent.hpp"
#include "metrics/metrics.hpp"
#include "node/node.hpp"

namespace bizra::service {

// `node` and `registry` must outlive the result.
std::unique_ptr<ace::NodeOperations> make_node_operations(node::Node& node, const metrics::Registry& registry);

}  // namespace bizra::service
