#pragma once
// Byzantine validators: wrappers around a node's outgoing messages (and, for replay, what it
// has received). The node runs the real consensus core, so it follows the protocol wherever
// its behaviour does not deviate; the behaviour decides what actually leaves the node.
//
// The Byzantine validators of a run form one coalition with the adversary's usual powers: it
// sees every message on the network (Coalition::tap), assembles quorum certificates from the
// votes it sees, and each member signs whatever it likes with its own key (the simulator owns
// all keys). It cannot sign for honest validators.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "consensus/types.hpp"
#include "sim/keys.hpp"
#include "sim/rng.hpp"
#include "sim/scenario.hpp"

namespace bizra::sim {

using consensus::Round;

// What the coalition knows, from tapping all traffic. Bounded: only recent rounds are kept.
class Coalition {
 public:
  Coalition(const consensus::ValidatorSet& validators, consensus::Epoch epoch);

  void tap(const consensus::Message& message);
  // Distinct proposed blocks seen for `round`.
  std::vector<consensus::Block> proposals(Round round) const;
  const consensus::Block* block(const Hash32& id) const;
  // Distinct QCs known for `round`, seen in messages or assembled from tapped votes.
  std::vector<consensus::QuorumCert> certificates(Round round) const;
  // Recent QCs the coalition assembled that no message has carried yet.
  std::vector<consensus::QuorumCert> private_certificates() const;

 private:
  void note_certificate(const consensus::QuorumCert& qc, bool seen_in_message);
  void note_vote(const consensus::VoteMsg& vote);
  void forget_before(Round round);

  const consensus::ValidatorSet& validators_;
  consensus::Epoch epoch_;
  std::map<Hash32, consensus::Block> blocks_;
  std::map<Round, std::vector<Hash32>> proposals_;
  std::map<std::pair<Round, Hash32>, std::map<consensus::ValidatorIndex, crypto::Signature>> votes_;
  std::map<Round, std::vector<consensus::QuorumCert>> certificates_;
  std::map<std::pair<Round, Hash32>, consensus::QuorumCert> private_;  // assembled, not yet seen
  Round newest_ = 0;
};

// What a behaviour can do besides inspecting the message it is given.
struct ByzantineContext {
  ValidatorIndex self = 0;
  std::size_t validators = 0;
  std::string chain_id;
  consensus::Epoch epoch = 0;
  Hash32 genesis_id;
  Rng* rng = nullptr;
  const Coalition* coalition = nullptr;
  std::function<crypto::Signature(ByteSpan message)> sign;  // with self's key, CPU charged
  std::function<void(ValidatorIndex to, Bytes bytes)> send;
  std::function<void(std::uint64_t action, Round round)> note;  // into the trace
};

class Behaviour {
 public:
  virtual ~Behaviour() = default;
  // The node's core wants `message` sent to `recipients`; the behaviour sends what it likes.
  virtual void send(const consensus::Message& message, std::span<const ValidatorIndex> recipients,
                    ByzantineContext& ctx) = 0;
  // Bytes the node received (replay keeps them).
  virtual void received(ByteSpan /*bytes*/) {}
  // Called after each step of the node: a chance to act unprompted.
  virtual void act(ByzantineContext& /*ctx*/) {}
};

std::unique_ptr<Behaviour> make_behaviour(Fault fault);

}  // namespace bizra::sim
