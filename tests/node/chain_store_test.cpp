// ChainStore: what a node persists of its chain, and what it hands back after a restart.
#include "node/chain_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/blake3.hpp"

namespace bizra::node {
namespace {

using consensus::Block;

constexpr consensus::Epoch kEpoch = 1;

Block child(const Block& parent, consensus::Round round, std::string_view payload) {
  Block b;
  b.header.epoch = kEpoch;
  b.header.round = round;
  b.header.height = parent.header.height + 1;
  b.header.parent_id = parent.id;
  b.header.qc = consensus::genesis_qc(kEpoch, parent.id);
  b.header.qc.round = parent.header.round;
  b.header.timestamp_ms = 1000 + round;
  b.payload = Bytes(payload.begin(), payload.end());
  b.header.payload_digest = consensus::payload_digest(b.payload);
  b.id = consensus::compute_block_id(b.header);
  return b;
}

class ChainStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Store> store = storage::open_memory();
  Block genesis = consensus::make_genesis(kEpoch, 1000);
  ChainStore chain{*store, genesis, consensus::WireLimits{}};
};

TEST_F(ChainStoreTest, AFreshStoreRestoresGenesisAndDefaultSafety) {
  auto restored = chain.restore();
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->committed, genesis.id);
  EXPECT_TRUE(restored->blocks.empty());
  EXPECT_EQ(restored->safety.last_voted_round, 0u);
  EXPECT_EQ(chain.tip()->height, 0u);
  EXPECT_EQ((*chain.block_at(0))->id, genesis.id);
}

TEST_F(ChainStoreTest, SafetyAndPendingBlocksSurviveARestart) {
  consensus::SafetyState safety;
  safety.epoch = kEpoch;
  safety.last_voted_round = 7;
  safety.preferred_round = 5;
  ASSERT_TRUE(chain.put_safety(safety).ok());
  const Block b1 = child(genesis, 1, "one");
  ASSERT_TRUE(chain.put_pending_block(b1).ok());
  ChainStore reopened(*store, genesis, consensus::WireLimits{});
  auto restored = reopened.restore();
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->safety.last_voted_round, 7u);
  EXPECT_EQ(restored->safety.preferred_round, 5u);
  ASSERT_EQ(restored->blocks.size(), 1u);
  EXPECT_EQ(restored->blocks[0].id, b1.id);
}

TEST_F(ChainStoreTest, ACommitIndexesBlockQcDigestsAndTransactions) {
  const Block b1 = child(genesis, 1, "one");
  const Block b2 = child(b1, 2, "two");
  const Block fork = child(genesis, 3, "fork");
  ASSERT_TRUE(chain.put_pending_block(b1).ok());
  ASSERT_TRUE(chain.put_pending_block(b2).ok());
  ASSERT_TRUE(chain.put_pending_block(fork).ok());
  storage::WriteBatch batch;
  const Hash32 tx_ok = crypto::blake3("tx ok"), tx_bad = crypto::blake3("tx bad"), att = crypto::blake3("att");
  chain.stage_commit(batch, b1, b2.header.qc, crypto::blake3("state 1"), crypto::blake3("receipts 1"),
                     {TxOutcome{tx_ok, att, true, "", ""}, TxOutcome{tx_bad, std::nullopt, false, "replay", ""}});
  ASSERT_TRUE(chain.write_commit(batch, b1.id).ok());
  ASSERT_TRUE(chain.prune_pending(1).ok());

  EXPECT_EQ(chain.tip()->height, 1u);
  EXPECT_EQ(chain.tip()->id, b1.id);
  EXPECT_EQ((*chain.block_at(1))->id, b1.id);
  EXPECT_FALSE(chain.block_at(2)->has_value());
  EXPECT_EQ((*chain.qc(b1.id))->block_id, b2.header.qc.block_id);
  EXPECT_EQ((*chain.digests_at(1))->first, crypto::blake3("state 1"));
  const auto ok = *chain.transaction(tx_ok);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->height, 1u);
  EXPECT_EQ(ok->index, 0u);
  EXPECT_TRUE(ok->ok);
  const auto bad = *chain.transaction(tx_bad);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->index, 1u);
  EXPECT_FALSE(bad->ok);
  EXPECT_EQ(bad->error_code, "replay");
  EXPECT_EQ(**chain.attestation_tx(att), tx_ok);
  EXPECT_FALSE(chain.transaction(crypto::blake3("unknown"))->has_value());

  // Restart: the committed tip and the pending block above it come back; the fork at height 1
  // (which can never commit) was pruned with its block row.
  auto restored = chain.restore();
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->committed, b1.id);
  std::vector<Hash32> ids;
  for (const auto& b : restored->blocks) ids.push_back(b.id);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_NE(std::find(ids.begin(), ids.end(), b1.id), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), b2.id), ids.end());
  EXPECT_FALSE(chain.block(fork.id)->has_value());
}

// The same after a restore(), which reads the pending rows into memory: rows written later are
// pruned from that index, and the committed block's row (erased by its commit) is not touched.
TEST_F(ChainStoreTest, ForksWrittenAfterARestoreArePruned) {
  ASSERT_TRUE(chain.restore().ok());
  const Block b1 = child(genesis, 1, "one");
  const Block fork = child(genesis, 2, "fork");
  const Block b2 = child(b1, 3, "two");
  for (const Block* b : {&b1, &fork, &b2}) ASSERT_TRUE(chain.put_pending_block(*b).ok());
  storage::WriteBatch batch;
  chain.stage_commit(batch, b1, b2.header.qc, crypto::blake3("state 1"), crypto::blake3("receipts 1"), {});
  ASSERT_TRUE(chain.write_commit(batch, b1.id).ok());
  ASSERT_TRUE(chain.prune_pending(1).ok());
  EXPECT_FALSE(chain.block(fork.id)->has_value());
  EXPECT_TRUE(chain.block(b1.id)->has_value());
  EXPECT_TRUE(chain.block(b2.id)->has_value());

  ChainStore reopened(*store, genesis, consensus::WireLimits{});
  auto restored = reopened.restore();
  ASSERT_TRUE(restored.ok());
  std::vector<Hash32> ids;
  for (const auto& b : restored->blocks) ids.push_back(b.id);
  std::sort(ids.begin(), ids.end());
  std::vector<Hash32> expected{b1.id, b2.id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);  // the pending b2 and the committed tip; the fork is gone
}

TEST_F(ChainStoreTest, CorruptRowsAreReportedNotTrusted) {
  storage::WriteBatch batch;
  batch.put(storage::Column::kMeta, as_bytes(std::string_view("committed")), Bytes{1, 2, 3});
  ASSERT_TRUE(store->write(batch, storage::Durability::kSync).ok());
  EXPECT_EQ(chain.tip().error().code(), "corrupt");
  EXPECT_EQ(chain.restore().error().code(), "corrupt");
}

}  // namespace
}  // namespace bizra::node
