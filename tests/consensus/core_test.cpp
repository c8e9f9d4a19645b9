// The consensus Core: a 4-validator network that commits, block sync, restart, equivocation
// evidence, output ordering, timers and the handling of invalid input.

#include "consensus/core.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "harness.hpp"
#include "poi/evidence.hpp"

namespace bizra::consensus {
namespace {

using testing::Committee;
using testing::count_outputs;
using testing::find_output;
using testing::kEpoch;
using testing::Network;
using testing::reject_codes;
using testing::TestPayloads;

// --- the in-test network -------------------------------------------------------------------------

// Every node's committed chain is a prefix of every other's.
void expect_same_chain(const Network& net, const std::set<ValidatorIndex>& nodes) {
  for (ValidatorIndex a : nodes)
    for (ValidatorIndex b : nodes) {
      const std::size_t n = std::min(net.commits[a].size(), net.commits[b].size());
      for (std::size_t h = 0; h < n; ++h)
        ASSERT_EQ(net.commits[a][h].id, net.commits[b][h].id) << "nodes " << a << " and " << b << " at height " << h + 1;
    }
}

TEST(CoreNetwork, FourValidatorsAndAFullNodeCommitTheSameChain) {
  Network net({1, 1, 1, 1}, 1);
  net.start_all();
  const std::set<ValidatorIndex> all{0, 1, 2, 3, 4};
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(12, all); }));
  expect_same_chain(net, all);
  EXPECT_TRUE(net.commits_contiguous);
  for (ValidatorIndex i : all) {
    EXPECT_EQ(net.cores[i]->committed_height(), net.commits[i].size());
    EXPECT_EQ(net.cores[i]->committed_id(), net.commits[i].back().id);
    EXPECT_TRUE(reject_codes(net.log[i]).empty()) << "node " << i << ": " << reject_codes(net.log[i])[0];
    EXPECT_EQ(count_outputs<ReportEvidence>(net.log[i]), 0u);
    EXPECT_FALSE(net.cores[i]->safety_state().high_tc.has_value()) << "no round should time out";
    EXPECT_TRUE(net.cores[i]->graph().is_finalized(net.commits[i][5].id));
    EXPECT_FALSE(net.cores[i]->fault().has_value());
  }
  // The full node follows without ever signing or arming a timer.
  EXPECT_EQ(count_outputs<SendTo>(net.log[4]) + count_outputs<Broadcast>(net.log[4]), 0u);
  EXPECT_EQ(count_outputs<PersistSafety>(net.log[4]) + count_outputs<SetTimer>(net.log[4]), 0u);
  // Payloads are the proposers' and heights are consecutive.
  for (std::size_t h = 0; h < net.commits[0].size(); ++h) {
    EXPECT_EQ(net.commits[0][h].header.height, h + 1);
    EXPECT_EQ(net.commits[0][h].payload, to_bytes("payload at height " + std::to_string(h + 1)));
  }
}

// Rounds led by a crashed validator end by TC; the others still commit (3 of 4 is a quorum).
TEST(CoreNetwork, CommitsDespiteACrashedValidator) {
  Network net({1, 1, 1, 1}, 0);
  net.down = {3};
  net.start_all();
  const std::set<ValidatorIndex> live{0, 1, 2};
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(10, live); }));
  expect_same_chain(net, live);
  EXPECT_TRUE(net.commits_contiguous);
  bool timed_out = false;
  for (ValidatorIndex i : live) timed_out = timed_out || net.cores[i]->safety_state().high_tc.has_value();
  EXPECT_TRUE(timed_out) << "validator 3 leads some round, which must end by TC";
  for (const Block& b : net.commits[0]) EXPECT_NE(b.header.proposer, 3u);
}

// A validator that missed many rounds fetches the blocks it lacks and commits the same chain.
TEST(CoreNetwork, LaggingValidatorCatchesUpThroughBlockSync) {
  Network net({1, 1, 1, 1}, 0);
  net.down = {3};
  net.start_all();
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(20, {0, 1, 2}); }));
  EXPECT_TRUE(net.commits[3].empty());
  net.down.clear();
  const std::size_t target = net.commits[0].size() + 5;
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(target, {0, 1, 2, 3}); }));
  expect_same_chain(net, {0, 1, 2, 3});
  EXPECT_TRUE(net.commits_contiguous);
  EXPECT_GT(count_outputs<RequestBlocks>(net.log[3]), 0u);
}

// Far behind: more missing blocks than the orphan pool holds (256), fetched in several passes
// from peers that keep enough committed history in memory.
TEST(CoreNetwork, FarBehindValidatorCatchesUp) {
  Network net({1, 1, 1, 1}, 0, [](CoreConfig& config) { config.committed_blocks_kept = 1000; });
  net.down = {3};
  net.start_all();
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(400, {0, 1, 2}); }, 400'000));
  net.down.clear();
  const std::size_t target = net.commits[0].size() + 5;
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(target, {0, 1, 2, 3}); }, 400'000));
  expect_same_chain(net, {0, 1, 2, 3});
  EXPECT_TRUE(net.commits_contiguous);
}

// A validator that is a quorum alone paces itself: one proposal per input, the next one after
// an immediate timer, and commits by the 2-chain rule without any round timing out.
TEST(CoreNetwork, SingleValidatorCommits) {
  Network net({5}, 1);
  net.start_all();
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(10, {0, 1}); }));
  expect_same_chain(net, {0, 1});
  EXPECT_FALSE(net.cores[0]->safety_state().high_tc.has_value());
  EXPECT_EQ(net.cores[0]->current_round(), net.cores[0]->safety_state().high_qc.round + 1);
}

TEST(CoreNetwork, HeavyValidatorAndLightOnesCommit) {
  Network net({70, 10, 10, 10}, 0);
  net.start_all();
  const std::set<ValidatorIndex> all{0, 1, 2, 3};
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(15, all); }));
  expect_same_chain(net, all);
  for (ValidatorIndex i : all) EXPECT_TRUE(reject_codes(net.log[i]).empty());
}

TEST(CoreNetwork, ServesBlocksNewestFirst) {
  Network net({1, 1, 1, 1}, 0);
  net.start_all();
  ASSERT_TRUE(net.run_until([&] { return net.all_committed(8, {0}); }));
  const Block& tip = net.commits[0][7];
  Outputs out;
  net.cores[0]->on_message(2, BlockRequest{tip.id, 5}, net.now, out);
  ASSERT_EQ(out.size(), 1u);
  const auto& send = std::get<SendTo>(out[0]);
  EXPECT_EQ(send.to, 2u);
  const std::vector<Block> blocks = std::get<BlockResponse>(send.message).blocks;
  ASSERT_EQ(blocks.size(), 5u);
  for (std::size_t i = 0; i < blocks.size(); ++i) EXPECT_EQ(blocks[i].id, net.commits[0][7 - i].id);

  // A response whose blocks do not chain is refused.
  out.clear();
  net.cores[1]->on_message(0, BlockResponse{{blocks[0], blocks[2]}}, net.now, out);
  EXPECT_EQ(reject_codes(out), std::vector<std::string>{"bad_response"});
}

// --- a single core ---------------------------------------------------------------------------------

class CoreTest : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kNow = 10'000;
  Committee c{{1, 1, 1, 1}};
  TestPayloads payloads;

  QuorumCert gqc() const { return genesis_qc(kEpoch, c.genesis().id); }
  ValidatorIndex leader(Round r) const { return c.set().leader(kEpoch, r); }
  // A validator that leads neither round r nor r + 1, so its vote for r leaves as a SendTo.
  ValidatorIndex bystander(Round r) const {
    ValidatorIndex i = 0;
    while (i == leader(r) || i == leader(r + 1)) ++i;
    return i;
  }
  std::unique_ptr<Core> make(std::optional<ValidatorIndex> self, RestoredState restored = {},
                             SafetyMutation mutation = SafetyMutation::kNone) {
    CoreConfig config = c.config(self);
    config.safety_mutation = mutation;
    return std::make_unique<Core>(std::move(config), c.signer(self), payloads, std::move(restored));
  }
  static Outputs start(Core& core, std::uint64_t now = kNow) {
    Outputs out;
    core.start(now, out);
    return out;
  }
  static Outputs deliver(Core& core, ValidatorIndex from, const Message& m, std::uint64_t now = kNow) {
    Outputs out;
    core.on_message(from, m, now, out);
    return out;
  }
  static Outputs fire(Core& core, Round r, std::uint64_t now = kNow) {
    Outputs out;
    core.on_timeout(r, now, out);
    return out;
  }
  Block b1(std::string_view payload = "b1") const { return c.block(c.genesis(), 1, gqc(), to_bytes(payload)); }
  ProposalMsg proposal(const Block& b, std::optional<TimeoutCert> tc = std::nullopt) const { return {b, std::move(tc)}; }

  static std::vector<VoteMsg> votes_sent(const Outputs& out) {
    std::vector<VoteMsg> votes;
    for (const Output& o : out)
      if (const auto* s = std::get_if<SendTo>(&o))
        if (const auto* v = std::get_if<VoteMsg>(&s->message)) votes.push_back(*v);
    return votes;
  }
  static std::size_t votes_for_round(const Outputs& out, Round r) {
    std::size_t n = 0;
    for (const VoteMsg& v : votes_sent(out))
      if (v.round == r) ++n;
    return n;
  }
  static std::vector<TimeoutMsg> timeouts_sent(const Outputs& out) {
    std::vector<TimeoutMsg> timeouts;
    for (const Output& o : out)
      if (const auto* b = std::get_if<Broadcast>(&o))
        if (const auto* t = std::get_if<TimeoutMsg>(&b->message)) timeouts.push_back(*t);
    return timeouts;
  }
  static std::vector<poi::EquivocationEvidence> evidence(const Outputs& out) {
    std::vector<poi::EquivocationEvidence> found;
    for (const Output& o : out)
      if (const auto* e = std::get_if<ReportEvidence>(&o)) found.push_back(e->evidence);
    return found;
  }
  static std::optional<SafetyState> last_persisted(const Outputs& out) {
    std::optional<SafetyState> state;
    for (const Output& o : out)
      if (const auto* p = std::get_if<PersistSafety>(&o)) state = p->state;
    return state;
  }
};

TEST_F(CoreTest, LeaderProposesOnStartAndPersistsBeforeBroadcasting) {
  auto core = make(leader(1));
  const Outputs out = start(*core);
  const std::size_t block = find_output<PersistBlock>(out);
  const std::size_t safety = find_output<PersistSafety>(out);
  const std::size_t broadcast = find_output<Broadcast>(out);
  ASSERT_LT(broadcast, out.size());
  EXPECT_LT(block, safety);
  EXPECT_LT(safety, broadcast);
  const auto& p = std::get<ProposalMsg>(std::get<Broadcast>(out[broadcast]).message);
  EXPECT_EQ(p.block.header.round, 1u);
  EXPECT_EQ(p.block.header.height, 1u);
  EXPECT_EQ(p.block.header.parent_id, c.genesis().id);
  EXPECT_EQ(p.block.header.timestamp_ms, kNow);
  EXPECT_FALSE(p.last_round_tc.has_value());
  EXPECT_TRUE(verify_block(p.block, c.ctx()).ok());
  EXPECT_EQ(std::get<PersistSafety>(out[safety]).state.last_voted_round, 1u);
  EXPECT_EQ(count_outputs<SetTimer>(out), 1u);
}

// With nothing to propose, a leader waits out the idle delay (or until payload arrives) before
// proposing an empty block; with the delay at 0 (the default) it never waits.
TEST_F(CoreTest, IdleLeaderWaitsForPayloadOrTheIdleDelay) {
  payloads.pending = false;
  const auto idle_leader = [&] {
    CoreConfig config = c.config(leader(1));
    config.idle_proposal_delay_ms = 300;
    return std::make_unique<Core>(std::move(config), c.signer(leader(1)), payloads, RestoredState{});
  };
  // Transactions arrive during the wait: it proposes then, and arms the round timer.
  auto signalled = idle_leader();
  Outputs out = start(*signalled);
  EXPECT_EQ(count_outputs<Broadcast>(out), 0u);
  ASSERT_TRUE(std::holds_alternative<SetTimer>(out.back()));  // the last SetTimer wins: the idle one
  EXPECT_EQ(std::get<SetTimer>(out.back()).deadline_ms, kNow + 300);
  out.clear();
  signalled->on_payload_available(kNow + 10, out);
  ASSERT_EQ(count_outputs<Broadcast>(out), 1u);
  EXPECT_EQ(std::get<SetTimer>(out[find_output<SetTimer>(out)]).deadline_ms, kNow + 10 + 1000);
  // Nothing arrives: the delay runs out and it proposes (an empty block), once.
  auto patient = idle_leader();
  start(*patient);
  out.clear();
  patient->on_timeout(1, kNow + 300, out);
  EXPECT_EQ(count_outputs<Broadcast>(out), 1u);
  // Delay 0, the default: it proposes at once.
  auto eager = make(leader(1));
  EXPECT_EQ(count_outputs<Broadcast>(start(*eager)), 1u);
}

TEST_F(CoreTest, VotePersistsBlockThenSafetyThenSends) {
  auto core = make(bystander(1));
  start(*core);
  const Outputs out = deliver(*core, leader(1), proposal(b1()));
  const std::size_t block = find_output<PersistBlock>(out);
  const std::size_t safety = find_output<PersistSafety>(out);
  const std::size_t send = find_output<SendTo>(out);
  ASSERT_LT(send, out.size());
  EXPECT_LT(block, safety);
  EXPECT_LT(safety, send);
  EXPECT_EQ(std::get<SendTo>(out[send]).to, leader(2));
  const auto votes = votes_sent(out);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(votes[0].block_id, b1().id);
  EXPECT_TRUE(verify_vote(votes[0], c.ctx()).ok());
  EXPECT_EQ(std::get<PersistSafety>(out[safety]).state.last_voted_round, 1u);
  // The same proposal again: no second vote.
  EXPECT_TRUE(votes_sent(deliver(*core, leader(1), proposal(b1()))).empty());
}

TEST_F(CoreTest, TimeoutPersistsSafetyBeforeBroadcasting) {
  auto core = make(bystander(1));
  const Outputs started = start(*core);
  ASSERT_EQ(count_outputs<SetTimer>(started), 1u);
  EXPECT_EQ(std::get<SetTimer>(started[find_output<SetTimer>(started)]).deadline_ms, kNow + 1000);
  EXPECT_TRUE(fire(*core, 2).empty());  // a stale or future timer is ignored
  EXPECT_TRUE(fire(*core, 0).empty());
  const Outputs out = fire(*core, 1, kNow + 1000);
  const std::size_t safety = find_output<PersistSafety>(out);
  const std::size_t broadcast = find_output<Broadcast>(out);
  ASSERT_LT(broadcast, out.size());
  EXPECT_LT(safety, broadcast);
  const auto timeouts = timeouts_sent(out);
  ASSERT_EQ(timeouts.size(), 1u);
  EXPECT_EQ(timeouts[0].round, 1u);
  EXPECT_EQ(timeouts[0].high_qc, gqc());
  EXPECT_TRUE(verify_timeout(timeouts[0], c.ctx()).ok());
  // Having timed out round 1, it does not vote in it.
  EXPECT_TRUE(votes_sent(deliver(*core, leader(1), proposal(b1()))).empty());
  // The re-armed timer re-broadcasts the same timeout, with nothing new to persist.
  const Outputs again = fire(*core, 1, kNow + 2000);
  EXPECT_EQ(count_outputs<PersistSafety>(again), 0u);
  ASSERT_EQ(timeouts_sent(again).size(), 1u);
  EXPECT_EQ(timeouts_sent(again)[0].high_qc, gqc());
}

TEST_F(CoreTest, RestartNeverVotesAgainInTheSameRound) {
  const ValidatorIndex self = bystander(1);
  auto core = make(self);
  start(*core);
  const Outputs voted = deliver(*core, leader(1), proposal(b1()));
  ASSERT_EQ(votes_sent(voted).size(), 1u);
  const std::optional<SafetyState> persisted = last_persisted(voted);
  ASSERT_TRUE(persisted.has_value());

  auto restarted = make(self, RestoredState{*persisted, {b1()}, c.genesis().id});
  const Outputs started = start(*restarted);
  EXPECT_TRUE(votes_sent(started).empty());
  EXPECT_EQ(restarted->current_round(), 1u);
  EXPECT_EQ(restarted->safety_state().last_voted_round, 1u);
  EXPECT_TRUE(votes_sent(deliver(*restarted, leader(1), proposal(b1()))).empty());
  EXPECT_TRUE(votes_sent(deliver(*restarted, leader(1), proposal(b1("another")))).empty());
  // It still votes in the next round.
  const Block b2 = c.block(b1(), 2, c.qc_all(1, b1().id));
  ValidatorIndex from = leader(2);
  const Outputs next = deliver(*restarted, from, proposal(b2));
  if (leader(3) != self) {
    EXPECT_EQ(votes_sent(next).size(), 1u);
  }
  EXPECT_EQ(restarted->safety_state().last_voted_round, 2u);
}

TEST_F(CoreTest, RestartedLeaderDoesNotProposeAgain) {
  auto core = make(leader(1));
  const std::optional<SafetyState> persisted = last_persisted(start(*core));
  ASSERT_TRUE(persisted.has_value());
  auto restarted = make(leader(1), RestoredState{*persisted, {}, std::nullopt});
  EXPECT_EQ(count_outputs<Broadcast>(start(*restarted)), 0u);
}

// Entering round 3 through TC(2) with high QC 1, timing out, then learning QC(2): the repeated
// timeout of round 3 (also after a restart) still carries high QC round 1, never a second,
// conflicting statement.
TEST_F(CoreTest, RepeatedTimeoutNeverChangesItsStatement) {
  const ValidatorIndex self = 0;
  auto core = make(self);
  start(*core);
  const QuorumCert qc1 = c.qc_all(1, crypto::blake3("x"));
  const TimeoutCert tc2 = c.tc(2, {{1, 1}, {2, 1}, {3, 1}});
  deliver(*core, 1, c.timeout(1, 3, qc1, tc2));
  ASSERT_EQ(core->current_round(), 3u);
  const Outputs first = fire(*core, 3);
  ASSERT_EQ(timeouts_sent(first).size(), 1u);
  EXPECT_EQ(timeouts_sent(first)[0].high_qc.round, 1u);
  const std::optional<SafetyState> persisted = last_persisted(first);
  ASSERT_TRUE(persisted.has_value());

  // QC(2) arrives in a second timeout of validator 1 (an equivocation, so it adds no weight
  // towards a TC of round 3 and the round stays).
  deliver(*core, 1, c.timeout(1, 3, c.qc_all(2, crypto::blake3("y"))));
  ASSERT_EQ(core->safety_state().high_qc.round, 2u);
  ASSERT_EQ(core->current_round(), 3u);
  const Outputs again = fire(*core, 3);
  ASSERT_EQ(timeouts_sent(again).size(), 1u);
  EXPECT_EQ(timeouts_sent(again)[0].high_qc.round, 1u);

  auto restarted = make(self, RestoredState{*persisted, {}, std::nullopt});
  start(*restarted);
  EXPECT_EQ(restarted->current_round(), 3u);
  const Outputs after_restart = fire(*restarted, 3);
  ASSERT_EQ(timeouts_sent(after_restart).size(), 1u);
  EXPECT_EQ(timeouts_sent(after_restart)[0].high_qc.round, 1u);
}

// --- equivocation ----------------------------------------------------------------------------------

TEST_F(CoreTest, TwoProposalsInARoundAreEvidence) {
  auto core = make(bystander(1));
  start(*core);
  EXPECT_TRUE(evidence(deliver(*core, leader(1), proposal(b1("one")))).empty());
  const auto found = evidence(deliver(*core, leader(1), proposal(b1("two"))));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, poi::MessageKind::kProposal);
  EXPECT_EQ(found[0].signer, c.set().at(leader(1)).key);
  EXPECT_TRUE(poi::verify_evidence(found[0], testing::kChain).ok());
  // Reported once per offence.
  EXPECT_TRUE(evidence(deliver(*core, leader(1), proposal(b1("three")))).empty());
}

TEST_F(CoreTest, TwoVotesInARoundAreEvidence) {
  auto core = make(leader(2));
  start(*core);
  const ValidatorIndex voter = (leader(2) + 1) % 4;
  EXPECT_TRUE(evidence(deliver(*core, voter, c.vote(voter, 1, crypto::blake3("a")))).empty());
  const auto found = evidence(deliver(*core, voter, c.vote(voter, 1, crypto::blake3("b"))));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, poi::MessageKind::kVote);
  EXPECT_EQ(found[0].round, 1u);
  EXPECT_TRUE(poi::verify_evidence(found[0], testing::kChain).ok());
}

TEST_F(CoreTest, TwoTimeoutsInARoundAreEvidence) {
  auto core = make(0);
  start(*core);
  deliver(*core, 1, c.timeout(1, 3, c.qc_all(2, crypto::blake3("a"))));
  ASSERT_EQ(core->current_round(), 3u);
  const auto found = evidence(deliver(*core, 1, c.timeout(1, 3, c.qc_all(1, crypto::blake3("b")))));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, poi::MessageKind::kTimeout);
  EXPECT_TRUE(poi::verify_evidence(found[0], testing::kChain).ok());
  // The same timeout twice is no offence.
  EXPECT_TRUE(evidence(deliver(*core, 2, c.timeout(2, 3, c.qc_all(1, crypto::blake3("b"))))).empty());
  EXPECT_TRUE(evidence(deliver(*core, 2, c.timeout(2, 3, c.qc_all(1, crypto::blake3("b"))))).empty());
}

// --- invalid input -----------------------------------------------------------------------------------

TEST_F(CoreTest, RejectsInvalidProposalsWithoutVoting) {
  const ValidatorIndex self = bystander(1);
  auto check = [&](const ProposalMsg& m, const std::string& expected) {
    auto core = make(self);
    start(*core);
    const Outputs out = deliver(*core, leader(1), m);
    EXPECT_EQ(reject_codes(out), std::vector<std::string>{expected});
    EXPECT_TRUE(votes_sent(out).empty()) << expected;
  };
  Block b = b1();
  b.proposer_signature.bytes.bytes[0] ^= 1;
  check(proposal(b), "bad_signature");

  b = b1();
  b.header.proposer = (leader(1) + 1) % 4;
  c.resign(b);
  check(proposal(b), "wrong_leader");

  b = b1();
  b.header.epoch = kEpoch + 1;
  b.header.qc.epoch = kEpoch + 1;
  c.resign(b);
  check(proposal(b), "wrong_epoch");

  const Block weak = c.block(b1(), 2, c.qc(1, b1().id, {0, 1}));  // 2 of 4 is no quorum
  {
    auto core = make(bystander(2));
    start(*core);
    EXPECT_EQ(reject_codes(deliver(*core, leader(2), proposal(weak))), std::vector<std::string>{"no_quorum"});
  }

  check(proposal(c.block(c.genesis(), 1, gqc(), {}, kNow + 5001)), "future_timestamp");
  check(proposal(c.block(c.genesis(), 1, gqc(), {}, c.genesis().header.timestamp_ms)), "bad_timestamp");

  payloads.valid = false;
  check(proposal(b1()), "bad_payload");
  payloads.valid = true;

  // A TC that is not for the previous round.
  check(proposal(c.block(c.genesis(), 1, gqc()), c.tc(3, {{0, 0}, {1, 0}, {2, 0}})), "bad_tc_round");
}

TEST_F(CoreTest, RejectsBadVotesAndTimeouts) {
  auto core = make(leader(2));
  start(*core);
  const ValidatorIndex voter = (leader(2) + 1) % 4;
  VoteMsg v = c.vote(voter, 1, b1().id);
  v.signature.bytes.bytes[0] ^= 1;
  EXPECT_EQ(reject_codes(deliver(*core, voter, v)), std::vector<std::string>{"bad_signature"});
  v = c.vote(voter, 1, b1().id);
  v.voter = 7;
  EXPECT_EQ(reject_codes(deliver(*core, voter, v)), std::vector<std::string>{"bad_signer"});

  QuorumCert forged = c.qc_all(2, crypto::blake3("z"));
  forged.signatures[0].bytes.bytes[1] ^= 1;
  EXPECT_EQ(reject_codes(deliver(*core, 1, c.timeout(1, 3, forged))), std::vector<std::string>{"bad_signature"});
  EXPECT_EQ(core->current_round(), 1u) << "an invalid QC must not move the round";
}

TEST_F(CoreTest, VotesThroughATcOnlyWithAHighEnoughQc) {
  // Round 1 certified (block b1), round 2 timed out: TC(2) with max high QC round 1.
  const Block block1 = b1();
  const QuorumCert qc1 = c.qc_all(1, block1.id);
  const TimeoutCert tc2 = c.tc(2, {{0, 1}, {1, 0}, {2, 0}});
  const ValidatorIndex self = bystander(3);
  // Extends QC(1) >= 1: voted.
  {
    auto core = make(self);
    start(*core);
    deliver(*core, leader(1), proposal(block1));
    const Outputs out = deliver(*core, leader(3), proposal(c.block(block1, 3, qc1), tc2));
    EXPECT_EQ(votes_for_round(out, 3), 1u);
  }
  // Extends the genesis QC (round 0 < 1): refused, unless the mutation switches the check off.
  for (SafetyMutation m : {SafetyMutation::kNone, SafetyMutation::kIgnoreTcHighQc}) {
    auto core = make(self, {}, m);
    start(*core);
    const Block low = c.block(c.genesis(), 3, gqc(), to_bytes("low"));
    const Outputs out = deliver(*core, leader(3), proposal(low, tc2));
    EXPECT_TRUE(reject_codes(out).empty());
    EXPECT_EQ(votes_for_round(out, 3), m == SafetyMutation::kNone ? 0u : 1u);
  }
}

TEST_F(CoreTest, MutationLetsAValidatorVoteTwice) {
  for (SafetyMutation m : {SafetyMutation::kNone, SafetyMutation::kIgnoreLastVotedRound}) {
    auto core = make(bystander(1), {}, m);
    start(*core);
    std::size_t votes = votes_sent(deliver(*core, leader(1), proposal(b1("one")))).size();
    votes += votes_sent(deliver(*core, leader(1), proposal(b1("two")))).size();
    EXPECT_EQ(votes, m == SafetyMutation::kNone ? 1u : 2u);
  }
}

// --- pacemaker ---------------------------------------------------------------------------------------

TEST(RoundTimer, GrowsByThePercentPerTcRoundRoundedUpAndSaturates) {
  EXPECT_EQ(round_timer_ms(1000, 150, 8, 0), 1000u);
  EXPECT_EQ(round_timer_ms(1000, 150, 8, 1), 1500u);
  EXPECT_EQ(round_timer_ms(1000, 150, 8, 3), 3375u);
  EXPECT_EQ(round_timer_ms(1000, 150, 8, 100), round_timer_ms(1000, 150, 8, 8));  // capped exponent
  EXPECT_EQ(round_timer_ms(101, 150, 8, 1), 152u);                                   // 151.5 rounds up
  EXPECT_EQ(round_timer_ms(1000, 200, 6, 6), 64000u);                                // 2^k when asked
  EXPECT_EQ(round_timer_ms(std::numeric_limits<std::uint64_t>::max() / 2, 300, 8, 8),
            std::numeric_limits<std::uint64_t>::max());
}

TEST_F(CoreTest, TimerBacksOffAfterConsecutiveTcsAndResetsOnQc) {
  CoreConfig config = c.config(0);
  config.max_backoff_exponent = 2;
  Core core(std::move(config), c.signer(0), payloads, {});
  Outputs out;
  core.start(kNow, out);
  std::vector<std::uint64_t> durations;
  const QuorumCert g = gqc();
  for (Round r = 1; r <= 4; ++r) {
    out.clear();
    core.on_message(1, c.timeout(1, r + 1, g, c.tc(r, {{1, 0}, {2, 0}, {3, 0}})), kNow, out);
    ASSERT_EQ(core.current_round(), r + 1);
    durations.push_back(std::get<SetTimer>(out[find_output<SetTimer>(out)]).deadline_ms - kNow);
  }
  EXPECT_EQ(durations, (std::vector<std::uint64_t>{1500, 2250, 2250, 2250}));  // x1.5 per TC, capped
  out.clear();
  core.on_message(1, c.timeout(1, 7, c.qc_all(5, crypto::blake3("q"))), kNow, out);
  ASSERT_EQ(core.current_round(), 6u);
  EXPECT_EQ(std::get<SetTimer>(out[find_output<SetTimer>(out)]).deadline_ms - kNow, 1000u);
}

TEST_F(CoreTest, JoinsTimeoutEarlyOnceAThirdOfTheWeightTimedOut) {
  auto core = make(0);
  start(*core);
  EXPECT_TRUE(timeouts_sent(deliver(*core, 1, c.timeout(1, 1, gqc()))).empty());  // 1/4
  const Outputs out = deliver(*core, 2, c.timeout(2, 1, gqc()));                  // 2/4 > 1/3
  ASSERT_EQ(timeouts_sent(out).size(), 1u);
  EXPECT_EQ(timeouts_sent(out)[0].sender, 0u);
  // Its own timeout completes the quorum (3 of 4): the TC moves it to round 2.
  EXPECT_EQ(core->current_round(), 2u);
  ASSERT_TRUE(core->safety_state().high_tc.has_value());
  EXPECT_EQ(core->safety_state().high_tc->round, 1u);
}

// --- commit and sync ---------------------------------------------------------------------------------

// Blocks delivered by sync commit by the 2-chain rule; a certified fork below the committed
// height is dropped, never committed: finality is sticky.
TEST_F(CoreTest, CommitsThroughSyncAndNeverRevertsFinality) {
  auto core = make(std::nullopt);
  start(*core);
  const Block a1 = b1();
  const Block a2 = c.block(a1, 2, c.qc_all(1, a1.id));
  const Block a3 = c.block(a2, 3, c.qc_all(2, a2.id));
  const Block a4 = c.block(a3, 4, c.qc_all(3, a3.id));
  Outputs out = deliver(*core, 1, proposal(a4));
  ASSERT_EQ(count_outputs<RequestBlocks>(out), 1u);
  out = deliver(*core, 1, BlockResponse{{a3, a2, a1}});
  EXPECT_TRUE(reject_codes(out).empty());
  ASSERT_EQ(count_outputs<Commit>(out), 2u);  // a3's QC commits a1, a4's commits a2
  EXPECT_EQ(core->committed_height(), 2u);
  EXPECT_EQ(core->committed_id(), a2.id);
  const Commit& last = std::get<Commit>(out[find_output<Commit>(out, find_output<Commit>(out) + 1)]);
  EXPECT_EQ(last.qc.block_id, a2.id);

  // A conflicting certified chain forking off a1 (height 2 is already final).
  const Block f2 = c.block(a1, 5, c.qc_all(1, a1.id), to_bytes("fork"));
  const Block f3 = c.block(f2, 6, c.qc_all(5, f2.id));
  const Block f4 = c.block(f3, 7, c.qc_all(6, f3.id));
  out = deliver(*core, 1, proposal(f4));
  out = deliver(*core, 1, BlockResponse{{f3, f2}});
  EXPECT_TRUE(reject_codes(out).empty());
  EXPECT_EQ(count_outputs<Commit>(out), 0u);
  EXPECT_EQ(core->committed_id(), a2.id);
  EXPECT_FALSE(core->fault().has_value());
  EXPECT_TRUE(core->graph().is_finalized(a2.id));
  EXPECT_FALSE(core->graph().is_finalized(f2.id));
}

// Unsolicited blocks that no QC we hold names are not kept.
TEST_F(CoreTest, DropsBlocksNobodyCertified) {
  auto core = make(std::nullopt);
  start(*core);
  const Block a1 = b1();
  const Block a2 = c.block(a1, 2, c.qc_all(1, a1.id));
  Outputs out = deliver(*core, 1, BlockResponse{{a2, a1}});
  EXPECT_TRUE(reject_codes(out).empty());
  EXPECT_EQ(count_outputs<PersistBlock>(out), 1u);  // a1 (certified by a2's QC), not a2
  EXPECT_TRUE(core->graph().contains(a1.id));
  EXPECT_FALSE(core->graph().contains(a2.id));
  // A response that fails verification is refused as a whole.
  Block bad = c.block(a2, 3, c.qc_all(2, a2.id));
  bad.proposer_signature.bytes.bytes[0] ^= 1;
  out = deliver(*core, 1, BlockResponse{{bad, a2}});
  EXPECT_EQ(reject_codes(out), std::vector<std::string>{"bad_signature"});
  EXPECT_EQ(count_outputs<PersistBlock>(out), 0u);
}

// An equivocating leader gets evidence reported and at most two blocks stored per round.
TEST_F(CoreTest, KeepsAtMostTwoProposalsOfARound) {
  auto core = make(bystander(1));
  start(*core);
  EXPECT_EQ(votes_sent(deliver(*core, leader(1), proposal(b1("one")))).size(), 1u);
  Outputs out = deliver(*core, leader(1), proposal(b1("two")));
  EXPECT_EQ(count_outputs<ReportEvidence>(out), 1u);
  EXPECT_EQ(count_outputs<PersistBlock>(out), 1u);
  EXPECT_TRUE(votes_sent(out).empty());
  out = deliver(*core, leader(1), proposal(b1("three")));
  EXPECT_EQ(count_outputs<PersistBlock>(out), 0u);
  EXPECT_TRUE(core->graph().contains(b1("two").id));
  EXPECT_FALSE(core->graph().contains(b1("three").id));
}

// Only a certified child of the *next* round commits its parent; the commit then includes every
// uncommitted ancestor, in ascending height, in one Commit output.
TEST_F(CoreTest, CommitNeedsConsecutiveRoundsAndIncludesAncestors) {
  auto core = make(std::nullopt);
  start(*core);
  const Block a1 = b1();
  const Block a2 = c.block(a1, 3, c.qc_all(1, a1.id));  // round 2 ended by timeout
  const Block a3 = c.block(a2, 4, c.qc_all(3, a2.id));
  const Block a4 = c.block(a3, 5, c.qc_all(4, a3.id));
  EXPECT_EQ(count_outputs<Commit>(deliver(*core, 1, proposal(a4))), 0u);
  // Linking a1..a3: a2's certification (round 3) does not commit a1 (round 1); a3's (round 4)
  // commits a2 and with it a1, in one Commit.
  const Outputs out = deliver(*core, 1, BlockResponse{{a3, a2, a1}});
  EXPECT_TRUE(reject_codes(out).empty());
  ASSERT_EQ(count_outputs<Commit>(out), 1u);
  const Commit& commit = std::get<Commit>(out[find_output<Commit>(out)]);
  ASSERT_EQ(commit.blocks.size(), 2u);
  EXPECT_EQ(commit.blocks[0].id, a1.id);
  EXPECT_EQ(commit.blocks[1].id, a2.id);
  EXPECT_EQ(commit.qc.block_id, a2.id);
  EXPECT_EQ(core->committed_height(), 2u);
}

TEST_F(CoreTest, ProposalWithUnknownParentIsFetchedThenVotedFor) {
  const ValidatorIndex self = bystander(2);
  auto core = make(self);
  start(*core);
  const Block a1 = b1();
  const Block a2 = c.block(a1, 2, c.qc_all(1, a1.id));
  Outputs out = deliver(*core, leader(2), proposal(a2));
  ASSERT_EQ(count_outputs<RequestBlocks>(out), 1u);
  const auto& request = std::get<RequestBlocks>(out[find_output<RequestBlocks>(out)]);
  EXPECT_EQ(request.from, leader(2));
  EXPECT_EQ(request.request.block_id, a1.id);
  EXPECT_TRUE(votes_sent(out).empty());
  out = deliver(*core, leader(2), BlockResponse{{a1}});
  EXPECT_TRUE(reject_codes(out).empty());
  EXPECT_EQ(count_outputs<PersistBlock>(out), 2u);
  ASSERT_EQ(votes_sent(out).size(), 1u);
  EXPECT_EQ(votes_sent(out)[0].block_id, a2.id);
}

}  // namespace
}  // namespace bizra::consensus
