#include "ace/knowledge.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "codec/binary.hpp"

namespace bizra::ace {

namespace {

using storage::Column;

constexpr std::string_view kEntryPrefix = "e/";
constexpr std::string_view kPostingPrefix = "p/";
constexpr std::string_view kBacklinkPrefix = "b/";
constexpr std::string_view kRoutePrefix = "t/";
constexpr std::string_view kStatsKey = "s/stats";
constexpr std::size_t kIdChars = 16;
constexpr std::uint8_t kEntryVersion = 1;
// BM25's usual constants: term-frequency saturation and document-length normalization.
constexpr double kBm25K1 = 1.2;
constexpr double kBm25B = 0.75;

Error bad_input(std::string_view field, const std::string& what) {
  return Error("bad_input", std::string(field) + ": " + what);
}

std::string entry_id(std::uint64_t seq) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(kIdChars, '0');
  for (std::size_t i = kIdChars; i-- > 0; seq >>= 4) id[i] = kHex[seq & 0xf];
  return id;
}

std::string entry_key(std::string_view id) { return std::string(kEntryPrefix).append(id); }

std::string posting_prefix(std::string_view term) {
  std::string key(kPostingPrefix);
  key.append(term);
  key.push_back('\0');
  return key;
}

std::string backlink_key(std::string_view to, std::string_view from, std::string_view relation) {
  return std::string(kBacklinkPrefix).append(to).append(from).append(relation);
}

std::string route_key(std::string_view route, std::string_view candidate) {
  std::string key(kRoutePrefix);
  key.append(route);
  key.push_back('\0');
  key.append(candidate);
  return key;
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_relation(std::string_view relation) {
  return !relation.empty() && relation.size() <= kMaxRelationBytes &&
         std::all_of(relation.begin(), relation.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '-';
         });
}

// Term -> occurrences in one text, and the text's length in terms.
struct TermCounts {
  std::map<std::string, std::uint32_t> counts;
  std::uint32_t length = 0;
};

TermCounts count_terms(std::string_view text) {
  TermCounts out;
  for (std::string& term : tokenize(text)) {
    ++out.counts[std::move(term)];
    ++out.length;
  }
  return out;
}

Bytes encode_entry(const KnowledgeEntry& entry) {
  codec::Writer w;
  w.u8(kEntryVersion).string(entry.text).count(entry.tags.size());
  for (const std::string& tag : entry.tags) w.string(tag);
  w.string(entry.source).u64(entry.created).count(entry.links.size());
  for (const KnowledgeLink& link : entry.links) w.string(link.to).string(link.relation);
  return std::move(w).take();
}

Result<KnowledgeEntry> decode_entry(std::string_view id, ByteSpan value) {
  codec::Reader r(value);
  KnowledgeEntry entry;
  entry.id = std::string(id);
  if (r.u8("version") != kEntryVersion) r.fail("corrupt", "unknown knowledge entry version");
  entry.text = r.string("text", kMaxKnowledgeTextBytes);
  const std::size_t tags = r.count("tags", kMaxKnowledgeTags, 4);
  for (std::size_t i = 0; i < tags && r.ok(); ++i) entry.tags.push_back(r.string("tag", kMaxKnowledgeTagBytes));
  entry.source = r.string("source", kMaxKnowledgeSourceBytes);
  entry.created = r.u64("created");
  const std::size_t links = r.count("links", kMaxKnowledgeLinks, 8);
  for (std::size_t i = 0; i < links && r.ok(); ++i) {
    KnowledgeLink link;
    link.to = r.string("link.to", kIdChars);
    link.relation = r.string("link.relation", kMaxRelationBytes);
    entry.links.push_back(std::move(link));
  }
  if (Status s = r.finish(); !s.ok()) return Error("corrupt", "knowledge entry " + entry.id + ": " + s.error().to_string());
  return entry;
}

Bytes encode_pair(std::uint64_t a, std::uint64_t b) {
  codec::Writer w;
  w.u64(a).u64(b);
  return std::move(w).take();
}

// Adds (or, with erase, removes) the postings of one entry.
void index_terms(storage::WriteBatch& batch, std::string_view id, const TermCounts& terms, bool erase) {
  for (const auto& [term, count] : terms.counts) {
    const std::string key = posting_prefix(term).append(id);
    if (erase) {
      batch.erase(Column::kKnowledge, as_bytes(key));
    } else {
      codec::Writer w;
      w.u32(count).u32(terms.length);
      batch.put(Column::kKnowledge, as_bytes(key), w.data());
    }
  }
}

template <typename T>
std::vector<T> without_duplicates(const std::vector<T>& items) {
  std::vector<T> out;
  for (const T& item : items)
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  return out;
}

Status check_new_entry(const NewKnowledge& entry) {
  if (entry.text.empty()) return bad_input("text", "empty");
  if (entry.text.size() > kMaxKnowledgeTextBytes)
    return bad_input("text", "longer than " + std::to_string(kMaxKnowledgeTextBytes) + " bytes");
  if (entry.tags.size() > kMaxKnowledgeTags)
    return bad_input("tags", "more than " + std::to_string(kMaxKnowledgeTags));
  for (const std::string& tag : entry.tags)
    if (tag.empty() || tag.size() > kMaxKnowledgeTagBytes)
      return bad_input("tags", "each tag is 1.." + std::to_string(kMaxKnowledgeTagBytes) + " bytes");
  if (entry.source.size() > kMaxKnowledgeSourceBytes)
    return bad_input("source", "longer than " + std::to_string(kMaxKnowledgeSourceBytes) + " bytes");
  if (entry.links.size() > kMaxKnowledgeLinks)
    return bad_input("links", "more than " + std::to_string(kMaxKnowledgeLinks));
  for (const KnowledgeLink& link : entry.links) {
    BIZRA_TRY(check_knowledge_id(link.to, "links.to"));
    if (!is_relation(link.relation)) return bad_input("links.relation", "must match [a-z0-9_:-]{1,64}");
  }
  return ok_status();
}

Status check_route_name(std::string_view name, std::string_view field) {
  if (name.empty() || name.size() > kMaxRouteNameBytes || name.find('\0') != std::string_view::npos)
    return bad_input(field, "1.." + std::to_string(kMaxRouteNameBytes) + " bytes without NUL");
  return ok_status();
}

}  // namespace

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> terms;
  std::string current;
  const auto flush = [&] {
    if (current.size() >= 2) {
      if (current.size() > kMaxTermBytes) current.resize(kMaxTermBytes);
      terms.push_back(current);
    }
    current.clear();
  };
  for (char c : text) {
    if (is_word_byte(static_cast<unsigned char>(c)))
      current.push_back(ascii_lower(c));
    else
      flush();
  }
  flush();
  return terms;
}

std::string normalize_text(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(ascii_lower(c));
  }
  return out;
}

Status check_knowledge_id(std::string_view id, std::string_view field) {
  const bool ok = id.size() == kIdChars && std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
  if (!ok) return bad_input(field, "an entry id is 16 lowercase hex digits");
  return ok_status();
}

KnowledgeStore::KnowledgeStore(storage::Store& store, KnowledgeOptions options, Stats stats)
    : store_(store), options_(options), stats_(stats) {}

KnowledgeStore::~KnowledgeStore() = default;

Result<std::unique_ptr<KnowledgeStore>> KnowledgeStore::open(storage::Store& store, KnowledgeOptions options) {
  auto raw = store.get(Column::kKnowledge, as_bytes(kStatsKey));
  if (!raw.ok()) return raw.error();
  Stats stats;
  if (raw->has_value()) {
    codec::Reader r(**raw);
    stats.next_seq = r.u64("next_seq");
    stats.entries = r.u64("entries");
    stats.total_terms = r.u64("total_terms");
    if (Status s = r.finish(); !s.ok()) return Error("corrupt", "knowledge statistics: " + s.error().to_string());
  }
  return std::unique_ptr<KnowledgeStore>(new KnowledgeStore(store, options, stats));
}

void KnowledgeStore::put_stats(storage::WriteBatch& batch, const Stats& stats) const {
  codec::Writer w;
  w.u64(stats.next_seq).u64(stats.entries).u64(stats.total_terms);
  batch.put(Column::kKnowledge, as_bytes(kStatsKey), w.data());
}

Result<std::optional<KnowledgeEntry>> KnowledgeStore::load(std::string_view id) const {
  auto raw = store_.get(Column::kKnowledge, as_bytes(entry_key(id)));
  if (!raw.ok()) return raw.error();
  if (!raw->has_value()) return std::optional<KnowledgeEntry>();
  auto entry = decode_entry(id, **raw);
  if (!entry.ok()) return entry.error();
  return std::optional<KnowledgeEntry>(std::move(*entry));
}

Status KnowledgeStore::require_exists(std::string_view id, std::string_view field) const {
  auto raw = store_.get(Column::kKnowledge, as_bytes(entry_key(id)));
  if (!raw.ok()) return raw.error();
  if (!raw->has_value()) return Error("not_found", std::string(field) + ": no entry " + std::string(id));
  return ok_status();
}

Result<std::string> KnowledgeStore::put(const NewKnowledge& in) {
  BIZRA_TRY(check_new_entry(in));
  std::unique_lock lock(mutex_);
  for (const KnowledgeLink& link : in.links) BIZRA_TRY(require_exists(link.to, "links.to"));

  Stats next = stats_;
  KnowledgeEntry entry{entry_id(next.next_seq), in.text,  without_duplicates(in.tags), in.source,
                       in.created.value_or(next.next_seq), without_duplicates(in.links)};
  const TermCounts terms = count_terms(entry.text);
  ++next.next_seq;
  ++next.entries;
  next.total_terms += terms.length;

  storage::WriteBatch batch;
  batch.put(Column::kKnowledge, as_bytes(entry_key(entry.id)), encode_entry(entry));
  index_terms(batch, entry.id, terms, false);
  for (const KnowledgeLink& link : entry.links)
    batch.put(Column::kKnowledge, as_bytes(backlink_key(link.to, entry.id, link.relation)), {});
  put_stats(batch, next);
  BIZRA_TRY(store_.write(batch, options_.durability));
  stats_ = next;
  return entry.id;
}

Result<std::optional<KnowledgeEntry>> KnowledgeStore::get(std::string_view id) const {
  BIZRA_TRY(check_knowledge_id(id, "id"));
  std::shared_lock lock(mutex_);
  return load(id);
}

std::uint64_t KnowledgeStore::size() const {
  std::shared_lock lock(mutex_);
  return stats_.entries;
}

Result<std::vector<RecallHit>> KnowledgeStore::recall(std::string_view query, std::size_t limit) const {
  if (query.size() > kMaxQueryBytes) return bad_input("query", "longer than " + std::to_string(kMaxQueryBytes) + " bytes");
  if (limit == 0 || limit > kMaxRecallLimit) return bad_input("limit", "1.." + std::to_string(kMaxRecallLimit));
  const std::vector<std::string> tokens = tokenize(query);
  const std::set<std::string> terms(tokens.begin(), tokens.end());  // sorted: a fixed summation order
  if (terms.empty()) return bad_input("query", "no word of 2 or more characters");
  if (terms.size() > kMaxQueryTerms) return bad_input("query", "more than " + std::to_string(kMaxQueryTerms) + " distinct words");

  std::shared_lock lock(mutex_);
  if (stats_.entries == 0) return std::vector<RecallHit>{};
  const double documents = static_cast<double>(stats_.entries);
  const double average_length = std::max(1.0, static_cast<double>(stats_.total_terms) / documents);

  std::map<std::string, double> scores;
  for (const std::string& term : terms) {
    struct Posting {
      std::string id;
      double frequency, length;
    };
    std::vector<Posting> postings;
    const std::string prefix = posting_prefix(term);
    bool corrupt = false;
    BIZRA_TRY(store_.scan_prefix(Column::kKnowledge, as_bytes(prefix), [&](ByteSpan key, ByteSpan value) {
      codec::Reader r(value);
      const std::uint32_t frequency = r.u32("tf");
      const std::uint32_t length = r.u32("length");
      corrupt = !r.finish().ok() || key.size() != prefix.size() + kIdChars;
      if (corrupt) return false;
      postings.push_back({std::string(as_chars(key.subspan(prefix.size()))), static_cast<double>(frequency),
                          static_cast<double>(length)});
      return true;
    }));
    if (corrupt) return Error("corrupt", "posting of term '" + term + "'");
    const double df = static_cast<double>(postings.size());
    const double idf = std::log(1.0 + (documents - df + 0.5) / (df + 0.5));
    for (const Posting& p : postings) {
      const double norm = kBm25K1 * (1.0 - kBm25B + kBm25B * p.length / average_length);
      scores[p.id] += idf * p.frequency * (kBm25K1 + 1.0) / (p.frequency + norm);
    }
  }

  std::vector<RecallHit> hits;
  hits.reserve(scores.size());
  for (auto& [id, score] : scores) hits.push_back({id, score});
  const auto better = [](const RecallHit& a, const RecallHit& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  };
  const std::size_t kept = std::min(limit, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(kept), hits.end(), better);
  hits.resize(kept);
  return hits;
}

Result<Neighbourhood> KnowledgeStore::neighbourhood(const std::vector<std::string>& start, std::uint32_t depth) const {
  if (depth > kMaxNeighbourhoodDepth) return bad_input("depth", "0.." + std::to_string(kMaxNeighbourhoodDepth));
  if (start.empty() || start.size() > kMaxNeighbourhoodNodes)
    return bad_input("id", "1.." + std::to_string(kMaxNeighbourhoodNodes) + " start entries");
  for (const std::string& id : start) BIZRA_TRY(check_knowledge_id(id, "id"));

  std::shared_lock lock(mutex_);
  Neighbourhood out;
  std::map<std::string, std::uint32_t> depth_of;
  std::deque<std::string> queue;
  for (const std::string& id : start) {
    BIZRA_TRY(require_exists(id, "id"));
    if (depth_of.emplace(id, 0).second) queue.push_back(id);
  }
  std::set<std::tuple<std::string, std::string, std::string>> edges;
  // Visits a link of `at` (at depth d): admits the other end while depth allows and there is
  // room, and records the edge once both ends are in the result.
  const auto visit = [&](const std::string& at, std::uint32_t d, std::string from, std::string to, std::string relation) {
    const std::string& other = from == at ? to : from;
    if (!depth_of.count(other) && d < depth) {
      if (depth_of.size() >= kMaxNeighbourhoodNodes) {
        out.truncated = true;
      } else {
        depth_of.emplace(other, d + 1);
        queue.push_back(other);
      }
    }
    if (!depth_of.count(other)) return;
    if (edges.size() >= kMaxNeighbourhoodEdges) {
      out.truncated = true;
      return;
    }
    edges.emplace(std::move(from), std::move(to), std::move(relation));
  };

  while (!queue.empty()) {
    const std::string id = std::move(queue.front());
    queue.pop_front();
    const std::uint32_t d = depth_of.at(id);
    auto entry = load(id);
    if (!entry.ok()) return entry.error();
    if (!entry->has_value()) continue;  // a dangling link's target (consolidate() removes those)
    for (const KnowledgeLink& link : (*entry)->links) visit(id, d, id, link.to, link.relation);
    const std::string prefix = backlink_key(id, "", "");
    BIZRA_TRY(store_.scan_prefix(Column::kKnowledge, as_bytes(prefix), [&](ByteSpan key, ByteSpan) {
      const std::string_view rest = as_chars(key.subspan(prefix.size()));
      visit(id, d, std::string(rest.substr(0, kIdChars)), id, std::string(rest.substr(kIdChars)));
      return edges.size() < kMaxNeighbourhoodEdges;
    }));
  }

  for (const auto& [id, d] : depth_of) out.nodes.push_back({id, d});
  std::stable_sort(out.nodes.begin(), out.nodes.end(),
                   [](const Neighbourhood::Node& a, const Neighbourhood::Node& b) { return a.depth < b.depth; });
  for (const auto& [from, to, relation] : edges) out.edges.push_back({from, to, relation});
  return out;
}

Status KnowledgeStore::link(std::string_view from, std::string_view to, std::string_view relation) {
  BIZRA_TRY(check_knowledge_id(from, "from"));
  BIZRA_TRY(check_knowledge_id(to, "to"));
  if (!is_relation(relation)) return bad_input("relation", "must match [a-z0-9_:-]{1,64}");
  if (from == to) return bad_input("to", "an entry cannot link to itself");

  std::unique_lock lock(mutex_);
  auto entry = load(from);
  if (!entry.ok()) return entry.error();
  if (!entry->has_value()) return Error("not_found", "from: no entry " + std::string(from));
  BIZRA_TRY(require_exists(to, "to"));
  KnowledgeEntry& e = **entry;
  const KnowledgeLink link{std::string(to), std::string(relation)};
  if (std::find(e.links.begin(), e.links.end(), link) != e.links.end()) return ok_status();
  if (e.links.size() >= kMaxKnowledgeLinks)
    return bad_input("from", "entry already has " + std::to_string(kMaxKnowledgeLinks) + " links");
  e.links.push_back(link);

  storage::WriteBatch batch;
  batch.put(Column::kKnowledge, as_bytes(entry_key(e.id)), encode_entry(e));
  batch.put(Column::kKnowledge, as_bytes(backlink_key(to, from, relation)), {});
  return store_.write(batch, options_.durability);
}

Result<ConsolidationReport> KnowledgeStore::consolidate() {
  std::unique_lock lock(mutex_);
  // Maintenance reads everything once: consolidation must see every entry anyway.
  std::map<std::string, KnowledgeEntry> entries;
  std::map<std::string, Bytes> stored;
  std::optional<Error> failure;
  BIZRA_TRY(store_.scan_prefix(Column::kKnowledge, as_bytes(kEntryPrefix), [&](ByteSpan key, ByteSpan value) {
    const std::string id(as_chars(key.subspan(kEntryPrefix.size())));
    auto entry = decode_entry(id, value);
    if (!entry.ok()) {
      failure = entry.error();
      return false;
    }
    entries.emplace(id, std::move(*entry));
    stored.emplace(id, Bytes(value.begin(), value.end()));
    return true;
  }));
  if (failure) return *failure;

  // The smallest id of each normalized text keeps it; the others fold into it.
  std::map<std::string, std::string> keeper_of_text, keeper_of;
  for (const auto& [id, entry] : entries) {
    const auto [it, first] = keeper_of_text.emplace(normalize_text(entry.text), id);
    if (!first) keeper_of.emplace(id, it->second);
  }
  ConsolidationReport report;
  report.merged = keeper_of.size();
  for (const auto& [duplicate, keeper] : keeper_of) {
    KnowledgeEntry& k = entries.at(keeper);
    const KnowledgeEntry& d = entries.at(duplicate);
    for (const std::string& tag : d.tags)
      if (k.tags.size() < kMaxKnowledgeTags && std::find(k.tags.begin(), k.tags.end(), tag) == k.tags.end())
        k.tags.push_back(tag);
    k.links.insert(k.links.end(), d.links.begin(), d.links.end());
  }

  storage::WriteBatch batch;
  std::set<std::string> wanted_backlinks;
  for (auto& [id, entry] : entries) {
    if (keeper_of.count(id)) continue;
    std::vector<KnowledgeLink> kept;
    for (const KnowledgeLink& link : entry.links) {
      const auto redirected = keeper_of.find(link.to);
      KnowledgeLink target{redirected == keeper_of.end() ? link.to : redirected->second, link.relation};
      const bool usable = entries.count(target.to) && target.to != id && kept.size() < kMaxKnowledgeLinks &&
                          std::find(kept.begin(), kept.end(), target) == kept.end();
      if (!usable) {
        ++report.removed_links;
        continue;
      }
      wanted_backlinks.insert(backlink_key(target.to, id, target.relation));
      kept.push_back(std::move(target));
    }
    entry.links = std::move(kept);
    Bytes encoded = encode_entry(entry);
    if (encoded != stored.at(id)) batch.put(Column::kKnowledge, as_bytes(entry_key(id)), encoded);
  }

  Stats next = stats_;
  for (const auto& [duplicate, keeper] : keeper_of) {
    const TermCounts terms = count_terms(entries.at(duplicate).text);
    batch.erase(Column::kKnowledge, as_bytes(entry_key(duplicate)));
    index_terms(batch, duplicate, terms, true);
    --next.entries;
    next.total_terms -= terms.length;
  }
  BIZRA_TRY(store_.scan_prefix(Column::kKnowledge, as_bytes(kBacklinkPrefix), [&](ByteSpan key, ByteSpan) {
    const std::string k(as_chars(key));
    if (wanted_backlinks.erase(k) == 0) batch.erase(Column::kKnowledge, key);
    return true;
  }));
  for (const std::string& k : wanted_backlinks) batch.put(Column::kKnowledge, as_bytes(k), {});
  if (batch.empty()) return report;
  put_stats(batch, next);
  BIZRA_TRY(store_.write(batch, options_.durability));
  stats_ = next;
  return report;
}

Status KnowledgeStore::put_route_count(const RouteCount& count) {
  BIZRA_TRY(check_route_name(count.route, "route"));
  BIZRA_TRY(check_route_name(count.candidate, "candidate"));
  storage::WriteBatch batch;
  batch.put(Column::kKnowledge, as_bytes(route_key(count.route, count.candidate)),
            encode_pair(count.successes, count.failures));
  return store_.write(batch, options_.durability);
}

Result<std::vector<RouteCount>> KnowledgeStore::route_counts() const {
  std::vector<RouteCount> out;
  std::optional<Error> failure;
  BIZRA_TRY(store_.scan_prefix(Column::kKnowledge, as_bytes(kRoutePrefix), [&](ByteSpan key, ByteSpan value) {
    const std::string_view name = as_chars(key.subspan(kRoutePrefix.size()));
    const std::size_t nul = name.find('\0');
    codec::Reader r(value);
    RouteCount count{std::string(name.substr(0, nul)), std::string(name.substr(nul + 1)), r.u64("successes"),
                     r.u64("failures")};
    if (nul == std::string_view::npos || !r.finish().ok()) {
      failure = Error("corrupt", "route statistics record");
      return false;
    }
    out.push_back(std::move(count));
    return true;
  }));
  if (failure) return *failure;
  return out;
}

}  // namespace bizra::ace
