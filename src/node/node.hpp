#pragma once
// The node: consensus + network + mempool + execution + storage in one process.
//
// Threads (docs/operations.md has the picture):
//  - the consensus thread owns the consensus::Core, performs its outputs in order (a safety
//    write is synced before the vote it protects is handed to the network), executes committed
//    blocks and writes them synced, and answers block requests from storage;
//  - the network thread (net::Host) decodes frames and queues consensus messages for it;
//  - the ingress thread verifies gossiped transactions into the mempool;
//  - API threads call submit() and the read-only queries, which use the store and atomics.
// Nothing but the consensus thread touches the Core.

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "chain/check.hpp"
#include "chain/transaction.hpp"
#include "crypto/ed25519.hpp"
#include "net/host.hpp"
#include "node/chain_store.hpp"
#include "node/config.hpp"
#include "node/genesis.hpp"
#include "storage/store.hpp"

namespace bizra::node {

struct NodeStatus {
  std::string node_id;  // bz… account id of the node key
  bool validator = false;
  consensus::Round round = 0;
  Height committed_height = 0;
  Hash32 committed_id;
  std::string leader;  // account id of the current round's leader
  std::uint64_t commits = 0;
  std::uint64_t committed_transactions = 0;
  std::uint64_t last_finality_ms = 0;  // proposal timestamp -> local commit, last block
  std::size_t mempool_transactions = 0;
  std::size_t mempool_bytes = 0;
  std::size_t peers_connected = 0;
  std::size_t validators = 0;
  std::optional<std::string> fault;  // set when the core stopped on a broken safety invariant
};

// What the API reports about a submitted transaction.
enum class TxState { kUnknown, kPending, kFinal };
struct TxStatus {
  TxState state = TxState::kUnknown;
  std::optional<TxRecord> record;  // when final: height, index, ok / error code
};

// One committed block, as listeners see it (on the consensus thread, right after it is durable).
struct CommitEvent {
  Height height = 0;
  Hash32 id;
  consensus::Round round = 0;
  std::uint64_t timestamp_ms = 0;  // the proposer's
  std::uint64_t finality_ms = 0;   // local commit time - timestamp (0 if the clocks disagree)
  const std::vector<TxOutcome>* outcomes = nullptr;  // valid during the call only
};
using CommitListener = std::function<void(const CommitEvent&)>;

// A peer's link came up or went down (a ban closes the link: it arrives as a disconnection).
// Listeners run on the network thread: they must be quick and must not stop the node.
struct PeerEvent {
  crypto::PublicKey key;
  bool connected = false;
};
using PeerListener = std::function<void(const PeerEvent&)>;

// Monotonic counts since the node started (exported as Prometheus counters).
struct NodeCounters {
  std::uint64_t timeouts_signed = 0;  // round timeouts this node signed and broadcast
  std::uint64_t qcs_received = 0;     // QCs received: one per block accepted into the tree
  std::uint64_t tcs_received = 0;     // TCs received in proposals (rounds that ended by timeout)
  std::uint64_t p2p_bytes_in = 0;     // bytes read from peers' connections (net::HostCounters)
  std::uint64_t p2p_bytes_out = 0;    // bytes written to peers' connections
};

class Node {
 public:
  // Opens (or initializes from genesis) the store under config.data_dir. Errors: "io_error",
  // "corrupt", "genesis_mismatch" (the store belongs to another network), "bad_genesis".
  static Result<std::unique_ptr<Node>> open(const NodeConfig& config, const Genesis& genesis, crypto::SecretKey key);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the network and the consensus and ingress threads. Errors: "bind_failed", ...
  Status start();
  // Stops all threads; idempotent. Committed state is already durable.
  void stop();

  // Checks a transaction (format, signature, rules against the committed state) and adds it to
  // the mempool, from which it is gossiped. Errors: the check's codes (poi rule codes,
  // "bad_transaction"), "duplicate", "mempool_full", "stopped".
  Result<chain::CheckedTx> submit(ByteSpan encoded_transaction);
  TxStatus transaction_status(const Hash32& tx_id) const;
  std::optional<Hash32> attestation_transaction(const Hash32& attestation_digest) const;

  // Called for every committed block, on the consensus thread: it must be quick and must not
  // call back into the node's consensus. Add listeners before start().
  void add_commit_listener(CommitListener listener);
  // Called when a peer connects or disconnects (see PeerEvent). Add listeners before start().
  void add_peer_listener(PeerListener listener);
  // Whether the committed chain holds this block (counted: bizra_consensus_finality_checks_total).
  Result<bool> is_final(const consensus::Block& block) const;
  std::uint64_t finality_checks() const;
  NodeCounters counters() const;
  std::size_t graph_blocks() const;  // blocks in the BlockGraph (lock-free read)

  NodeStatus status() const;
  // Every peer the network layer knows: connection, scores (quality, reputation, health), ban,
  // traffic. Sorted by key.
  std::vector<net::PeerStatus> peers() const;
  const Genesis& genesis() const;
  const Hash32& genesis_root() const;
  const chain::ChainParams& params() const;
  ChainStore& chain();
  // Read-only access to the committed state (poi::StoreState over it) for the API's queries.
  const storage::Store& store() const;
  // The same store for writers that are not the chain: the ACE task records and knowledge store
  // (their own columns), checkpoints and compaction.
  storage::Store& mutable_store();
  // The context admission validates attestations with (this chain, the wall clock, finalized
  // blocks, the committed nonce record): what /api/v1/poi/verify checks against.
  poi::ValidationContext validation_context() const;

 private:
  struct Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bizra::node
