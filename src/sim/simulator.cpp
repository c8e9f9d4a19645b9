#include "sim/simulator.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

#include "sim/byzantine.hpp"
#include "sim/event_queue.hpp"
#include "sim/keys.hpp"
#include "sim/network.hpp"
#include "sim/workload.hpp"

namespace bizra::sim {
namespace {

using consensus::Block;
using consensus::Message;
using consensus::Outputs;

constexpr std::string_view kChainId = "bizra-sim";
constexpr consensus::Epoch kEpoch = 0;
// Committed blocks each core keeps in memory; older ones the driver serves from the node's disk,
// as a node does from storage. Small, so that 1 000 cores do not each hold 1 000 blocks.
constexpr std::size_t kCommittedBlocksKept = 16;

// Stream names for the run's independent random streams.
constexpr std::uint64_t kNetworkStream = 1;
constexpr std::uint64_t kCrashStream = 2;
constexpr std::uint64_t kBehaviourStream = 3;

std::uint64_t message_tag_of(const Message& message) {
  const auto kind = static_cast<std::uint8_t>(message.index());
  if (const auto* p = std::get_if<consensus::ProposalMsg>(&message)) return message_tag(kind, p->block.header.round);
  if (const auto* v = std::get_if<consensus::VoteMsg>(&message)) return message_tag(kind, v->round);
  if (const auto* t = std::get_if<consensus::TimeoutMsg>(&message)) return message_tag(kind, t->round);
  return message_tag(kind, 0);
}

std::uint64_t first_word(const Hash32& id) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < 8; ++i) word = (word << 8) | id.bytes[i];
  return word;
}

std::uint64_t packed_code(std::string_view code) {
  std::uint64_t packed = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(8, code.size()); ++i)
    packed |= std::uint64_t{static_cast<std::uint8_t>(code[i])} << (8 * i);
  return packed;
}

Time percentile(std::vector<Time>& samples, std::size_t percent) {
  if (samples.empty()) return 0;
  const std::size_t rank = (samples.size() - 1) * percent / 100;
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(rank), samples.end());
  return samples[rank];
}

// Encoded bytes on their way to one or more recipients (a broadcast shares one Packet). Decoding
// is a pure function of the bytes, so the first recipient's result serves the others; each
// recipient's CPU is still charged for it.
struct Packet {
  Bytes bytes;
  std::uint64_t tag = 0;
  mutable std::optional<Result<Message>> decoded;
};
using PacketPtr = std::shared_ptr<const Packet>;

struct Input {
  enum class Kind : std::uint8_t { kStart, kMessage, kTimer };
  Kind kind = Kind::kStart;
  ValidatorIndex from = 0;
  PacketPtr packet;
  Round round = 0;
};

// What survives a crash: exactly what the node's performed outputs wrote.
using BlockPtr = std::shared_ptr<const Block>;

struct Disk {
  std::optional<consensus::SafetyState> safety;
  std::map<Hash32, Block> blocks;  // PersistBlock'ed blocks at or above the committed height
  Hash32 committed;
  Height committed_height = 0;
  std::vector<BlockPtr> chain;  // committed history: chain[h - 1] is the block at height h
  std::unique_ptr<Executor> executor;  // the PoI state, committed with each block
};

struct Node {
  ValidatorIndex index = 0;
  std::unique_ptr<Behaviour> behaviour;  // null for honest nodes
  CpuMeter meter;
  std::unique_ptr<SimPayloadSource> payloads;
  std::unique_ptr<consensus::Core> core;
  bool up = true;
  bool down = false;  // one of Scenario::down: never runs
  std::uint64_t incarnation = 0;  // bumps at each crash: events of an earlier life are void
  std::uint64_t timer_generation = 0;
  std::deque<Input> inbox;
  bool busy = false;
  Outputs pending;  // the outputs of the step in progress
  bool check_restore = false;
  Round round = 0;
  Disk disk;
};

struct Event {
  enum class Kind : std::uint8_t { kArrive, kTimer, kStepDone, kCrash, kRestart, kGst, kDeadline };
  Kind kind = Kind::kArrive;
  ValidatorIndex node = 0;
  ValidatorIndex from = 0;
  std::uint64_t token = 0;  // incarnation (step done) or timer generation (timer)
  Round round = 0;
  PacketPtr packet;
};

Event node_event(Event::Kind kind, ValidatorIndex node, std::uint64_t token = 0, Round round = 0) {
  Event event;
  event.kind = kind;
  event.node = node;
  event.token = token;
  event.round = round;
  return event;
}

class Simulation {
 public:
  Simulation(const Scenario& scenario, const RunOptions& options);
  RunResult run();

 private:
  // --- setup
  void build_validators();
  void build_nodes();
  std::unique_ptr<consensus::Core> make_core(Node& node);

  // --- events
  void handle(const Event& event);
  void arrive(const Event& event);
  void start_step(Node& node);
  void finish_step(Node& node);
  void crash(Node& node);
  void restart(Node& node);

  // --- outputs
  void perform(Node& node, consensus::Output& output);
  void send(Node& node, const Message& message, std::span<const ValidatorIndex> recipients);
  void send_packet(ValidatorIndex from, ValidatorIndex to, const PacketPtr& packet);
  ByzantineContext byzantine_context(Node& node);
  void note_signed(const Node& node, const Message& message);
  void commit(Node& node, const consensus::Commit& commit);
  void serve_history(const Node& node, ValidatorIndex from, const consensus::BlockRequest& request, Outputs& out);
  void after_step(Node& node);

  void trace(TraceKind kind, ValidatorIndex node, ValidatorIndex peer = 0, std::uint64_t a = 0, std::uint64_t b = 0);
  std::uint64_t now_ms() const { return now_ / kMillis; }
  bool finished() const;
  Metrics metrics();

  Scenario scenario_;
  Rng root_;
  Rng network_rng_;
  Rng crash_rng_;
  KeyRing keys_;
  std::optional<consensus::ValidatorSet> validators_;
  Block genesis_;
  std::vector<poi::GenesisValidator> poi_genesis_;
  Workload workload_;
  Network network_;
  Checker checker_;
  std::optional<Coalition> coalition_;
  std::vector<Rng> byzantine_rngs_;
  std::vector<Node> nodes_;
  std::vector<ValidatorIndex> everyone_;
  EventQueue<Event> queue_;
  Trace trace_;
  Time now_ = 0;
  bool gst_reached_ = false;

  std::map<Hash32, BlockPtr> committed_blocks_;  // one copy of each block any node committed
  std::map<Hash32, Time> proposed_at_;  // first time each block was proposed
  std::vector<Time> latencies_;
  Metrics counters_;
};

std::vector<bool> honesty(const Scenario& scenario) {
  std::vector<bool> honest(scenario.validators, true);
  const auto byzantine = byzantine_nodes(scenario);
  for (const ValidatorIndex i : *byzantine) honest[i] = false;
  return honest;
}

Simulation::Simulation(const Scenario& scenario, const RunOptions& options)
    : scenario_(scenario),
      root_(scenario.seed),
      network_rng_(root_.fork(kNetworkStream)),
      crash_rng_(root_.fork(kCrashStream)),
      keys_(*scenario.scheme, scenario.seed, scenario.validators),
      genesis_(consensus::make_genesis(kEpoch, 0)),
      workload_(std::string(kChainId), scenario.seed, scenario.workload),
      network_(scenario.network, scenario.seed, scenario.validators),
      checker_(honesty(scenario)),
      trace_(options.trace_tail) {
  trace_.set_echo(options.trace);
  build_validators();
  build_nodes();
}

void Simulation::build_validators() {
  const auto weights = validator_weights(scenario_);
  std::vector<consensus::ValidatorInfo> infos;
  for (ValidatorIndex i = 0; i < scenario_.validators; ++i) {
    infos.push_back({keys_.public_key(i), weights[i]});
    everyone_.push_back(i);
    // The PoI registry holds at most kMaxActiveValidators; the first ones stand for the set.
    if (i < poi::kMaxActiveValidators)
      poi_genesis_.push_back({keys_.public_key(i), "sim://" + std::to_string(i), 1000, weights[i]});
  }
  validators_ = consensus::ValidatorSet::create(std::move(infos)).value();
  for (ValidatorIndex i = 0; i < scenario_.validators; ++i)
    if (validators_->at(i).key != keys_.public_key(i)) throw std::logic_error("sim: key order differs from the set's");
}

void Simulation::build_nodes() {
  const auto byzantine = *byzantine_nodes(scenario_);
  nodes_.resize(scenario_.validators);
  for (ValidatorIndex i = 0; i < scenario_.validators; ++i) {
    Node& node = nodes_[i];
    node.index = i;
    node.disk.committed = genesis_.id;
    node.disk.executor = std::make_unique<Executor>(std::string(kChainId), poi_genesis_);
    byzantine_rngs_.push_back(root_.fork(mix(kBehaviourStream, i)));
  }
  for (std::size_t k = 0; k < byzantine.size(); ++k)
    nodes_[byzantine[k]].behaviour = make_behaviour(scenario_.faults[k % scenario_.faults.size()]);
  if (!byzantine.empty()) coalition_.emplace(*validators_, kEpoch);
  for (Node& node : nodes_) {
    node.core = make_core(node);
    node.inbox.push_back(Input{Input::Kind::kStart, 0, nullptr, 0});
  }
  const auto down = down_nodes(scenario_);
  for (const ValidatorIndex i : *down) {
    nodes_[i].up = false;
    nodes_[i].down = true;
    checker_.mark_down(i);
  }
  for (const CrashSpec& c : scenario_.crashes) {
    queue_.schedule(c.at, node_event(Event::Kind::kCrash, c.node));
    queue_.schedule(c.restart, node_event(Event::Kind::kRestart, c.node));
  }
  queue_.schedule(scenario_.network.gst, node_event(Event::Kind::kGst, 0));
  queue_.schedule(scenario_.network.gst + scenario_.liveness_window, node_event(Event::Kind::kDeadline, 0));
}

std::unique_ptr<consensus::Core> Simulation::make_core(Node& node) {
  consensus::CoreConfig config;
  config.chain_id = std::string(kChainId);
  config.epoch = kEpoch;
  config.validators = *validators_;
  config.self = node.index;
  config.base_timeout_ms = scenario_.base_timeout_ms;
  config.genesis = genesis_;
  config.safety_mutation = scenario_.mutation;
  config.committed_blocks_kept = kCommittedBlocksKept;
  node.payloads = std::make_unique<SimPayloadSource>(workload_, mix(scenario_.seed, mix(node.index, node.incarnation)));
  consensus::RestoredState restored;
  if (node.disk.safety) restored.safety = *node.disk.safety;
  for (const auto& [id, block] : node.disk.blocks) restored.blocks.push_back(block);
  restored.committed = node.disk.committed;
  return std::make_unique<consensus::Core>(
      std::move(config), std::make_unique<MeteredSigner>(keys_, node.index, node.meter, scenario_.costs),
      *node.payloads, std::move(restored));
}

// ---------------------------------------------------------------------------------------------

RunResult Simulation::run() {
  for (Node& node : nodes_)
    if (node.up) start_step(node);
  while (!queue_.empty() && !checker_.violation() && !finished()) {
    auto entry = queue_.pop();
    now_ = entry.time;
    ++counters_.events;
    handle(entry.payload);
  }
  if (const auto& v = checker_.violation()) trace(TraceKind::kViolation, v->node);
  RunResult result;
  result.scenario = scenario_;
  result.violation = checker_.violation();
  result.trace_hash = trace_.hash();
  result.end = now_;
  result.metrics = metrics();
  result.trace_tail = trace_.tail();
  return result;
}

// The run ends once its duration is over and liveness has been shown (or has failed).
bool Simulation::finished() const { return now_ >= scenario_.duration && gst_reached_ && checker_.all_progressed(); }

void Simulation::handle(const Event& event) {
  Node& node = nodes_[event.node];
  switch (event.kind) {
    case Event::Kind::kArrive: arrive(event); break;
    case Event::Kind::kTimer:
      if (node.up && event.token == node.timer_generation) {
        node.inbox.push_back(Input{Input::Kind::kTimer, 0, nullptr, event.round});
        if (!node.busy) start_step(node);
      }
      break;
    case Event::Kind::kStepDone:
      if (node.up && event.token == node.incarnation) finish_step(node);
      break;
    case Event::Kind::kCrash:
      if (node.up) crash(node);
      break;
    case Event::Kind::kRestart:
      if (!node.up && !node.down) restart(node);
      break;
    case Event::Kind::kGst:
      gst_reached_ = true;
      checker_.arm_liveness(scenario_.network.gst + scenario_.liveness_window);
      break;
    case Event::Kind::kDeadline: checker_.check_liveness(now_); break;
  }
}

void Simulation::arrive(const Event& event) {
  Node& node = nodes_[event.node];
  if (!node.up) {
    ++counters_.lost;
    trace(TraceKind::kLost, node.index, event.from, event.packet->tag);
    return;
  }
  node.inbox.push_back(Input{Input::Kind::kMessage, event.from, event.packet, 0});
  if (!node.busy) start_step(node);
}

void Simulation::start_step(Node& node) {
  Input input = std::move(node.inbox.front());
  node.inbox.pop_front();
  Outputs out;
  switch (input.kind) {
    case Input::Kind::kStart:
      node.core->start(now_ms(), out);
      break;
    case Input::Kind::kTimer:
      trace(TraceKind::kTimer, node.index, 0, input.round);
      node.core->on_timeout(input.round, now_ms(), out);
      break;
    case Input::Kind::kMessage: {
      const Packet& packet = *input.packet;
      node.meter.charge(scenario_.costs.per_message + scenario_.costs.per_kib * packet.bytes.size() / 1024);
      if (!packet.decoded) packet.decoded = consensus::decode_message(packet.bytes, consensus::WireLimits{});
      if (node.behaviour) node.behaviour->received(packet.bytes);
      if (!*packet.decoded) {
        ++counters_.malformed;
        trace(TraceKind::kMalformed, node.index, input.from, packet.bytes.size());
        break;
      }
      trace(TraceKind::kDeliver, node.index, input.from, packet.tag, packet.bytes.size());
      node.core->on_message(input.from, **packet.decoded, now_ms(), out);
      if (const auto* request = std::get_if<consensus::BlockRequest>(&**packet.decoded))
        serve_history(node, input.from, *request, out);
      break;
    }
  }
  const Time cost = node.meter.take();
  if (cost > 0) trace(TraceKind::kBusy, node.index, 0, cost);
  node.pending = std::move(out);
  node.busy = true;
  queue_.schedule(now_ + cost, node_event(Event::Kind::kStepDone, node.index, node.incarnation));
}

void Simulation::finish_step(Node& node) {
  Outputs outputs = std::move(node.pending);
  node.pending.clear();
  for (auto& output : outputs) perform(node, output);
  node.busy = false;
  after_step(node);
  if (node.up && !node.inbox.empty()) start_step(node);
}

void Simulation::after_step(Node& node) {
  if (node.behaviour && node.up) {
    ByzantineContext ctx = byzantine_context(node);
    node.behaviour->act(ctx);
  }
  if (const auto& fault = node.core->fault()) checker_.on_core_fault(node.index, *fault, now_);
  if (node.check_restore) {
    node.check_restore = false;
    checker_.on_restart(node.index, node.disk.committed_height, node.core->committed_height(), now_);
  }
  if (const Round round = node.core->current_round(); round != node.round) {
    node.round = round;
    if (checker_.honest(node.index)) counters_.max_round = std::max(counters_.max_round, round);
    trace(TraceKind::kRound, node.index, 0, round);
  }
}

void Simulation::crash(Node& node) {
  std::size_t performed = 0;
  if (node.busy) {  // the step was under way: only a prefix of its outputs happened
    performed = crash_rng_.below(node.pending.size() + 1);
    for (std::size_t i = 0; i < performed; ++i) perform(node, node.pending[i]);
  }
  trace(TraceKind::kCrash, node.index, 0, performed);
  node.up = false;
  node.busy = false;
  node.pending.clear();
  node.inbox.clear();
  node.core.reset();
  node.payloads.reset();  // the mempool is memory, not disk
  node.meter.take();
  ++node.incarnation;
  ++node.timer_generation;
}

void Simulation::restart(Node& node) {
  node.core = make_core(node);
  node.up = true;
  node.check_restore = true;
  node.round = 0;
  trace(TraceKind::kRestart, node.index, 0, node.disk.committed_height);
  node.inbox.push_back(Input{Input::Kind::kStart, 0, nullptr, 0});
  start_step(node);
}

// ---------------------------------------------------------------------------------------------

void Simulation::perform(Node& node, consensus::Output& output) {
  if (auto* s = std::get_if<consensus::SendTo>(&output)) {
    const ValidatorIndex to[] = {s->to};
    send(node, s->message, to);
  } else if (auto* b = std::get_if<consensus::Broadcast>(&output)) {
    std::vector<ValidatorIndex> others;
    others.reserve(everyone_.size());
    for (const ValidatorIndex i : everyone_)
      if (i != node.index) others.push_back(i);
    send(node, b->message, others);
  } else if (auto* p = std::get_if<consensus::PersistSafety>(&output)) {
    node.disk.safety = p->state;
    trace(TraceKind::kPersist, node.index, 0, p->state.last_voted_round, p->state.preferred_round);
  } else if (auto* pb = std::get_if<consensus::PersistBlock>(&output)) {
    const Hash32 id = pb->block.id;  // outputs are performed once: the block can move to the disk
    if (pb->block.header.height >= node.disk.committed_height) node.disk.blocks.emplace(id, std::move(pb->block));
  } else if (auto* c = std::get_if<consensus::Commit>(&output)) {
    commit(node, *c);
  } else if (auto* t = std::get_if<consensus::SetTimer>(&output)) {
    ++node.timer_generation;
    queue_.schedule(std::max(now_, t->deadline_ms * kMillis),
                    node_event(Event::Kind::kTimer, node.index, node.timer_generation, t->round));
  } else if (auto* e = std::get_if<consensus::ReportEvidence>(&output)) {
    if (checker_.honest(node.index)) ++counters_.evidence;
    if (node.payloads) node.payloads->add_evidence(e->evidence);
  } else if (auto* r = std::get_if<consensus::RequestBlocks>(&output)) {
    const ValidatorIndex to[] = {r->from};
    send(node, r->request, to);
  } else if (auto* rej = std::get_if<consensus::RejectMessage>(&output)) {
    ++counters_.rejected;
    trace(TraceKind::kRejected, node.index, rej->from, packed_code(rej->reason.code()));
  }
}

void Simulation::send(Node& node, const Message& message, std::span<const ValidatorIndex> recipients) {
  if (coalition_) coalition_->tap(message);
  if (const auto* p = std::get_if<consensus::ProposalMsg>(&message)) proposed_at_.try_emplace(p->block.id, now_);
  if (!node.behaviour) {
    if (scenario_.check_double_signing) note_signed(node, message);
    auto packet = std::make_shared<Packet>();
    packet->bytes = consensus::encode(message);
    packet->tag = message_tag_of(message);
    for (const ValidatorIndex to : recipients) send_packet(node.index, to, packet);
    return;
  }
  ByzantineContext ctx = byzantine_context(node);
  node.behaviour->send(message, recipients, ctx);
}

ByzantineContext Simulation::byzantine_context(Node& node) {
  ByzantineContext ctx;
  ctx.self = node.index;
  ctx.validators = nodes_.size();
  ctx.chain_id = std::string(kChainId);
  ctx.epoch = kEpoch;
  ctx.genesis_id = genesis_.id;
  ctx.rng = &byzantine_rngs_[node.index];
  ctx.coalition = &*coalition_;
  ctx.sign = [this, &node](ByteSpan bytes) {
    node.meter.charge(scenario_.costs.sign);
    return keys_.sign(node.index, bytes);
  };
  ctx.send = [this, &node](ValidatorIndex to, Bytes bytes) {
    auto packet = std::make_shared<Packet>();
    packet->bytes = std::move(bytes);
    packet->decoded = consensus::decode_message(packet->bytes, consensus::WireLimits{});
    packet->tag = *packet->decoded ? message_tag_of(**packet->decoded) : 0xff;
    if (*packet->decoded) coalition_->tap(**packet->decoded);
    send_packet(node.index, to, packet);
  };
  ctx.note = [this, &node](std::uint64_t action, Round round) {
    ++counters_.byzantine_actions;
    trace(TraceKind::kByzantine, node.index, 0, action, round);
  };
  return ctx;
}

void Simulation::send_packet(ValidatorIndex from, ValidatorIndex to, const PacketPtr& packet) {
  ++counters_.messages;
  counters_.bytes += packet->bytes.size();
  const auto arrivals = network_.plan(from, to, packet->bytes.size(), now_, network_rng_);
  if (arrivals.empty()) {
    ++counters_.lost;
    trace(TraceKind::kLost, to, from, packet->tag);
  }
  for (const Time at : arrivals) {
    Event event = node_event(Event::Kind::kArrive, to);
    event.from = from;
    event.packet = packet;
    queue_.schedule(at, std::move(event));
  }
}

// Remembers what an honest node signed, so that a second, different statement for the same
// round — before or after a crash — is caught.
void Simulation::note_signed(const Node& node, const Message& message) {
  if (const auto* v = std::get_if<consensus::VoteMsg>(&message); v && v->voter == node.index) {
    checker_.on_signed(node.index, poi::MessageKind::kVote, v->round, v->block_id, now_);
  } else if (const auto* t = std::get_if<consensus::TimeoutMsg>(&message); t && t->sender == node.index) {
    Hash32 statement;
    for (std::size_t i = 0; i < 8; ++i) statement.bytes[i] = static_cast<std::uint8_t>(t->high_qc.round >> (8 * i));
    checker_.on_signed(node.index, poi::MessageKind::kTimeout, t->round, statement, now_);
  } else if (const auto* p = std::get_if<consensus::ProposalMsg>(&message);
             p && p->block.header.proposer == node.index) {
    checker_.on_signed(node.index, poi::MessageKind::kProposal, p->block.header.round, p->block.id, now_);
  }
}

void Simulation::commit(Node& node, const consensus::Commit& commit) {
  Disk& disk = node.disk;
  for (const Block& block : commit.blocks) {
    checker_.on_commit(node.index, block, now_);
    if (const Status executed = disk.executor->execute(block); !executed) {
      checker_.on_execution_error(node.index, executed.error().to_string(), now_);
      return;
    }
    node.meter.charge(scenario_.costs.per_block_executed);
    checker_.on_executed(node.index, block.header.height, disk.executor->digest(), disk.executor->receipts_digest(),
                         now_);
    disk.committed = block.id;
    disk.committed_height = block.header.height;
    auto [stored, inserted] = committed_blocks_.try_emplace(block.id);
    if (inserted) stored->second = std::make_shared<const Block>(block);
    disk.chain.push_back(stored->second);
    trace(TraceKind::kCommit, node.index, 0, block.header.height, first_word(block.id));
    if (const auto it = proposed_at_.find(block.id); it != proposed_at_.end() && checker_.honest(node.index))
      latencies_.push_back(now_ - it->second);
  }
  std::erase_if(disk.blocks, [&](const auto& entry) { return entry.second.header.height < disk.committed_height; });
}

// A block request the core could not answer (the block left its memory) is answered from the
// node's committed history, as a node serves it from storage.
void Simulation::serve_history(const Node& node, ValidatorIndex from, const consensus::BlockRequest& request,
                               Outputs& out) {
  const bool answered = std::ranges::any_of(out, [](const consensus::Output& o) {
    const auto* send = std::get_if<consensus::SendTo>(&o);
    return send != nullptr && std::holds_alternative<consensus::BlockResponse>(send->message);
  });
  const auto it = committed_blocks_.find(request.block_id);
  if (answered || it == committed_blocks_.end()) return;
  const Height height = it->second->header.height;
  const auto& chain = node.disk.chain;
  if (height == 0 || height > chain.size() || chain[height - 1]->id != request.block_id) return;
  consensus::BlockResponse response;
  const std::size_t count =
      std::clamp<std::size_t>(request.max_blocks, 1, consensus::WireLimits{}.max_blocks_per_response);
  for (Height h = height; h > 0 && response.blocks.size() < count; --h) response.blocks.push_back(*chain[h - 1]);
  out.push_back(consensus::SendTo{from, std::move(response)});
}

void Simulation::trace(TraceKind kind, ValidatorIndex node, ValidatorIndex peer, std::uint64_t a, std::uint64_t b) {
  trace_.record(TraceEvent{now_, kind, node, peer, a, b});
}

Metrics Simulation::metrics() {
  Metrics m = counters_;
  bool first = true;
  for (const Node& node : nodes_) {
    if (!checker_.honest(node.index) || node.down) continue;
    const Height height = checker_.committed_height(node.index);
    m.committed_min = first ? height : std::min(m.committed_min, height);
    m.committed_max = std::max(m.committed_max, height);
    if (first) m.failed_transactions = node.disk.executor->failed_transactions();
    first = false;
  }
  if (const auto recovered = checker_.recovered_at()) m.recovery = *recovered - scenario_.network.gst;
  m.latency_p50 = percentile(latencies_, 50);
  m.latency_p99 = percentile(latencies_, 99);
  return m;
}

}  // namespace

Result<RunResult> run(const Scenario& scenario, const RunOptions& options) {
  auto resolved = resolve(scenario);
  if (!resolved) return resolved.error();
  Simulation simulation(*resolved, options);
  return simulation.run();
}

std::string failure_report(const RunResult& result) {
  std::string report;
  if (result.violation) {
    const Violation& v = *result.violation;
    report += "VIOLATION (" + std::string(name(v.kind)) + ") at " + std::to_string(v.at / kMillis) +
              " ms: " + v.detail + "\n";
  }
  report += "seed " + std::to_string(result.scenario.seed) + "; reproduce with:\n  node0 sim " +
            result.scenario.to_flags() + " --trace\n";
  report += "last " + std::to_string(result.trace_tail.size()) + " trace records:\n";
  for (const auto& event : result.trace_tail) report += "  " + format(event) + "\n";
  return report;
}

}  // namespace bizra::sim
