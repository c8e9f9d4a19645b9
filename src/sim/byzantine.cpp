#include "sim/byzantine.hpp"

#include <algorithm>

#include "poi/signing.hpp"
#include "sim/workload.hpp"

namespace bizra::sim {
namespace {

using consensus::Block;
using consensus::Message;
using consensus::ProposalMsg;
using consensus::QuorumCert;
using consensus::TimeoutMsg;
using consensus::VoteMsg;

constexpr Round kRoundsKept = 64;

// Trace tags of Byzantine actions (TraceKind::kByzantine's `a`).
enum Action : std::uint64_t {
  kTwinProposal = 1,
  kExtraVote = 2,
  kForkTimeout = 3,
  kWithheldVote = 4,
  kWithheldTimeout = 5,
  kInvalidProposal = 6,
  kGarbage = 7,
  kReplayed = 8,
  kRevealedQc = 9,
  kDeepFork = 10,
  kHidden = 11,
};

void send_to_all(const Message& message, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) {
  const Bytes bytes = consensus::encode(message);
  for (const ValidatorIndex to : recipients) ctx.send(to, bytes);
}

Round round_of(const Message& message) {
  if (const auto* p = std::get_if<ProposalMsg>(&message)) return p->block.header.round;
  if (const auto* v = std::get_if<VoteMsg>(&message)) return v->round;
  if (const auto* t = std::get_if<TimeoutMsg>(&message)) return t->round;
  return 0;
}

// Recomputes the id of a block whose header changed and signs it as its proposer would.
void reseal(Block& block, ByzantineContext& ctx) {
  block.id = consensus::compute_block_id(block.header);
  block.proposer_signature =
      ctx.sign(poi::proposal_message(ctx.chain_id, block.header.epoch, block.header.round, block.id));
}

void set_payload(Block& block, Bytes payload) {
  block.payload = std::move(payload);
  block.header.payload_digest = consensus::payload_digest(block.payload);
}

VoteMsg signed_vote(Round round, const Hash32& block_id, ByzantineContext& ctx) {
  VoteMsg vote;
  vote.epoch = ctx.epoch;
  vote.round = round;
  vote.block_id = block_id;
  vote.voter = ctx.self;
  vote.signature = ctx.sign(poi::vote_message(ctx.chain_id, ctx.epoch, round, block_id));
  return vote;
}

Hash32 random_id(Rng& rng) {
  Hash32 id;
  for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rng.next());
  return id;
}

// A valid payload different from `payload`: one more (random) attestation effect.
Bytes other_payload(ByteSpan payload, Rng& rng) {
  auto transactions = decode_payload(payload);
  std::vector<Transaction> list = transactions ? std::move(*transactions) : std::vector<Transaction>{};
  if (list.size() == kMaxTransactions) list.pop_back();
  AttestationEffect effect;
  effect.attester.bytes = random_id(rng);
  effect.impact_micro = rng.below(1'000'000);
  effect.nonce = rng.next();
  list.emplace_back(effect);
  return encode_payload(list);
}

// --- equivocate ----------------------------------------------------------------------------
// The coalition's attack on safety; it can only succeed against a broken safety rule:
//  - As leader it either proposes twins (the second on a conflicting certified fork of the
//    same round when the coalition knows one) and shows both to everybody in random orders, or
//    stays silent and hides the QC it formed (its timeouts then carry an older QC), or — in a
//    round entered through a TC — proposes a block forking two levels below its high QC, which
//    only a node that ignores the TC's high QC round votes for.
//  - It votes for every block it hears of in a round.
//  - Its timeouts carry different QCs to different validators (forks of one round, or an older
//    QC: a second, conflicting timeout), and now and then it reveals a QC that the coalition
//    assembled from tapped votes and no honest node has been shown, to one validator or to half
//    of them (in a timeout for the round after the QC's).
class Equivocator final : public Behaviour {
 public:
  void send(const Message& message, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) override {
    if (const auto* p = std::get_if<ProposalMsg>(&message); p && p->block.header.proposer == ctx.self) {
      propose(*p, recipients, ctx);
    } else if (const auto* v = std::get_if<VoteMsg>(&message); v && v->voter == ctx.self) {
      vote_everything(*v, recipients, ctx);
    } else if (const auto* t = std::get_if<TimeoutMsg>(&message); t && t->sender == ctx.self) {
      fork_timeouts(*t, recipients, ctx);
    } else {
      send_to_all(message, recipients, ctx);
    }
  }

  void act(ByzantineContext& ctx) override {
    if (!ctx.rng->chance(kPartsPerMillion / 4)) return;
    const auto hidden = ctx.coalition->private_certificates();
    if (hidden.empty()) return;
    const QuorumCert& qc = hidden[ctx.rng->below(hidden.size())];
    TimeoutMsg reveal;
    reveal.epoch = ctx.epoch;
    reveal.round = qc.round + 1;
    reveal.high_qc = qc;
    reveal.sender = ctx.self;
    reveal.signature = ctx.sign(poi::timeout_message(ctx.chain_id, ctx.epoch, reveal.round, qc.round));
    ctx.note(kRevealedQc, qc.round);
    const Bytes bytes = consensus::encode(Message{reveal});
    if (ctx.rng->chance(kPartsPerMillion / 2)) {  // to one validator: it alone may commit
      const auto to = static_cast<ValidatorIndex>(ctx.rng->below(ctx.validators));
      if (to != ctx.self) ctx.send(to, bytes);
      return;
    }
    for (ValidatorIndex to = 0; to < ctx.validators; ++to)  // to half: two groups may commit apart
      if (to != ctx.self && ctx.rng->chance(kPartsPerMillion / 2)) ctx.send(to, bytes);
  }

 private:
  void propose(const ProposalMsg& proposal, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) {
    const Round round = proposal.block.header.round;
    if (proposal.last_round_tc) {
      if (auto fork = deep_fork(proposal, ctx)) {
        ctx.note(kDeepFork, round);
        send_to_all(*fork, recipients, ctx);
        return;
      }
    }
    if (ctx.rng->chance(kPartsPerMillion / 2)) {
      hiding_round_ = round;  // silent: nobody learns the QC this proposal carries
      ctx.note(kHidden, round);
      return;
    }
    const ProposalMsg twin = twin_of(proposal, ctx);
    const Bytes first = consensus::encode(proposal);
    const Bytes second = consensus::encode(twin);
    ctx.note(kTwinProposal, round);
    for (const ValidatorIndex to : recipients) {
      const bool swap = ctx.rng->chance(kPartsPerMillion / 2);
      ctx.send(to, swap ? second : first);
      ctx.send(to, swap ? first : second);
    }
  }

  // The twin: on another certified block of the parent's round if the coalition knows one,
  // else on the same parent with another payload.
  static ProposalMsg twin_of(const ProposalMsg& original, ByzantineContext& ctx) {
    ProposalMsg twin = original;
    Block& block = twin.block;
    for (const QuorumCert& qc : ctx.coalition->certificates(block.header.qc.round)) {
      const Block* parent = ctx.coalition->block(qc.block_id);
      if (qc.block_id != block.header.parent_id && parent != nullptr) {
        block.header.parent_id = qc.block_id;
        block.header.qc = qc;
        block.header.height = parent->header.height + 1;
        break;
      }
    }
    set_payload(block, other_payload(block.payload, *ctx.rng));
    reseal(block, ctx);
    return twin;
  }

  // A block extending the grandparent of the proposal's parent (the QC its parent's parent
  // carries): it conflicts with the parent's parent, which the hidden QCs may have committed.
  static std::optional<ProposalMsg> deep_fork(const ProposalMsg& proposal, ByzantineContext& ctx) {
    const Block* parent = ctx.coalition->block(proposal.block.header.parent_id);
    const Block* grandparent = parent == nullptr ? nullptr : ctx.coalition->block(parent->header.parent_id);
    if (grandparent == nullptr || grandparent->header.qc.is_genesis()) return std::nullopt;
    ProposalMsg fork = proposal;
    Block& block = fork.block;
    block.header.parent_id = grandparent->header.parent_id;
    block.header.qc = grandparent->header.qc;
    block.header.height = grandparent->header.height;
    set_payload(block, other_payload(block.payload, *ctx.rng));
    reseal(block, ctx);
    return fork;
  }

  static void vote_everything(const VoteMsg& vote, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) {
    send_to_all(vote, recipients, ctx);
    std::vector<Hash32> others;
    for (const Block& block : ctx.coalition->proposals(vote.round))
      if (block.id != vote.block_id) others.push_back(block.id);
    if (others.empty() && ctx.rng->chance(kPartsPerMillion / 2)) others.push_back(random_id(*ctx.rng));
    for (const Hash32& id : others) {
      ctx.note(kExtraVote, vote.round);
      send_to_all(signed_vote(vote.round, id, ctx), recipients, ctx);
    }
  }

  void fork_timeouts(const TimeoutMsg& timeout, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) {
    // An older QC: the one inside the high QC's block (hiding the high QC), else genesis's.
    TimeoutMsg older = timeout;
    const Block* high = ctx.coalition->block(timeout.high_qc.block_id);
    older.high_qc = high != nullptr ? high->header.qc : consensus::genesis_qc(ctx.epoch, ctx.genesis_id);
    older.signature = ctx.sign(poi::timeout_message(ctx.chain_id, ctx.epoch, timeout.round, older.high_qc.round));
    const auto forks = ctx.coalition->certificates(timeout.high_qc.round);
    ctx.note(kForkTimeout, timeout.round);
    for (const ValidatorIndex to : recipients) {
      const std::uint64_t choice = timeout.round == hiding_round_ ? 2 : ctx.rng->below(4);
      TimeoutMsg sent = timeout;
      if (choice < 2 && !forks.empty()) {
        sent.high_qc = forks[ctx.rng->below(forks.size())];  // same round: the signature still holds
      } else if (choice == 2 && timeout.high_qc.round > 0) {
        sent = older;
      }
      ctx.send(to, consensus::encode(sent));
    }
  }

  Round hiding_round_ = 0;
};

// --- withhold ------------------------------------------------------------------------------
class Withholder final : public Behaviour {
 public:
  void send(const Message& message, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) override {
    if (std::holds_alternative<VoteMsg>(message)) {
      ctx.note(kWithheldVote, round_of(message));
      return;
    }
    if (std::holds_alternative<TimeoutMsg>(message) && ctx.rng->chance(kPartsPerMillion / 2)) {
      ctx.note(kWithheldTimeout, round_of(message));
      return;
    }
    send_to_all(message, recipients, ctx);
  }
};

// --- invalid proposals -----------------------------------------------------------------------
// Each proposal it makes is broken in exactly one way (the rest is made consistent again, so
// the receiver's check for that one defect is what must reject it).
class InvalidProposer final : public Behaviour {
 public:
  void send(const Message& message, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) override {
    const auto* p = std::get_if<ProposalMsg>(&message);
    if (p == nullptr || p->block.header.proposer != ctx.self) {
      send_to_all(message, recipients, ctx);
      return;
    }
    ProposalMsg bad = *p;
    const std::uint64_t defect = ctx.rng->below(9);
    ctx.note(kInvalidProposal * 100 + defect, bad.block.header.round);
    break_block(bad.block, defect, ctx);
    send_to_all(bad, recipients, ctx);
  }

 private:
  static void break_block(Block& block, std::uint64_t defect, ByzantineContext& ctx) {
    auto& header = block.header;
    switch (defect) {
      case 0: block.payload.push_back(0); return;  // digest no longer matches; id and signature do
      case 1: {                                     // consistent digest over a payload that is not valid
        Bytes junk(ctx.rng->between(1, 64));
        for (auto& b : junk) b = static_cast<std::uint8_t>(ctx.rng->next());
        set_payload(block, std::move(junk));
        break;
      }
      case 2: block.proposer_signature.bytes.bytes[0] ^= 1; return;
      case 3:
        if (!header.qc.signatures.empty()) {
          header.qc.signatures[0].bytes.bytes[0] ^= 1;
        } else {
          header.qc.round = header.round - 1;  // a genesis QC that claims a later round
        }
        break;
      case 4: header.qc.block_id = random_id(*ctx.rng); break;
      case 5: header.height += 1; break;
      case 6: header.timestamp_ms += 3'600'000; break;
      case 7: header.round = header.qc.round; break;
      default: header.proposer = static_cast<ValidatorIndex>((ctx.self + 1) % ctx.validators); break;
    }
    reseal(block, ctx);
  }
};

// --- garbage ---------------------------------------------------------------------------------
// Alongside (or instead of) each message, bytes that must be refused by decode_message or by the
// core: random bytes, and the real encoding with flipped bytes, cut short or extended.
class GarbageSender final : public Behaviour {
 public:
  void send(const Message& message, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) override {
    const Bytes real = consensus::encode(message);
    for (const ValidatorIndex to : recipients) {
      if (ctx.rng->chance(kPartsPerMillion / 2)) ctx.send(to, real);
      if (ctx.rng->chance(kPartsPerMillion / 2)) {
        ctx.note(kGarbage, round_of(message));
        ctx.send(to, garbage(real, *ctx.rng));
      }
    }
  }

 private:
  static Bytes garbage(const Bytes& real, Rng& rng) {
    Bytes bytes = real;
    switch (rng.below(5)) {
      case 0:
        bytes.resize(rng.below(512));
        for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.next());
        break;
      case 1:
        for (std::uint64_t i = rng.between(1, 8); i > 0 && !bytes.empty(); --i)
          bytes[rng.below(bytes.size())] ^= static_cast<std::uint8_t>(rng.between(1, 255));
        break;
      case 2: bytes.resize(rng.below(bytes.size() + 1)); break;
      case 3:
        for (std::uint64_t i = rng.between(1, 16); i > 0; --i) bytes.push_back(static_cast<std::uint8_t>(rng.next()));
        break;
      default:  // a huge length or count where the decoder expects one
        if (bytes.size() > 8)
          std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(rng.below(bytes.size() - 4)), 4, 0xff);
        break;
    }
    return bytes;
  }
};

// --- replay ----------------------------------------------------------------------------------
// Sends what it should, and also old messages (its own and ones it received) to random
// validators: authentic signatures from past rounds.
class Replayer final : public Behaviour {
 public:
  void send(const Message& message, std::span<const ValidatorIndex> recipients, ByzantineContext& ctx) override {
    const Bytes real = consensus::encode(message);
    for (const ValidatorIndex to : recipients) ctx.send(to, real);
    remember(real);
    if (history_.size() < 2 || !ctx.rng->chance(kPartsPerMillion / 2)) return;
    for (std::uint64_t i = ctx.rng->between(1, 3); i > 0; --i) {
      const Bytes& old = history_[ctx.rng->below(history_.size() - 1)];
      const auto to = static_cast<ValidatorIndex>(ctx.rng->below(ctx.validators));
      if (to == ctx.self) continue;
      ctx.note(kReplayed, round_of(message));
      ctx.send(to, old);
    }
  }
  void received(ByteSpan bytes) override { remember(Bytes(bytes.begin(), bytes.end())); }

 private:
  void remember(Bytes bytes) {
    if (history_.size() == kKept) history_.pop_front();
    history_.push_back(std::move(bytes));
  }
  static constexpr std::size_t kKept = 256;
  std::deque<Bytes> history_;
};

}  // namespace

Coalition::Coalition(const consensus::ValidatorSet& validators, consensus::Epoch epoch)
    : validators_(validators), epoch_(epoch) {}

void Coalition::tap(const Message& message) {
  if (const auto* p = std::get_if<ProposalMsg>(&message)) {
    const Block& block = p->block;
    newest_ = std::max(newest_, block.header.round);
    if (blocks_.try_emplace(block.id, block).second) proposals_[block.header.round].push_back(block.id);
    note_certificate(block.header.qc, true);
  } else if (const auto* v = std::get_if<VoteMsg>(&message)) {
    note_vote(*v);
  } else if (const auto* t = std::get_if<TimeoutMsg>(&message)) {
    note_certificate(t->high_qc, true);
  }
  if (newest_ > kRoundsKept) forget_before(newest_ - kRoundsKept);
}

void Coalition::note_certificate(const QuorumCert& qc, bool seen_in_message) {
  if (qc.is_genesis()) return;
  auto& known = certificates_[qc.round];
  const bool is_new = std::ranges::none_of(known, [&](const QuorumCert& k) { return k.block_id == qc.block_id; });
  if (is_new) known.push_back(qc);
  if (seen_in_message) {
    private_.erase({qc.round, qc.block_id});
  } else if (is_new) {
    private_.emplace(std::pair{qc.round, qc.block_id}, qc);
  }
}

// Assembles a QC once the tapped votes for a block reach a quorum (signatures unchecked: honest
// votes are valid, and the coalition's own are too).
void Coalition::note_vote(const VoteMsg& vote) {
  if (vote.epoch != epoch_ || vote.voter >= validators_.size()) return;
  auto& voters = votes_[{vote.round, vote.block_id}];
  if (!voters.try_emplace(vote.voter, vote.signature).second) return;
  std::uint64_t weight = 0;
  for (const auto& [voter, signature] : voters) weight += validators_.at(voter).weight;
  if (!validators_.is_quorum(weight)) return;
  QuorumCert qc;
  qc.epoch = vote.epoch;
  qc.round = vote.round;
  qc.block_id = vote.block_id;
  qc.signers = consensus::SignerBitmap(validators_.size());
  for (const auto& [voter, signature] : voters) {  // std::map: ascending index, as QCs require
    qc.signers.set(voter);
    qc.signatures.push_back(signature);
  }
  note_certificate(qc, false);
}

void Coalition::forget_before(Round round) {
  while (!proposals_.empty() && proposals_.begin()->first < round) {
    for (const Hash32& id : proposals_.begin()->second) blocks_.erase(id);
    proposals_.erase(proposals_.begin());
  }
  votes_.erase(votes_.begin(), votes_.lower_bound({round, Hash32{}}));
  certificates_.erase(certificates_.begin(), certificates_.lower_bound(round));
  private_.erase(private_.begin(), private_.lower_bound({round, Hash32{}}));
}

std::vector<QuorumCert> Coalition::private_certificates() const {
  std::vector<QuorumCert> hidden;
  for (const auto& [key, qc] : private_) hidden.push_back(qc);
  return hidden;
}

std::vector<Block> Coalition::proposals(Round round) const {
  std::vector<Block> blocks;
  if (const auto it = proposals_.find(round); it != proposals_.end())
    for (const Hash32& id : it->second) blocks.push_back(blocks_.at(id));
  return blocks;
}

const Block* Coalition::block(const Hash32& id) const {
  const auto it = blocks_.find(id);
  return it == blocks_.end() ? nullptr : &it->second;
}

std::vector<QuorumCert> Coalition::certificates(Round round) const {
  const auto it = certificates_.find(round);
  return it == certificates_.end() ? std::vector<QuorumCert>{} : it->second;
}

std::unique_ptr<Behaviour> make_behaviour(Fault fault) {
  switch (fault) {
    case Fault::kEquivocate: return std::make_unique<Equivocator>();
    case Fault::kWithhold: return std::make_unique<Withholder>();
    case Fault::kInvalidProposal: return std::make_unique<InvalidProposer>();
    case Fault::kGarbage: return std::make_unique<GarbageSender>();
    case Fault::kReplay: return std::make_unique<Replayer>();
  }
  return nullptr;
}

}  // namespace bizra::sim
