#pragma once
// The Memory agent's knowledge store (../shared/spec/ace.md): short texts with tags, a source and
// named links between them, persisted in storage Column::kKnowledge, recalled by full text (BM25
// over a persisted inverted index) and by graph neighbourhood.
//
// Key layout in Column::kKnowledge (ids are 16 lowercase hex digits, fixed width, so keys need
// no separators between ids):
//   "e/" id                      -> the entry (binary, see knowledge.cpp)
//   "p/" term 0x00 id            -> posting: u32 term frequency, u32 document length (in terms)
//   "b/" to from relation        -> empty: the backlink of from --relation--> to
//   "s/stats"                    -> u64 next sequence, u64 entry count, u64 total terms
//   "t/" route 0x00 candidate    -> u64 successes, u64 failures (Reflection's route statistics)
// Recall reads only the postings of the query's terms, never every entry.
//
// Thread safety: every method may be called from several threads at once. Reads share a lock;
// writes (which read-modify-write the statistics and the link lists) take it exclusively.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "storage/store.hpp"

namespace bizra::ace {

// Bounds on what one entry may hold; exceeding one is "bad_input" naming the field.
inline constexpr std::size_t kMaxKnowledgeTextBytes = 64 * 1024;
inline constexpr std::size_t kMaxKnowledgeTags = 32;
inline constexpr std::size_t kMaxKnowledgeTagBytes = 128;
inline constexpr std::size_t kMaxKnowledgeSourceBytes = 256;
inline constexpr std::size_t kMaxKnowledgeLinks = 64;  // outgoing links of one entry
inline constexpr std::size_t kMaxRelationBytes = 64;   // [a-z0-9_:-]{1,64}
// Bounds on what one query may cost or return.
inline constexpr std::size_t kMaxQueryBytes = 4 * 1024;
inline constexpr std::size_t kMaxQueryTerms = 32;
inline constexpr std::size_t kMaxRecallLimit = 50;
inline constexpr std::uint32_t kMaxNeighbourhoodDepth = 4;
inline constexpr std::size_t kMaxNeighbourhoodNodes = 256;
inline constexpr std::size_t kMaxNeighbourhoodEdges = 1024;
// Tokens are cut to this many bytes before indexing (a term is a key, never shown).
inline constexpr std::size_t kMaxTermBytes = 64;
inline constexpr std::size_t kMaxRouteNameBytes = 128;  // route and candidate names

struct KnowledgeLink {
  std::string to;
  std::string relation;
  bool operator==(const KnowledgeLink&) const = default;
};

struct KnowledgeEntry {
  std::string id;  // 16 lowercase hex digits: the entry's sequence number
  std::string text;
  std::vector<std::string> tags;
  std::string source;
  std::uint64_t created = 0;          // logical time: the sequence number unless given
  std::vector<KnowledgeLink> links;   // outgoing
};

struct NewKnowledge {
  std::string text;
  std::vector<std::string> tags;
  std::string source;
  std::vector<KnowledgeLink> links;
  std::optional<std::uint64_t> created;  // default: the entry's sequence number
};

struct RecallHit {
  std::string id;
  double score = 0;  // BM25; higher is better
};

struct Neighbourhood {
  struct Node {
    std::string id;
    std::uint32_t depth = 0;  // link hops from the nearest start node
  };
  struct Edge {
    std::string from, to, relation;
  };
  std::vector<Node> nodes;  // sorted by (depth, id); start nodes have depth 0
  std::vector<Edge> edges;  // links between nodes of the result, sorted by (from, to, relation)
  bool truncated = false;   // kMaxNeighbourhoodNodes or kMaxNeighbourhoodEdges was reached
};

struct ConsolidationReport {
  std::uint64_t merged = 0;         // duplicate entries folded into an earlier one and deleted
  std::uint64_t removed_links = 0;  // dangling links, and links a merge made self-links,
                                    // duplicates or surplus beyond kMaxKnowledgeLinks
};

struct RouteCount {
  std::string route;
  std::string candidate;
  std::uint64_t successes = 0, failures = 0;
};

// Splits text into index terms: maximal runs of ASCII letters/digits and non-ASCII (UTF-8) bytes,
// ASCII lowercased, runs shorter than 2 bytes dropped, each cut to kMaxTermBytes. Non-ASCII
// letters are kept as written (no Unicode case folding).
std::vector<std::string> tokenize(std::string_view text);

// ASCII lowercase, whitespace runs collapsed to one space, trimmed: what "identical text" means
// to consolidate().
std::string normalize_text(std::string_view text);

struct KnowledgeOptions {
  storage::Durability durability = storage::Durability::kSync;
};

class KnowledgeStore {
 public:
  // `store` must outlive the KnowledgeStore. Errors: storage errors, "corrupt".
  static Result<std::unique_ptr<KnowledgeStore>> open(storage::Store& store, KnowledgeOptions options = {});

  // Stores a new entry and indexes it. Errors: "bad_input" (the message names the field),
  // "not_found" (a link target), storage errors.
  Result<std::string> put(const NewKnowledge& entry);
  // nullopt when there is no such entry. Errors: "bad_input" (malformed id), storage errors.
  Result<std::optional<KnowledgeEntry>> get(std::string_view id) const;
  // At most `limit` (1..kMaxRecallLimit) entries matching any term of `query`, best first (BM25,
  // ties by ascending id). Errors: "bad_input" (empty/oversized query, no term, bad limit).
  Result<std::vector<RecallHit>> recall(std::string_view query, std::size_t limit) const;
  // Entries within `depth` (0..kMaxNeighbourhoodDepth) links of any of `start`, following links
  // in both directions. Errors: "bad_input", "not_found" (a start id).
  Result<Neighbourhood> neighbourhood(const std::vector<std::string>& start, std::uint32_t depth) const;
  // Adds from --relation--> to (no-op when it exists). Errors: "bad_input" (ids, relation, a
  // self-link, more than kMaxKnowledgeLinks), "not_found".
  Status link(std::string_view from, std::string_view to, std::string_view relation);
  // Merges entries of identical normalize_text into the one with the smallest id (union of
  // tags and links; links to the others redirected to it) and deletes the others; drops links
  // whose target does not exist. One atomic write.
  Result<ConsolidationReport> consolidate();
  std::uint64_t size() const;  // entries stored

  // Route statistics (Reflection): counts per (route, candidate).
  // Errors: "bad_input" (empty or oversized names), storage errors.
  Status put_route_count(const RouteCount& count);
  Result<std::vector<RouteCount>> route_counts() const;  // sorted by (route, candidate)

  ~KnowledgeStore();
  KnowledgeStore(const KnowledgeStore&) = delete;
  KnowledgeStore& operator=(const KnowledgeStore&) = delete;

 private:
  struct Stats {
    std::uint64_t next_seq = 1, entries = 0, total_terms = 0;
  };
  KnowledgeStore(storage::Store& store, KnowledgeOptions options, Stats stats);

  Result<std::optional<KnowledgeEntry>> load(std::string_view id) const;  // caller holds the lock
  Status require_exists(std::string_view id, std::string_view field) const;
  void put_stats(storage::WriteBatch& batch, const Stats& stats) const;

  storage::Store& store_;
  KnowledgeOptions options_;
  mutable std::shared_mutex mutex_;
  Stats stats_;  // guarded by mutex_
};

// "bad_input" unless `id` has the shape of an entry id; `field` names it in the message.
Status check_knowledge_id(std::string_view id, std::string_view field);

}  // namespace bizra::ace
