#include "node/node.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "codec/binary.hpp"
#include "consensus/core.hpp"
#include "consensus/signer.hpp"
#include "base/hex.hpp"
#include "crypto/identity.hpp"
#include "mempool/mempool.hpp"
#include "chain/check.hpp"
#include "chain/execute.hpp"
#include "net/host.hpp"
#include "poi/store_state.hpp"
#include "poi/transition.hpp"
#include "storage/store.hpp"

namespace bizra::node {
namespace {

using consensus::ValidatorIndex;
using Clock = std::chrono::steady_clock;

constexpr consensus::Epoch kEpoch = 1;
constexpr std::string_view kGenesisRootKey = "genesis_root";

// Frames between nodes: kind u8 ‖ body.
enum class FrameKind : std::uint8_t {
  kConsensus = 1,     // consensus::encode(message)
  kTransactions = 2,  // chain::encode_payload(transactions): gossip, batched
};

constexpr std::size_t kMaxGossipBatchBytes = 256 << 10;
constexpr std::chrono::milliseconds kGossipFlushInterval{5};
constexpr std::size_t kMaxIngressBatches = 1024;    // gossip batches waiting for verification
constexpr std::size_t kMaxConsensusInbox = 100'000;  // messages waiting for the consensus thread
constexpr std::size_t kStaleAttestationsSwept = 4096;
constexpr std::size_t kVerifiedCacheEntries = 200'000;  // attestation ids verified at admission

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

Bytes frame(FrameKind kind, ByteSpan body) {
  Bytes out;
  out.reserve(body.size() + 1);
  out.push_back(static_cast<std::uint8_t>(kind));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

chain::ChainParams params_of(const Genesis& g, const Hash32& root) {
  chain::ChainParams p;
  p.chain_id = g.chain_id;
  p.genesis_root = root;
  p.max_block_transactions = g.max_block_transactions;
  p.max_block_payload_bytes = g.max_block_payload_bytes;
  p.bench_transactions = g.bench_transactions;
  return p;
}

Result<consensus::ValidatorSet> validator_set(const Genesis& g) {
  std::vector<consensus::ValidatorInfo> infos;
  for (const auto& v : g.validators) infos.push_back({v.key, v.weight});
  return consensus::ValidatorSet::create(std::move(infos));
}

}  // namespace

struct Node::Impl final : consensus::PayloadSource, net::Handler {
  // --- fixed at open
  NodeConfig config;
  Genesis genesis;
  Hash32 root;
  chain::ChainParams params;
  consensus::ValidatorSet validators;
  std::optional<ValidatorIndex> self;
  crypto::SecretKey net_key;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<ChainStore> chain;
  mempool::Mempool pool;
  chain::VerifiedCache verified{kVerifiedCacheEntries};
  std::unique_ptr<net::Host> host;
  consensus::Block genesis_block;

  // --- consensus thread only
  std::unique_ptr<consensus::Core> core;
  std::optional<std::uint64_t> timer_deadline_ms;
  consensus::Round timer_round = 0;
  Hash32 state_digest;
  Hash32 receipts_digest;
  // Transactions of accepted, uncommitted blocks: a proposal never repeats one its ancestors hold.
  std::map<Hash32, std::pair<Hash32, std::vector<Hash32>>> pending_blocks;  // id -> (parent, tx ids)

  // --- peers: consensus index <-> key (validators first, then followers as they appear)
  mutable std::mutex peers_mu;
  std::vector<crypto::PublicKey> index_to_key;
  std::map<crypto::PublicKey, ValidatorIndex> key_to_index;

  // --- inboxes
  struct Inbound {
    ValidatorIndex from;
    consensus::Message message;
  };
  std::mutex inbox_mu;
  std::condition_variable inbox_cv;
  std::deque<Inbound> inbox;
  std::deque<std::pair<crypto::PublicKey, Bytes>> ingress;  // gossip batches (under inbox_mu)
  std::condition_variable ingress_cv;
  bool stopping = false;

  // Attestations admitted but not final: attestation digest -> tx id, so that a client can ask
  // by the attestation id it knows. Entries leave at commit or when the mempool dropped them.
  mutable std::mutex attestations_mu;
  std::map<Hash32, Hash32> pending_attestations;

  std::mutex gossip_mu;
  std::vector<Bytes> gossip_out;
  std::size_t gossip_bytes = 0;

  std::vector<CommitListener> commit_listeners;  // fixed before start
  std::vector<PeerListener> peer_listeners;      // fixed before start
  mutable std::atomic<std::uint64_t> finality_checks{0};
  std::atomic<std::uint64_t> timeouts_signed{0}, qcs_received{0}, tcs_received{0};
  std::atomic<bool> payload_arrived{false};  // a leader waiting with nothing to propose proposes now

  std::thread consensus_thread;
  std::thread ingress_thread;
  bool started = false;

  // --- status (written by the consensus thread, read by API threads)
  mutable std::mutex status_mu;
  NodeStatus snapshot;

  Impl(NodeConfig c, Genesis g, crypto::SecretKey key, mempool::Config pool_config)
      : config(std::move(c)), genesis(std::move(g)), root(node::genesis_root(genesis)), params(params_of(genesis, root)),
        net_key(std::move(key)), pool(pool_config), genesis_block(consensus::make_genesis(kEpoch, genesis.genesis_time_ms)) {}

  // ---------------------------------------------------------------------------------------
  // opening

  Status open_store() {
    std::filesystem::create_directories(config.data_dir);
    auto opened = storage::open_rocksdb(config.data_dir / "db");
    if (!opened) return opened.error();
    store = std::move(*opened);
    consensus::WireLimits limits;
    limits.max_payload_bytes = genesis.max_block_payload_bytes;
    chain = std::make_unique<ChainStore>(*store, genesis_block, limits);
    return ok_status();
  }

  // A fresh store gets the genesis state; a used one must belong to this genesis.
  Status init_or_check_genesis() {
    auto stored = store->get(storage::Column::kMeta, as_bytes(kGenesisRootKey));
    if (!stored) return stored.error();
    if (*stored) {
      if (**stored != Bytes(root.bytes.begin(), root.bytes.end()))
        return Error("genesis_mismatch", "the store under " + config.data_dir.string() + " belongs to another genesis");
      return load_digests();
    }
    std::vector<poi::GenesisValidator> poi_validators;
    for (const auto& v : genesis.validators) poi_validators.push_back({v.key, v.p2p, v.stake_bond, v.weight});
    poi::StoreState state(*store);
    BIZRA_TRY(poi::apply_genesis(state, poi_validators));
    storage::WriteBatch batch;
    auto changes = state.commit_to(batch);
    if (!changes) return changes.error();
    state_digest = poi::next_state_digest(Hash32{}, *changes);
    batch.put(storage::Column::kMeta, as_bytes(kGenesisRootKey), root.span());
    codec::Writer digests(64);
    digests.fixed(state_digest).fixed(Hash32{});
    batch.put(storage::Column::kStateDigests, Bytes(8, 0), digests.data());
    return store->write(batch, storage::Durability::kSync);
  }

  Status load_digests() {
    auto tip = chain->tip();
    if (!tip) return tip.error();
    auto digests = chain->digests_at(tip->height);
    if (!digests) return digests.error();
    if (!*digests) return Error("corrupt", "no state digest at the committed height " + std::to_string(tip->height));
    state_digest = (*digests)->first;
    receipts_digest = (*digests)->second;
    return ok_status();
  }

  Status build_core() {
    auto restored = chain->restore();
    if (!restored) return restored.error();
    consensus::CoreConfig cc;
    cc.chain_id = genesis.chain_id;
    cc.epoch = kEpoch;
    cc.validators = validators;
    cc.self = self;
    cc.base_timeout_ms = genesis.base_timeout_ms;
    cc.max_payload_bytes = genesis.max_block_payload_bytes;
    cc.idle_proposal_delay_ms = genesis.base_timeout_ms / 2;
    cc.genesis = genesis_block;
    auto signer_key = crypto::SecretKey::from_seed(net_key.seed());
    auto signer = self ? std::make_unique<consensus::Ed25519Signer>(std::move(*signer_key))
                       : std::make_unique<consensus::Ed25519Signer>();
    for (const auto& b : restored->blocks) note_block(b);
    core = std::make_unique<consensus::Core>(std::move(cc), std::move(signer), *this, std::move(*restored));
    return ok_status();
  }

  void index_validators() {
    for (std::size_t i = 0; i < validators.size(); ++i) {
      const auto index = static_cast<ValidatorIndex>(i);
      index_to_key.push_back(validators.at(index).key);
      key_to_index.emplace(validators.at(index).key, index);
      if (validators.at(index).key == net_key.public_key()) self = index;
    }
  }

  Status make_host() {
    net::HostConfig hc;
    hc.identity = &net_key;
    auto listen = parse_host_port(config.p2p_listen);
    if (!listen) return listen.error();
    hc.listen_host = listen->first;
    hc.listen_port = listen->second;
    for (const auto& v : genesis.validators) {
      if (v.key == net_key.public_key()) continue;
      auto address = parse_host_port(v.p2p);
      if (!address) return address.error();
      hc.dial.push_back({v.key, address->first, address->second});
      hc.allowed.push_back(v.key);
    }
    for (const auto& p : config.peers) {
      auto address = parse_host_port(p.address);
      if (!address) return address.error();
      hc.dial.push_back({p.key, address->first, address->second});
      hc.allowed.push_back(p.key);
    }
    hc.max_peers = config.max_peers;
    hc.max_frame_bytes = genesis.max_block_payload_bytes + (1 << 20);
    host = std::make_unique<net::Host>(std::move(hc), *this);
    return ok_status();
  }

  // ---------------------------------------------------------------------------------------
  // network thread: net::Handler

  void on_frame(const crypto::PublicKey& from, Bytes bytes) override {
    if (bytes.empty()) return host->report(from, false);
    const auto kind = static_cast<FrameKind>(bytes[0]);
    const ByteSpan body = ByteSpan(bytes).subspan(1);
    if (kind == FrameKind::kConsensus) {
      consensus::WireLimits limits;
      limits.max_payload_bytes = genesis.max_block_payload_bytes;
      auto message = consensus::decode_message(body, limits);
      if (!message) return host->report(from, false);
      const ValidatorIndex index = peer_index(from);
      std::lock_guard lock(inbox_mu);
      if (inbox.size() >= kMaxConsensusInbox) return;  // overloaded: the pacemaker recovers
      inbox.push_back({index, std::move(*message)});
      inbox_cv.notify_one();
    } else if (kind == FrameKind::kTransactions) {
      std::lock_guard lock(inbox_mu);
      if (ingress.size() >= kMaxIngressBatches) return;
      ingress.emplace_back(from, Bytes(body.begin(), body.end()));
      ingress_cv.notify_one();
    } else {
      host->report(from, false);
    }
  }
  void on_peer_up(const crypto::PublicKey& peer) override {
    peer_index(peer);
    for (const auto& listener : peer_listeners) listener(PeerEvent{peer, true});
  }
  void on_peer_down(const crypto::PublicKey& peer) override {
    for (const auto& listener : peer_listeners) listener(PeerEvent{peer, false});
  }

  ValidatorIndex peer_index(const crypto::PublicKey& key) {
    std::lock_guard lock(peers_mu);
    const auto [it, inserted] = key_to_index.try_emplace(key, static_cast<ValidatorIndex>(index_to_key.size()));
    if (inserted) index_to_key.push_back(key);
    return it->second;
  }

  std::optional<crypto::PublicKey> peer_key(ValidatorIndex index) const {
    std::lock_guard lock(peers_mu);
    if (index >= index_to_key.size()) return std::nullopt;
    return index_to_key[index];
  }

  // ---------------------------------------------------------------------------------------
  // transactions: admission, gossip

  poi::ValidationContext validation_context() const {
    poi::ValidationContext ctx;
    ctx.chain_id = genesis.chain_id;
    ctx.genesis_root = root;
    ctx.now = static_cast<std::int64_t>(wall_ms() / 1000);
    ctx.is_finalized_block = [this](const Hash32& id) { return is_finalized_block(id); };
    ctx.nonce_used = [this](const crypto::PublicKey& key, std::string_view nonce) {
      poi::StoreState state(*store);
      return state.nonce_seen(poi::NonceDomain::kAttestation, key, as_bytes(nonce));
    };
    return ctx;
  }

  // Proposal checks leave replay to execution (the nonce record may differ by a block or two
  // between validators at vote time; execution against the committed state decides alike).
  poi::ValidationContext proposal_context() const {
    poi::ValidationContext ctx = validation_context();
    ctx.nonce_used = nullptr;
    return ctx;
  }

  bool is_finalized_block(const Hash32& id) const {
    auto b = chain->block(id);
    if (!b || !*b) return false;
    auto at = chain->block_at((*b)->header.height);
    return at && *at && (*at)->id == id;
  }

  Result<chain::CheckedTx> admit(ByteSpan encoded, bool gossip) {
    if (pool.full(encoded.size()))
      return Error("mempool_full", "the mempool is full (" + std::to_string(pool.size()) + " transactions); retry later");
    auto checked = chain::check_transaction(encoded, params, validation_context(), &verified);
    if (!checked) return checked.error();
    BIZRA_TRY(pool.add(*checked, Clock::now()));
    if (checked->attestation_id) {
      std::lock_guard lock(attestations_mu);
      pending_attestations[hex::decode_fixed<32>(*checked->attestation_id).value()] = checked->id;
    }
    if (gossip) queue_gossip(checked->encoded);
    payload_arrived.store(true, std::memory_order_relaxed);
    inbox_cv.notify_one();  // a wake-up lost to the race costs at most one gossip flush interval
    return checked;
  }

  void queue_gossip(const Bytes& encoded) {
    std::lock_guard lock(gossip_mu);
    gossip_bytes += encoded.size() + 4;
    gossip_out.push_back(encoded);
  }

  void flush_gossip() {
    std::vector<Bytes> batch;
    {
      std::lock_guard lock(gossip_mu);
      if (gossip_out.empty()) return;
      batch.swap(gossip_out);
      gossip_bytes = 0;
    }
    std::size_t start = 0;
    while (start < batch.size()) {  // frames of at most kMaxGossipBatchBytes
      std::size_t end = start, bytes = 0;
      while (end < batch.size() && (end == start || bytes + batch[end].size() + 4 <= kMaxGossipBatchBytes))
        bytes += batch[end++].size() + 4;
      host->broadcast(frame(FrameKind::kTransactions,
                            chain::encode_payload(std::span<const Bytes>(batch).subspan(start, end - start))));
      start = end;
    }
  }

  // Ingress thread: verifies gossiped batches into the mempool (and gossips what was new on).
  void ingress_loop() {
    chain::ChainParams gossip_limits = params;  // a gossip frame is bounded by its own size, not a block's
    gossip_limits.max_block_payload_bytes = kMaxGossipBatchBytes + 1024;
    gossip_limits.max_block_transactions = static_cast<std::uint32_t>(kMaxGossipBatchBytes);
    for (;;) {
      std::pair<crypto::PublicKey, Bytes> item;
      {
        std::unique_lock lock(inbox_mu);
        ingress_cv.wait(lock, [&] { return stopping || !ingress.empty(); });
        if (stopping) return;
        item = std::move(ingress.front());
        ingress.pop_front();
      }
      auto txs = chain::decode_payload(item.second, gossip_limits);
      if (!txs) {
        host->report(item.first, false);
        continue;
      }
      for (const Bytes& tx : *txs) {
        if (pool.seen(chain::transaction_id(tx), Clock::now())) continue;
        auto admitted = admit(tx, true);
        // A duplicate or a full pool is not the peer's fault; an invalid transaction is.
        const bool bad = !admitted && admitted.error().code() != "duplicate" && admitted.error().code() != "mempool_full" &&
                         admitted.error().code() != "replay";
        host->report(item.first, !bad);
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // consensus thread: PayloadSource

  Bytes next_payload(Height, const Hash32& parent, std::size_t max_bytes) override {
    std::set<Hash32> in_flight;
    for (auto it = pending_blocks.find(parent); it != pending_blocks.end(); it = pending_blocks.find(it->second.first))
      in_flight.insert(it->second.second.begin(), it->second.second.end());
    // Asking for as many more as are in flight leaves room to drop those; dropping only shrinks
    // the payload, so the byte bound holds.
    const std::size_t budget = std::min<std::size_t>(max_bytes, genesis.max_block_payload_bytes);
    std::vector<Bytes> chosen;
    for (Bytes& tx : pool.batch(genesis.max_block_transactions + in_flight.size(), budget)) {
      if (chosen.size() == genesis.max_block_transactions) break;
      if (in_flight.count(chain::transaction_id(tx)) == 0) chosen.push_back(std::move(tx));
    }
    return chain::encode_payload(chosen);
  }

  bool has_pending() override { return pool.size() > 0; }
  bool carries_transactions(ByteSpan payload) override { return payload.size() > chain::kPayloadHeaderBytes; }

  // A proposal's payload gets a vote when it decodes within the limits and every transaction
  // is well formed and signed; rules that depend on state or time are decided at execution, so
  // honest validators reach the same verdict on the same block.
  bool payload_valid(ByteSpan payload) override {
    auto txs = chain::decode_payload(payload, params);
    if (!txs) return false;
    std::optional<poi::ValidationContext> context;  // built once, and only if a transaction needs it
    for (const Bytes& tx : *txs) {
      if (pool.contains(chain::transaction_id(tx))) continue;  // verified at admission
      if (!context) context = proposal_context();
      if (!chain::check_transaction(tx, params, *context, &verified)) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // consensus thread: the loop and the outputs

  void consensus_loop() {
    consensus::Outputs out;
    core->start(wall_ms(), out);
    if (!perform(out)) return;
    auto next_flush = Clock::now() + kGossipFlushInterval;
    for (;;) {
      std::deque<Inbound> batch;
      {
        std::unique_lock lock(inbox_mu);
        auto wake = next_flush;
        if (timer_deadline_ms) {
          const std::uint64_t now = wall_ms();
          const auto until = *timer_deadline_ms > now ? *timer_deadline_ms - now : 0;
          wake = std::min(wake, Clock::now() + std::chrono::milliseconds(until));
        }
        inbox_cv.wait_until(lock, wake, [&] {
          return stopping || !inbox.empty() || payload_arrived.load(std::memory_order_relaxed);
        });
        if (stopping) return;
        batch.swap(inbox);
      }
      for (auto& in : batch) {
        out.clear();
        core->on_message(in.from, in.message, wall_ms(), out);
        if (const auto* request = std::get_if<consensus::BlockRequest>(&in.message)) serve_history(in.from, *request, out);
        if (const auto* p = std::get_if<consensus::ProposalMsg>(&in.message); p && p->last_round_tc)
          tcs_received.fetch_add(1, std::memory_order_relaxed);
        if (!perform(out, in.from)) return;
      }
      if (payload_arrived.exchange(false, std::memory_order_relaxed)) {
        out.clear();
        core->on_payload_available(wall_ms(), out);
        if (!perform(out)) return;
      }
      if (timer_deadline_ms && wall_ms() >= *timer_deadline_ms) {
        timer_deadline_ms.reset();
        out.clear();
        core->on_timeout(timer_round, wall_ms(), out);
        if (!perform(out)) return;
      }
      if (Clock::now() >= next_flush) {
        flush_gossip();
        next_flush = Clock::now() + kGossipFlushInterval;
      }
      publish_status();
    }
  }

  // Performs the core's outputs in order. A storage failure stops consensus (false): a node that
  // cannot persist must not sign or report anything final.
  bool perform(consensus::Outputs& out, std::optional<ValidatorIndex> from = std::nullopt) {
    for (auto& output : out) {
      Status s = std::visit([&](auto& o) { return apply(o, from); }, output);
      if (!s.ok()) {
        std::lock_guard lock(status_mu);
        snapshot.fault = "storage: " + s.error().to_string();
        stop_flag();
        return false;
      }
    }
    return true;
  }

  void send_message(ValidatorIndex to, const consensus::Message& message) {
    if (self && to == *self) {  // our own vote as the next leader: straight back in
      std::lock_guard lock(inbox_mu);
      inbox.push_back({to, message});
      return;
    }
    if (auto key = peer_key(to)) host->send(*key, frame(FrameKind::kConsensus, consensus::encode(message)));
  }

  Status apply(consensus::SendTo& o, std::optional<ValidatorIndex>) {
    send_message(o.to, o.message);
    return ok_status();
  }
  Status apply(consensus::Broadcast& o, std::optional<ValidatorIndex>) {
    if (std::holds_alternative<consensus::TimeoutMsg>(o.message)) timeouts_signed.fetch_add(1, std::memory_order_relaxed);
    host->broadcast(frame(FrameKind::kConsensus, consensus::encode(o.message)));
    return ok_status();
  }
  Status apply(consensus::PersistSafety& o, std::optional<ValidatorIndex>) { return chain->put_safety(o.state); }
  Status apply(consensus::PersistBlock& o, std::optional<ValidatorIndex>) {
    qcs_received.fetch_add(1, std::memory_order_relaxed);
    note_block(o.block);
    return chain->put_pending_block(o.block);
  }
  Status apply(consensus::Commit& o, std::optional<ValidatorIndex>) { return commit(o); }
  Status apply(consensus::SetTimer& o, std::optional<ValidatorIndex>) {
    timer_deadline_ms = o.deadline_ms;
    timer_round = o.round;
    return ok_status();
  }
  Status apply(consensus::ReportEvidence& o, std::optional<ValidatorIndex>) {
    (void)admit(chain::encode(chain::Transaction(o.evidence)), true);  // a duplicate report is fine
    return ok_status();
  }
  Status apply(consensus::RequestBlocks& o, std::optional<ValidatorIndex>) {
    send_message(o.from, o.request);
    return ok_status();
  }
  Status apply(consensus::RejectMessage& o, std::optional<ValidatorIndex>) {
    if (auto key = peer_key(o.from)) host->report(*key, false);
    return ok_status();
  }

  // A block request the core could not answer (the block left its memory) is answered from the
  // committed chain in storage: this is how a restarted or new node catches up from far behind.
  void serve_history(ValidatorIndex from, const consensus::BlockRequest& request, consensus::Outputs& out) {
    const bool answered = std::ranges::any_of(out, [](const consensus::Output& o) {
      const auto* send = std::get_if<consensus::SendTo>(&o);
      return send != nullptr && std::holds_alternative<consensus::BlockResponse>(send->message);
    });
    if (answered) return;
    auto block = chain->block(request.block_id);
    if (!block || !*block) return;
    auto at = chain->block_at((*block)->header.height);
    if (!at || !*at || (*at)->id != request.block_id) return;  // not on the committed chain
    consensus::BlockResponse response;
    const std::size_t count = std::clamp<std::size_t>(request.max_blocks, 1, consensus::WireLimits{}.max_blocks_per_response);
    for (Height h = (*block)->header.height; h > 0 && response.blocks.size() < count; --h) {
      auto b = chain->block_at(h);
      if (!b || !*b) return;
      response.blocks.push_back(std::move(**b));
    }
    out.push_back(consensus::SendTo{from, std::move(response)});
  }

  void note_block(const consensus::Block& block) {
    auto txs = chain::decode_payload(block.payload, params);
    std::vector<Hash32> ids;
    if (txs)
      for (const Bytes& tx : *txs) ids.push_back(chain::transaction_id(tx));
    pending_blocks[block.id] = {block.header.parent_id, std::move(ids)};
  }

  // Executes and writes each committed block in its own synced batch (block, QC, state changes,
  // digests, transaction index, new tip): after a crash the store holds a prefix of them.
  Status commit(const consensus::Commit& c) {
    std::vector<Hash32> committed_ids, committed_attestations;
    for (std::size_t i = 0; i < c.blocks.size(); ++i) {
      const consensus::Block& block = c.blocks[i];
      const QuorumCert& qc = i + 1 < c.blocks.size() ? c.blocks[i + 1].header.qc : c.qc;
      poi::StoreState state(*store);
      chain::ExecutionOptions options;
      options.is_finalized_block = [this](const Hash32& id) { return is_finalized_block(id); };
      options.verified = &verified;
      auto result = chain::execute_block(state, params, block.header.height,
                                         static_cast<std::int64_t>(block.header.timestamp_ms / 1000), block.payload, options);
      if (!result) return result.error();
      storage::WriteBatch batch;
      auto changes = state.commit_to(batch);
      if (!changes) return changes.error();
      state_digest = poi::next_state_digest(state_digest, *changes);
      receipts_digest = result->receipts_digest;
      std::vector<TxOutcome> outcomes;
      for (std::size_t t = 0; t < result->receipts.size(); ++t) {
        const chain::Receipt& r = result->receipts[t];
        TxOutcome o{r.tx_id, std::nullopt, r.ok, r.error_code, result->attesters[t]};
        if (r.attestation_id) {
          o.attestation_digest = hex::decode_fixed<32>(*r.attestation_id).value();
          committed_attestations.push_back(*o.attestation_digest);
        }
        outcomes.push_back(std::move(o));
        committed_ids.push_back(r.tx_id);
      }
      chain->stage_commit(batch, block, qc, state_digest, receipts_digest, outcomes);
      BIZRA_TRY(chain->write_commit(batch, block.id));
      pending_blocks.erase(block.id);
      note_commit(block, outcomes);
    }
    std::erase_if(pending_blocks, [&](const auto& entry) { return !reaches_tip(entry.first); });
    BIZRA_TRY(chain->prune_pending(c.blocks.back().header.height));
    // A committed attestation we did not hold may share its (key, nonce) with one we hold, which
    // can then never execute: only then is the whole pool re-checked against the new state.
    const bool foreign = std::ranges::any_of(committed_attestations, [&](const Hash32& digest) {
      std::lock_guard lock(attestations_mu);
      return pending_attestations.count(digest) == 0;
    });
    forget_pending_attestations(committed_attestations);
    poi::StoreState view(*store);
    std::function<bool(const chain::CheckedTx&)> still_valid;
    if (foreign)
      still_valid = [&](const chain::CheckedTx& tx) {
        return !tx.replay_key ||
               !view.nonce_seen(poi::NonceDomain::kAttestation, tx.replay_key->first, as_bytes(tx.replay_key->second));
      };
    pool.on_commit(committed_ids, still_valid, Clock::now());
    return ok_status();
  }

  // Drops the committed ones, and sweeps the ones the mempool dropped once they pile up (the
  // sweep is O(pending): it must not run at every commit of a busy node).
  void forget_pending_attestations(const std::vector<Hash32>& committed) {
    std::lock_guard lock(attestations_mu);
    for (const Hash32& digest : committed) pending_attestations.erase(digest);
    if (pending_attestations.size() > pool.size() + kStaleAttestationsSwept)
      std::erase_if(pending_attestations, [&](const auto& entry) { return !pool.contains(entry.second); });
  }

  // Whether a pending block still descends from the committed tip (else it can never commit).
  bool reaches_tip(const Hash32& id) const {
    const Hash32& tip = core->committed_id();
    for (auto it = pending_blocks.find(id); it != pending_blocks.end(); it = pending_blocks.find(it->second.first))
      if (it->second.first == tip) return true;
    return false;
  }

  void note_commit(const consensus::Block& block, const std::vector<TxOutcome>& outcomes) {
    const std::uint64_t now = wall_ms();
    const std::uint64_t finality = now > block.header.timestamp_ms ? now - block.header.timestamp_ms : 0;
    {
      std::lock_guard lock(status_mu);
      ++snapshot.commits;
      snapshot.committed_transactions += outcomes.size();
      snapshot.last_finality_ms = finality;
    }
    const CommitEvent event{block.header.height, block.id, block.header.round, block.header.timestamp_ms, finality,
                            &outcomes};
    for (const auto& listener : commit_listeners) listener(event);
  }

  void publish_status() {
    std::lock_guard lock(status_mu);
    snapshot.round = core->current_round();
    snapshot.committed_height = core->committed_height();
    snapshot.committed_id = core->committed_id();
    snapshot.leader = crypto::account_id(validators.at(validators.leader(kEpoch, core->current_round())).key);
    if (core->fault()) snapshot.fault = core->fault()->to_string();
  }

  void stop_flag() {
    std::lock_guard lock(inbox_mu);
    stopping = true;
    inbox_cv.notify_all();
    ingress_cv.notify_all();
  }
};

// ------------------------------------------------------------------------------------------------

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() { stop(); }

Result<std::unique_ptr<Node>> Node::open(const NodeConfig& config, const Genesis& genesis, crypto::SecretKey key) {
  mempool::Config pool_config;
  pool_config.max_transactions = config.mempool_max_transactions;
  pool_config.max_bytes = config.mempool_max_bytes;
  auto impl = std::make_unique<Impl>(config, genesis, std::move(key), pool_config);
  auto set = validator_set(genesis);
  if (!set) return Error("bad_genesis", set.error().message());
  impl->validators = std::move(*set);
  impl->index_validators();
  BIZRA_TRY(impl->open_store());
  BIZRA_TRY(impl->init_or_check_genesis());
  BIZRA_TRY(impl->build_core());
  BIZRA_TRY(impl->make_host());
  {
    std::lock_guard lock(impl->status_mu);
    impl->snapshot.node_id = crypto::account_id(impl->net_key.public_key());
    impl->snapshot.validator = impl->self.has_value();
    impl->snapshot.validators = impl->validators.size();
  }
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Status Node::start() {
  Impl& n = *impl_;
  if (n.started) return ok_status();
  BIZRA_TRY(n.host->start());
  n.started = true;
  n.consensus_thread = std::thread([&n] { n.consensus_loop(); });
  n.ingress_thread = std::thread([&n] { n.ingress_loop(); });
  return ok_status();
}

void Node::stop() {
  Impl& n = *impl_;
  if (!n.started) return;
  n.stop_flag();
  if (n.consensus_thread.joinable()) n.consensus_thread.join();
  if (n.ingress_thread.joinable()) n.ingress_thread.join();
  n.host->stop();
  n.started = false;
}

Result<chain::CheckedTx> Node::submit(ByteSpan encoded_transaction) {
  {
    std::lock_guard lock(impl_->inbox_mu);
    if (impl_->stopping) return Error("stopped", "the node is shutting down");
  }
  return impl_->admit(encoded_transaction, true);
}

TxStatus Node::transaction_status(const Hash32& tx_id) const {
  TxStatus status;
  auto record = impl_->chain->transaction(tx_id);
  if (record && *record) {
    status.state = TxState::kFinal;
    status.record = **record;
  } else if (impl_->pool.contains(tx_id)) {
    status.state = TxState::kPending;
  }
  return status;
}

std::optional<Hash32> Node::attestation_transaction(const Hash32& attestation_digest) const {
  auto id = impl_->chain->attestation_tx(attestation_digest);
  if (id && *id) return **id;
  std::lock_guard lock(impl_->attestations_mu);
  const auto it = impl_->pending_attestations.find(attestation_digest);
  if (it == impl_->pending_attestations.end()) return std::nullopt;
  return it->second;
}

NodeStatus Node::status() const {
  NodeStatus s;
  {
    std::lock_guard lock(impl_->status_mu);
    s = impl_->snapshot;
  }
  s.mempool_transactions = impl_->pool.size();
  s.mempool_bytes = impl_->pool.bytes();
  const auto peers = impl_->host->peers();
  s.peers_connected = static_cast<std::size_t>(std::count_if(peers.begin(), peers.end(), [](const auto& p) { return p.connected; }));
  return s;
}

std::vector<net::PeerStatus> Node::peers() const { return impl_->host->peers(); }

void Node::add_commit_listener(CommitListener listener) { impl_->commit_listeners.push_back(std::move(listener)); }
void Node::add_peer_listener(PeerListener listener) { impl_->peer_listeners.push_back(std::move(listener)); }

Result<bool> Node::is_final(const consensus::Block& block) const {
  impl_->finality_checks.fetch_add(1, std::memory_order_relaxed);
  if (impl_->core->graph().is_finalized(block.id)) return true;  // lock-free, recent blocks
  auto committed = impl_->chain->block_at(block.header.height);  // older history
  if (!committed) return committed.error();
  return *committed && (*committed)->id == block.id;
}

std::uint64_t Node::finality_checks() const { return impl_->finality_checks.load(std::memory_order_relaxed); }

NodeCounters Node::counters() const {
  const auto read = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  const net::HostCounters network = impl_->host->counters();
  return {read(impl_->timeouts_signed), read(impl_->qcs_received), read(impl_->tcs_received), network.bytes_in,
          network.bytes_out};
}
std::size_t Node::graph_blocks() const { return impl_->core->graph().size(); }

const Genesis& Node::genesis() const { return impl_->genesis; }
const Hash32& Node::genesis_root() const { return impl_->root; }
const chain::ChainParams& Node::params() const { return impl_->params; }
ChainStore& Node::chain() { return *impl_->chain; }
const storage::Store& Node::store() const { return *impl_->store; }
storage::Store& Node::mutable_store() { return *impl_->store; }
poi::ValidationContext Node::validation_context() const { return impl_->validation_context(); }

}  // namespace bizra::node
