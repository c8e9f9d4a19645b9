#include "ace/knowledge.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "storage/temp_dir.hpp"

namespace bizra::ace {
namespace {

std::unique_ptr<KnowledgeStore> open_knowledge(storage::Store& store) {
  auto knowledge = KnowledgeStore::open(store);
  EXPECT_TRUE(knowledge.ok());
  return std::move(*knowledge);
}

std::string put_text(KnowledgeStore& k, std::string text, std::vector<std::string> tags = {},
                     std::vector<KnowledgeLink> links = {}) {
  NewKnowledge entry;
  entry.text = std::move(text);
  entry.tags = std::move(tags);
  entry.links = std::move(links);
  auto id = k.put(entry);
  EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().to_string());
  return id.ok() ? *id : std::string();
}

std::vector<std::string> hit_ids(const std::vector<RecallHit>& hits) {
  std::vector<std::string> ids;
  for (const RecallHit& h : hits) ids.push_back(h.id);
  return ids;
}

std::string put_error(KnowledgeStore& k, const NewKnowledge& entry) {
  auto id = k.put(entry);
  EXPECT_FALSE(id.ok());
  return id.ok() ? std::string() : id.error().to_string();
}

// Forwards to a memory store, counting the entries scans visit and the point reads.
class CountingStore final : public storage::Store {
 public:
  Result<std::optional<Bytes>> get(storage::Column column, ByteSpan key) const override {
    ++gets;
    return inner_->get(column, key);
  }
  Status scan(storage::Column column, ByteSpan begin, ByteSpan end, const storage::ScanVisitor& visit) const override {
    return inner_->scan(column, begin, end, [&](ByteSpan key, ByteSpan value) {
      ++visited;
      return visit(key, value);
    });
  }
  Status write(const storage::WriteBatch& batch, storage::Durability durability) override {
    return inner_->write(batch, durability);
  }
  std::unique_ptr<storage::ReadView> snapshot() const override { return inner_->snapshot(); }
  Status checkpoint(const std::filesystem::path& dir) const override { return inner_->checkpoint(dir); }
  Status compact() override { return inner_->compact(); }
  storage::StoreStats stats() const override { return inner_->stats(); }

  mutable std::size_t visited = 0, gets = 0;

 private:
  std::unique_ptr<storage::Store> inner_ = storage::open_memory();
};

TEST(Tokenize, LowercasesAsciiDropsShortTokensKeepsUtf8) {
  EXPECT_EQ(tokenize("Hello, World! a b3 \xC3\x84" "BC x RocksDB-backup"),
            (std::vector<std::string>{"hello", "world", "b3", "\xC3\x84" "bc", "rocksdb", "backup"}));
  EXPECT_EQ(tokenize(std::string(100, 'a')), std::vector<std::string>{std::string(kMaxTermBytes, 'a')});
  EXPECT_TRUE(tokenize("a . b ! ?").empty());
}

TEST(NormalizeText, CollapsesWhitespaceAndCase) {
  EXPECT_EQ(normalize_text("  Hello \t\n World  "), "hello world");
  EXPECT_NE(normalize_text("hello, world"), normalize_text("hello world"));
}

TEST(KnowledgeStore, PutGetAssignsSequentialIdsAndLogicalTime) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  const std::string a = put_text(*k, "first entry", {"x", "y", "x"});
  EXPECT_EQ(a, "0000000000000001");
  NewKnowledge second;
  second.text = "second entry";
  second.source = "test";
  second.created = 777;
  second.links = {{a, "follows"}};
  auto b = k->put(second);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, "0000000000000002");

  auto got = k->get(a);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->text, "first entry");
  EXPECT_EQ((*got)->tags, (std::vector<std::string>{"x", "y"}));  // duplicates dropped
  EXPECT_EQ((*got)->created, 1u);
  auto got_b = k->get(*b);
  ASSERT_TRUE(got_b.ok() && got_b->has_value());
  EXPECT_EQ((*got_b)->created, 777u);
  EXPECT_EQ((*got_b)->source, "test");
  EXPECT_EQ((*got_b)->links, (std::vector<KnowledgeLink>{{a, "follows"}}));
  EXPECT_EQ(k->size(), 2u);

  auto missing = k->get("00000000000000ff");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(k->get("xyz").error().code(), "bad_input");
}

TEST(KnowledgeStore, RejectsOversizedAndMalformedEntriesNamingTheField) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  NewKnowledge e;
  EXPECT_EQ(put_error(*k, e), "bad_input: text: empty");
  e.text = std::string(kMaxKnowledgeTextBytes + 1, 'a');
  EXPECT_NE(put_error(*k, e).find("bad_input: text:"), std::string::npos);
  e.text = std::string(kMaxKnowledgeTextBytes, 'a');
  EXPECT_TRUE(k->put(e).ok());  // exactly the limit is fine
  e.text = "ok";
  e.tags.assign(kMaxKnowledgeTags + 1, "t");
  EXPECT_NE(put_error(*k, e).find("bad_input: tags:"), std::string::npos);
  e.tags = {""};
  EXPECT_NE(put_error(*k, e).find("bad_input: tags:"), std::string::npos);
  e.tags = {};
  e.source = std::string(kMaxKnowledgeSourceBytes + 1, 's');
  EXPECT_NE(put_error(*k, e).find("bad_input: source:"), std::string::npos);
  e.source = "";
  e.links = {{"nothex", "rel"}};
  EXPECT_NE(put_error(*k, e).find("bad_input: links.to:"), std::string::npos);
  e.links = {{"0000000000000001", "Bad Relation"}};
  EXPECT_NE(put_error(*k, e).find("bad_input: links.relation:"), std::string::npos);
  e.links = {{"00000000000000aa", "rel"}};
  EXPECT_NE(put_error(*k, e).find("not_found: links.to:"), std::string::npos);
  EXPECT_EQ(k->size(), 1u);  // nothing of the refused entries was stored
}

TEST(KnowledgeStore, RecallRanksByBm25WithIdTieBreak) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  const std::string backup = put_text(*k, "RocksDB checkpoint and backup of the node store");
  const std::string compaction = put_text(*k, "rocksdb compaction reclaims space");
  const std::string signature = put_text(*k, "verify the attestation signature");
  put_text(*k, "unrelated words about weather");

  auto hits = k->recall("rocksdb backup", 10);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hit_ids(*hits), (std::vector<std::string>{backup, compaction}));
  EXPECT_GT((*hits)[0].score, (*hits)[1].score);
  auto one = k->recall("SIGNATURE", 10);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(hit_ids(*one), std::vector<std::string>{signature});

  // Equal scores come out by ascending id, and the limit cuts the list.
  const std::string t1 = put_text(*k, "zebra one");
  const std::string t2 = put_text(*k, "zebra two");
  const std::string t3 = put_text(*k, "zebra six");
  auto tied = k->recall("zebra", 2);
  ASSERT_TRUE(tied.ok());
  EXPECT_EQ(hit_ids(*tied), (std::vector<std::string>{t1, t2}));
  EXPECT_EQ((*tied)[0].score, (*tied)[1].score);
  auto none = k->recall("nothing matches", 5);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  (void)t3;
}

TEST(KnowledgeStore, RecallReadsPostingsUnderTheirPrefix) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  put_text(*k, "alpha beta alpha");
  put_text(*k, "alpha gamma");
  std::size_t postings = 0;
  const std::string prefix = std::string("p/alpha") + '\0';
  ASSERT_TRUE(store->scan_prefix(storage::Column::kKnowledge, as_bytes(prefix), [&](ByteSpan, ByteSpan) {
    ++postings;
    return true;
  }).ok());
  EXPECT_EQ(postings, 2u);  // one posting per entry, whatever the term frequency
}

TEST(KnowledgeStore, RecallVisitsOnlyThePostingsOfTheQueryTerms) {
  CountingStore store;
  KnowledgeOptions fast;
  fast.durability = storage::Durability::kNoSync;
  auto k = KnowledgeStore::open(store, fast).value();
  for (int i = 0; i < 500; ++i) put_text(*k, "filler entry number " + std::to_string(i));
  const std::string needle = put_text(*k, "the needle in the haystack");
  store.visited = 0;
  store.gets = 0;
  auto hits = k->recall("needle haystack", 10);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hit_ids(*hits), std::vector<std::string>{needle});
  EXPECT_EQ(store.visited, 2u);  // one posting per query term
  EXPECT_EQ(store.gets, 0u);
}

TEST(KnowledgeStore, RecallRejectsBadQueriesAndLimits) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  EXPECT_EQ(k->recall("a ! b", 5).error().code(), "bad_input");
  EXPECT_NE(k->recall("hello", 0).error().message().find("limit"), std::string::npos);
  EXPECT_NE(k->recall("hello", kMaxRecallLimit + 1).error().message().find("limit"), std::string::npos);
  EXPECT_NE(k->recall(std::string(kMaxQueryBytes + 1, 'q'), 5).error().message().find("query"), std::string::npos);
  std::string many;
  for (int i = 0; i < 40; ++i) many += "word" + std::to_string(i) + " ";
  EXPECT_EQ(k->recall(many, 5).error().code(), "bad_input");
}

TEST(KnowledgeStore, NeighbourhoodFollowsLinksBothWaysToDepth) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  // a -> b -> c -> d -> e
  const std::string a = put_text(*k, "a node");
  const std::string b = put_text(*k, "b node", {}, {{a, "after"}});
  const std::string c = put_text(*k, "c node", {}, {{b, "after"}});
  const std::string d = put_text(*k, "d node", {}, {{c, "after"}});
  const std::string e = put_text(*k, "e node", {}, {{d, "after"}});
  auto g = k->neighbourhood({c}, 1);
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->nodes.size(), 3u);
  EXPECT_EQ(g->nodes[0].id, c);
  EXPECT_EQ(g->nodes[0].depth, 0u);
  EXPECT_EQ(g->nodes[1].id, b);
  EXPECT_EQ(g->nodes[2].id, d);
  EXPECT_EQ(g->nodes[2].depth, 1u);
  ASSERT_EQ(g->edges.size(), 2u);
  EXPECT_EQ(g->edges[0].from, c);
  EXPECT_EQ(g->edges[0].to, b);
  EXPECT_EQ(g->edges[1].from, d);
  EXPECT_EQ(g->edges[1].relation, "after");

  auto two = k->neighbourhood({c}, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->nodes.size(), 5u);
  EXPECT_EQ(two->edges.size(), 4u);
  EXPECT_FALSE(two->truncated);
  auto zero = k->neighbourhood({e}, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->nodes.size(), 1u);
  EXPECT_TRUE(zero->edges.empty());

  EXPECT_EQ(k->neighbourhood({c}, kMaxNeighbourhoodDepth + 1).error().code(), "bad_input");
  EXPECT_EQ(k->neighbourhood({"00000000000000ff"}, 1).error().code(), "not_found");
  EXPECT_EQ(k->neighbourhood({}, 1).error().code(), "bad_input");
}

TEST(KnowledgeStore, NeighbourhoodIsBoundedInNodes) {
  auto store = storage::open_memory();
  KnowledgeOptions fast;
  fast.durability = storage::Durability::kNoSync;
  auto k = KnowledgeStore::open(*store, fast).value();
  const std::string hub = put_text(*k, "hub");
  for (int i = 0; i < 300; ++i) put_text(*k, "leaf " + std::to_string(i), {}, {{hub, "part_of"}});
  auto g = k->neighbourhood({hub}, 1);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->nodes.size(), kMaxNeighbourhoodNodes);
  EXPECT_TRUE(g->truncated);
}

TEST(KnowledgeStore, LinkIsIdempotentAndValidated) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  const std::string a = put_text(*k, "a");
  const std::string b = put_text(*k, "bb");
  ASSERT_TRUE(k->link(a, b, "cites").ok());
  ASSERT_TRUE(k->link(a, b, "cites").ok());
  ASSERT_TRUE(k->link(a, b, "refutes").ok());
  EXPECT_EQ((*k->get(a))->links, (std::vector<KnowledgeLink>{{b, "cites"}, {b, "refutes"}}));
  auto g = k->neighbourhood({b}, 1);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->edges.size(), 2u);

  EXPECT_EQ(k->link(a, a, "self").error().code(), "bad_input");
  EXPECT_EQ(k->link(a, "00000000000000ff", "x").error().code(), "not_found");
  EXPECT_EQ(k->link("00000000000000ff", a, "x").error().code(), "not_found");
  EXPECT_NE(k->link(a, b, "").error().message().find("relation"), std::string::npos);
  for (std::size_t i = 2; i < kMaxKnowledgeLinks; ++i) ASSERT_TRUE(k->link(a, b, "r" + std::to_string(i)).ok());
  EXPECT_EQ(k->link(a, b, "one_too_many").error().code(), "bad_input");
}

TEST(KnowledgeStore, ConsolidateMergesDuplicatesRedirectsAndDropsDanglingLinks) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  const std::string keep = put_text(*k, "Hello   World", {"x"});
  const std::string other = put_text(*k, "other text");
  const std::string dup = put_text(*k, "hello world", {"y", "x"}, {{other, "see"}});
  const std::string citing = put_text(*k, "cites the duplicate", {}, {{dup, "cites"}, {keep, "cites"}});
  const std::string gone = put_text(*k, "will vanish");
  ASSERT_TRUE(k->link(other, gone, "next").ok());
  // A dangling link (as an older version or a crash could leave): remove the target's record.
  storage::WriteBatch batch;
  batch.erase(storage::Column::kKnowledge, as_bytes("e/" + gone));
  ASSERT_TRUE(store->write(batch, storage::Durability::kSync).ok());

  auto report = k->consolidate();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->merged, 1u);
  // the dangling other->gone, and citing->dup which became a duplicate of citing->keep
  EXPECT_EQ(report->removed_links, 2u);

  auto kept = k->get(keep);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ((*kept)->links, (std::vector<KnowledgeLink>{{other, "see"}}));
  EXPECT_FALSE(k->get(dup)->has_value());
  EXPECT_EQ((*k->get(citing))->links, (std::vector<KnowledgeLink>{{keep, "cites"}}));
  EXPECT_TRUE((*k->get(other))->links.empty());

  auto hits = k->recall("hello", 10);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hit_ids(*hits), std::vector<std::string>{keep});
  auto g = k->neighbourhood({keep}, 1);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->nodes.size(), 3u);  // keep, other (its link), citing (backlink redirected)

  auto again = k->consolidate();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->merged, 0u);
  EXPECT_EQ(again->removed_links, 0u);
}

TEST(KnowledgeStore, PersistsAcrossReopen) {
  storage::testing::TempDir dir;
  std::string a, b;
  {
    auto store = storage::open_rocksdb(dir.path());
    ASSERT_TRUE(store.ok());
    auto k = open_knowledge(**store);
    a = put_text(*k, "persistent memory of the node", {"keep"});
    b = put_text(*k, "linked memory", {}, {{a, "about"}});
    ASSERT_TRUE(k->put_route_count({"plan:verify", "security.verify_signature", 3, 1}).ok());
  }
  auto store = storage::open_rocksdb(dir.path());
  ASSERT_TRUE(store.ok());
  auto k = open_knowledge(**store);
  EXPECT_EQ(k->size(), 2u);
  auto got = k->get(a);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->tags, std::vector<std::string>{"keep"});
  auto hits = k->recall("memory", 10);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->size(), 2u);
  auto g = k->neighbourhood({a}, 1);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->nodes.size(), 2u);
  EXPECT_EQ(put_text(*k, "third"), "0000000000000003");  // the sequence continues
  auto counts = k->route_counts();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].candidate, "security.verify_signature");
  EXPECT_EQ((*counts)[0].successes, 3u);
  EXPECT_EQ((*counts)[0].failures, 1u);
}

TEST(KnowledgeStore, ConcurrentStoresAndRecalls) {
  auto store = storage::open_memory();
  auto k = open_knowledge(*store);
  constexpr int kThreads = 4, kPerThread = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string word = "thread" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        if (!k->put({word + " shared item " + std::to_string(i), {word}, "", {}, std::nullopt}).ok()) ++failures;
        if (!k->recall("shared " + word, 5).ok()) ++failures;
        if (i % 10 == 0 && !k->consolidate().ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(k->size(), static_cast<std::uint64_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    auto hits = k->recall("thread" + std::to_string(t), kMaxRecallLimit);
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits->size(), static_cast<std::size_t>(kPerThread));
  }
}

}  // namespace
}  // namespace bizra::ace
