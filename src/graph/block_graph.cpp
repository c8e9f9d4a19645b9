#include "graph/block_graph.hpp"

#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <random>
#include <string>
#include <type_traits>

#include "base/hex.hpp"

// Design
// ------
// Table. Block ids are BLAKE3 outputs, so 8 of their bytes already hash well; a seeded mix of
// them picks the home slot, so that a block producer who grinds ids cannot aim them at one
// cluster. The table is open addressing with linear probing over 64-byte slots that hold the
// whole reader-visible record: a lookup compares the full 32-byte id (a shorter prefix could be
// made to collide by grinding) and reads the flags on the same cache line, so a successful
// lookup costs one cache miss at most and the next probe is the adjacent line. Tables are kept
// at most half full (tombstones included), so probe sequences stay short. Writer-only data (the
// parent, the voter bitmap) lives in a side vector, so that it does not cost readers a line.
//
// Publication. A slot's fields are written before its `state` is stored with release; readers
// load `state` with acquire before they look at anything else, and a slot's id, height and round
// never change while the slot is in a table readers can reach. Flags and weight change in place
// (atomics). Removing a block turns its slot into a tombstone that keeps its id, so probe
// sequences through it stay intact; tombstones are dropped by the next rebuild. Growth,
// compaction and shrinking all build a fresh table and publish it with one pointer store, so
// readers never see a table half rebuilt.
//
// Reclamation (the reason readers need no lock). A replaced table is retired, not freed: a
// reader may have loaded the old pointer just before the swap. Each reading thread owns a
// cache-line-sized record and stores in it, for the duration of a call, the global epoch it saw
// on entry (0 outside calls). Publishing a table bumps the epoch; a retired table is freed once
// every record is 0 or shows that epoch or a later one. A reader announces itself with a plain store, no
// locked instruction: the writer makes that store visible before it inspects the records by
// issuing membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), a full barrier on every CPU running one
// of our threads, and it only does so when it retires a table. So either the writer sees the
// reader's record, or the reader's later load of the table pointer sees the new table. Where
// membarrier is unavailable (old kernels, seccomp), readers enter with a seq_cst exchange
// instead: a locked instruction per call, which made a cached lookup about 2.5 ns slower (of 3.5)
// on the machine this was measured on.
// The writer checks retired tables on each of its calls and never waits for a reader, so the
// memory held is the current table plus those retired while some read that started before
// their retirement is still running: normally none past the writer's next call; if a reading
// thread is descheduled in the middle of a call, growth retires at most as much as the current
// table again (capacities double), compaction one table of the current size per rebuild, for
// as long as that one read lasts.

namespace bizra::graph {
namespace {

// ---- reader epochs (process-wide, shared by every BlockGraph) -------------------------------

struct alignas(64) ReaderRecord {
  std::atomic<std::uint64_t> epoch{0};  // 0: not inside a read
  std::atomic<bool> in_use{false};
  ReaderRecord* next = nullptr;  // immutable once the record is on the list
};

struct alignas(64) EpochState {
  std::atomic<std::uint64_t> epoch{1};
  std::atomic<bool> asymmetric{false};  // membarrier is available: readers enter with a plain store
};

EpochState g_epoch;
std::atomic<ReaderRecord*> g_records{nullptr};  // records are never freed; threads reuse them
std::once_flag g_epoch_init;

// Registers the process for expedited membarrier once. BIZRA_GRAPH_SYMMETRIC_FENCES=1 forces the
// fallback (to test it, or to measure what membarrier saves).
void init_epochs() {
  std::call_once(g_epoch_init, [] {
    const char* forced = std::getenv("BIZRA_GRAPH_SYMMETRIC_FENCES");
    if (forced != nullptr && std::strcmp(forced, "1") == 0) return;
    const long registered = ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
    g_epoch.asymmetric.store(registered == 0, std::memory_order_seq_cst);
  });
}

// A full memory barrier on every CPU currently running a thread of this process.
void barrier_all_threads() {
  if (!g_epoch.asymmetric.load(std::memory_order_relaxed)) return;  // readers fence themselves
  if (::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
    // Registration succeeded, so this cannot fail; going on without it would risk a reader
    // touching freed memory.
    std::perror("bizra::graph: membarrier failed after registration");
    std::abort();
  }
}

[[gnu::noinline, gnu::cold]] ReaderRecord* claim_record() {
  for (ReaderRecord* r = g_records.load(std::memory_order_seq_cst); r != nullptr; r = r->next) {
    bool expected = false;
    if (!r->in_use.load(std::memory_order_relaxed) &&
        r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire))
      return r;
  }
  auto* record = new ReaderRecord;
  record->in_use.store(true, std::memory_order_relaxed);
  ReaderRecord* head = g_records.load(std::memory_order_relaxed);
  do {
    record->next = head;
  } while (!g_records.compare_exchange_weak(head, record, std::memory_order_seq_cst,
                                            std::memory_order_relaxed));
  return record;
}

thread_local ReaderRecord* t_record = nullptr;

// Hands the thread's record back when the thread exits. A read from a later thread_local
// destructor of the same thread claims a fresh record that is never handed back (harmless).
struct RecordRelease {
  RecordRelease() = default;
  RecordRelease(const RecordRelease&) = delete;
  RecordRelease& operator=(const RecordRelease&) = delete;
  ~RecordRelease() {
    if (t_record == nullptr) return;
    t_record->in_use.store(false, std::memory_order_release);
    t_record = nullptr;
  }
};
thread_local RecordRelease t_record_release;

ReaderRecord& my_record() {
  if (t_record == nullptr) [[unlikely]] {
    t_record = claim_record();
    static_cast<void>(&t_record_release);  // constructs it, so that it runs at thread exit
  }
  return *t_record;
}

// Marks the calling thread as reading for its lifetime (one reader call; never nested).
class ReadGuard {
 public:
  ReadGuard() : record_(my_record()) {
    const std::uint64_t epoch = g_epoch.epoch.load(std::memory_order_acquire);
    if (g_epoch.asymmetric.load(std::memory_order_relaxed)) [[likely]] {
      record_.epoch.store(epoch, std::memory_order_release);
      // Keeps the compiler from hoisting the table load above the store; the CPU is ordered by
      // the writer's barrier_all_threads().
      std::atomic_signal_fence(std::memory_order_seq_cst);
    } else {
      record_.epoch.exchange(epoch, std::memory_order_seq_cst);
    }
  }
  ~ReadGuard() { record_.epoch.store(0, std::memory_order_release); }
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;

 private:
  ReaderRecord& record_;
};

// The oldest epoch a reader is in, or max when no thread is reading.
std::uint64_t oldest_reader_epoch() {
  std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
  for (ReaderRecord* r = g_records.load(std::memory_order_seq_cst); r != nullptr; r = r->next) {
    const std::uint64_t epoch = r->epoch.load(std::memory_order_seq_cst);
    if (epoch != 0) oldest = std::min(oldest, epoch);
  }
  return oldest;
}

// ---- slot states --------------------------------------------------------------------------

constexpr std::uint32_t kEmpty = 0;
constexpr std::uint32_t kLive = 1;
constexpr std::uint32_t kCertified = 2;
constexpr std::uint32_t kCommitted = 4;
constexpr std::uint32_t kTombstone = 8;  // removed; keeps its id so probe sequences go on

constexpr std::size_t kMinCapacity = 16;
constexpr std::size_t kHugePage = std::size_t{2} << 20;

// The capacity for `blocks` live blocks: at most a third full, so the table can grow by half
// before the next rebuild (rebuilds stay amortised O(1) per insert).
std::size_t capacity_for(std::size_t blocks) {
  return std::max(kMinCapacity, std::bit_ceil(3 * blocks));
}

std::string short_id(const Hash32& id) { return hex::encode(id).substr(0, 16); }

// Hash32's operator== calls memcmp; this is branch-free and inline, on the readers' hot path.
bool same_id(const Hash32& a, const Hash32& b) {
  std::uint64_t difference = 0;
  for (std::size_t offset = 0; offset < Hash32::size(); offset += 8) {
    std::uint64_t x = 0, y = 0;
    std::memcpy(&x, a.data() + offset, 8);
    std::memcpy(&y, b.data() + offset, 8);
    difference |= x ^ y;
  }
  return difference == 0;
}

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

// ---- storage --------------------------------------------------------------------------------

// The reader-visible record of one block: one cache line.
struct alignas(64) BlockGraph::Slot {
  Hash32 id;                               // fixed once state != kEmpty
  std::atomic<std::uint32_t> state{kEmpty};
  std::uint32_t data = 0;                  // writer-only: index into writer_data_
  std::uint64_t height = 0;                // fixed once state != kEmpty
  std::uint64_t round = 0;                 // fixed once state != kEmpty
  std::atomic<std::uint64_t> weight{0};
};

struct BlockGraph::Table {
  explicit Table(std::size_t capacity)
      : mask(capacity - 1), shift(64 - static_cast<unsigned>(std::countr_zero(capacity))) {
    static_assert(sizeof(Slot) == 64);
    static_assert(std::is_trivially_destructible_v<Slot>);  // so freeing the memory is enough
    const std::size_t bytes = capacity * sizeof(Slot);
    // Large tables on 2 MiB pages: a random lookup then misses the TLB far less often.
    const std::size_t alignment = bytes >= kHugePage ? kHugePage : alignof(Slot);
    void* memory = std::aligned_alloc(alignment, bytes);
    if (memory == nullptr) throw std::bad_alloc();
    if (alignment == kHugePage) ::madvise(memory, bytes, MADV_HUGEPAGE);  // advice only
    slots = static_cast<Slot*>(memory);
    std::uninitialized_value_construct_n(slots, capacity);
  }
  ~Table() { std::free(slots); }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  std::size_t capacity() const { return mask + 1; }

  const std::size_t mask;
  const unsigned shift;  // 64 - log2(capacity): home() keeps the top bits of the mix
  Slot* slots = nullptr;
};

struct BlockGraph::Retired {
  std::unique_ptr<Table> table;
  std::uint64_t epoch;  // free once no reader is in an epoch older than this
};

struct BlockGraph::WriterData {
  Hash32 parent;
  ValidatorSet validators;              // the set that votes on this block
  std::vector<std::uint64_t> voters;  // bitmap by validator index; allocated at the first vote
};

// ---- construction ---------------------------------------------------------------------------

BlockGraph::BlockGraph(const RootBlock& root, const ValidatorSet& validators)
    : table_(new Table(kMinCapacity)),
      seed_(random_seed()),
      committed_height_(root.height),
      validators_(validators),
      chain_{root.id},
      chain_base_(root.height) {
  init_epochs();
  place(BlockHeader{root.id, Hash32{}, root.round}, root.height, kLive | kCertified | kCommitted);
}

BlockGraph::~BlockGraph() { delete table_.load(std::memory_order_relaxed); }

void BlockGraph::set_validators(const ValidatorSet& validators) { validators_ = validators; }

// ---- lookups ------------------------------------------------------------------------------

std::size_t BlockGraph::home(const Table& table, const Hash32& id) const {
  std::uint64_t x = 0;
  std::memcpy(&x, id.data(), sizeof x);
  x ^= seed_;
  x *= 0x9e3779b97f4a7c15;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93;
  return static_cast<std::size_t>(x >> table.shift);
}

const BlockGraph::Slot* BlockGraph::find_slot(const Table& table, const Hash32& id,
                                              std::uint32_t& state) const {
  // Terminates: a table is never more than half full, so an empty slot lies ahead.
  for (std::size_t i = home(table, id);; i = (i + 1) & table.mask) {
    const Slot& slot = table.slots[i];
    state = slot.state.load(std::memory_order_acquire);
    if (state == kEmpty) return nullptr;
    if ((state & kLive) != 0 && same_id(slot.id, id)) return &slot;
  }
}

BlockGraph::Slot* BlockGraph::writer_find(const Hash32& id) {
  std::uint32_t state = 0;
  return const_cast<Slot*>(find_slot(*table_.load(std::memory_order_relaxed), id, state));
}

bool BlockGraph::is_finalized(const Hash32& block) const {
  ReadGuard guard;
  std::uint32_t state = 0;
  return find_slot(*table_.load(std::memory_order_seq_cst), block, state) != nullptr &&
         (state & kCommitted) != 0;
}

bool BlockGraph::contains(const Hash32& block) const {
  ReadGuard guard;
  std::uint32_t state = 0;
  return find_slot(*table_.load(std::memory_order_seq_cst), block, state) != nullptr;
}

std::optional<BlockView> BlockGraph::find(const Hash32& block) const {
  ReadGuard guard;
  std::uint32_t state = 0;
  const Slot* slot = find_slot(*table_.load(std::memory_order_seq_cst), block, state);
  if (slot == nullptr) return std::nullopt;
  return BlockView{slot->height, slot->round, slot->weight.load(std::memory_order_relaxed),
                   (state & kCertified) != 0, (state & kCommitted) != 0};
}

std::uint64_t BlockGraph::committed_height() const {
  return committed_height_.load(std::memory_order_acquire);
}

std::size_t BlockGraph::size() const { return live_.load(std::memory_order_relaxed); }

// ---- writer: insert and votes -------------------------------------------------------------

Status BlockGraph::insert(const BlockHeader& header) {
  reclaim();
  if (writer_find(header.id) != nullptr) return ok_status();
  const Slot* parent = writer_find(header.parent);
  if (parent == nullptr)
    return Error("missing_parent", "parent " + short_id(header.parent) + " of block " +
                                       short_id(header.id) + " is not in the graph");
  const std::uint64_t committed = committed_height();
  const bool parent_committed = (parent->state.load(std::memory_order_relaxed) & kCommitted) != 0;
  if (parent->height < committed || (parent->height == committed && !parent_committed))
    return Error("stale_block", "block " + short_id(header.id) + " extends " +
                                    short_id(header.parent) + " at height " +
                                    std::to_string(parent->height) +
                                    ", off the chain committed up to height " +
                                    std::to_string(committed));
  if (header.round <= parent->round)
    return Error("bad_round", "block " + short_id(header.id) + " has round " +
                                  std::to_string(header.round) + ", parent has round " +
                                  std::to_string(parent->round));
  const std::uint64_t height = parent->height + 1;
  ensure_room_for_one();  // may move the parent's slot: do not use `parent` below
  place(header, height, kLive);
  unsettled_[height].push_back(header.id);
  return ok_status();
}

void BlockGraph::place(const BlockHeader& header, std::uint64_t height, std::uint32_t state) {
  std::uint32_t data = 0;
  if (free_data_.empty()) {
    if (writer_data_.size() > std::numeric_limits<std::uint32_t>::max()) throw std::bad_alloc();
    data = static_cast<std::uint32_t>(writer_data_.size());
    writer_data_.emplace_back();
  } else {
    data = free_data_.back();
    free_data_.pop_back();
  }
  writer_data_[data] = WriterData{header.parent, validators_, {}};

  Table& table = *table_.load(std::memory_order_relaxed);
  std::size_t i = home(table, header.id);
  while (table.slots[i].state.load(std::memory_order_relaxed) != kEmpty) i = (i + 1) & table.mask;
  Slot& slot = table.slots[i];
  slot.id = header.id;
  slot.data = data;
  slot.height = height;
  slot.round = header.round;
  slot.weight.store(0, std::memory_order_relaxed);
  slot.state.store(state, std::memory_order_release);  // publishes the fields above
  live_.store(live_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

Result<VoteOutcome> BlockGraph::add_vote(const Hash32& block, std::uint32_t validator,
                                          std::uint64_t weight) {
  reclaim();
  Slot* slot = writer_find(block);
  if (slot == nullptr) return Error("unknown_block", "vote for unknown block " + short_id(block));
  WriterData& data = writer_data_[slot->data];
  if (validator >= data.validators.count)
    return Error("bad_validator", "validator index " + std::to_string(validator) + " >= " +
                                      std::to_string(data.validators.count));
  if (data.voters.empty()) data.voters.resize((std::size_t{data.validators.count} + 63) / 64);
  std::uint64_t& word = data.voters[validator / 64];
  const std::uint64_t bit = std::uint64_t{1} << (validator % 64);
  if ((word & bit) != 0) return VoteOutcome::kDuplicate;

  const std::uint64_t before = slot->weight.load(std::memory_order_relaxed);
  if (weight > std::numeric_limits<std::uint64_t>::max() - before)
    return Error("weight_overflow", "vote weight of block " + short_id(block) + " overflows");
  word |= bit;
  slot->weight.store(before + weight, std::memory_order_relaxed);
  const std::uint32_t state = slot->state.load(std::memory_order_relaxed);
  if ((state & kCertified) != 0 || !is_quorum(before + weight, data.validators.total_weight))
    return VoteOutcome::kCounted;
  set_state(*slot, state | kCertified);
  return VoteOutcome::kReachedQuorum;
}

void BlockGraph::set_state(Slot& slot, std::uint32_t state) {
  slot.state.store(state, std::memory_order_release);
}

// ---- writer: commit -------------------------------------------------------------------------

Status BlockGraph::mark_committed(const Hash32& block) {
  reclaim();
  Slot* slot = writer_find(block);
  if (slot == nullptr) return Error("unknown_block", "commit of unknown block " + short_id(block));
  const std::uint64_t committed = committed_height();
  // Walk up to the committed chain, collecting the blocks to commit (newest first). A block at or
  // below the committed height that is not committed is a conflicting fork.
  std::vector<Slot*> path;
  while ((slot->state.load(std::memory_order_relaxed) & kCommitted) == 0) {
    if (slot->height <= committed)
      return Error("conflicting_commit",
                   "committing " + short_id(block) + " would commit " + short_id(slot->id) +
                       " at height " + std::to_string(slot->height) + ", but the chain is already "
                       "committed up to height " + std::to_string(committed) + " through " +
                       short_id(chain_.back()) + ": safety is violated, stop the node");
    path.push_back(slot);
    // Present: prune() removes a block's descendants with it, and nothing forgets uncommitted
    // blocks above the committed height.
    slot = writer_find(writer_data_[slot->data].parent);
  }
  // Oldest first, with release stores, then the height: a reader that sees a block committed
  // (or the new height) also sees its ancestors committed.
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    set_state(**it, (*it)->state.load(std::memory_order_relaxed) | kCommitted);
    chain_.push_back((*it)->id);
  }
  if (!path.empty()) committed_height_.store(path.front()->height, std::memory_order_release);
  return ok_status();
}

// ---- writer: pruning ----------------------------------------------------------------------

std::size_t BlockGraph::prune(std::uint64_t keep_committed_from) {
  std::size_t removed = prune_forks();
  removed += forget_committed_below(std::min(keep_committed_from, committed_height()));
  const std::size_t capacity = table_.load(std::memory_order_relaxed)->capacity();
  if (capacity > kMinCapacity && size() * 16 < capacity) rebuild(capacity_for(size()));
  reclaim();
  return removed;
}

std::size_t BlockGraph::prune_forks() {
  const std::uint64_t committed = committed_height();
  std::size_t removed = 0;
  auto bucket = unsettled_.begin();
  for (; bucket != unsettled_.end() && bucket->first <= committed; bucket = unsettled_.erase(bucket)) {
    for (const Hash32& id : bucket->second) {
      Slot* slot = writer_find(id);
      if ((slot->state.load(std::memory_order_relaxed) & kCommitted) == 0) {
        remove(*slot);
        ++removed;
      }
    }
  }
  if (removed == 0) return 0;
  // Descendants of the removed forks above the committed height. Heights are contiguous (a block
  // above the committed height has an uncommitted parent, itself in unsettled_), so orphans can
  // only appear at a height right after one that lost blocks.
  for (; bucket != unsettled_.end();) {
    const std::size_t before = removed;
    std::erase_if(bucket->second, [&](const Hash32& id) {
      Slot* slot = writer_find(id);
      if (writer_find(writer_data_[slot->data].parent) != nullptr) return false;
      remove(*slot);
      ++removed;
      return true;
    });
    if (removed == before) break;
    bucket = bucket->second.empty() ? unsettled_.erase(bucket) : std::next(bucket);
  }
  return removed;
}

std::size_t BlockGraph::forget_committed_below(std::uint64_t height) {
  std::size_t removed = 0;
  for (; chain_base_ < height; ++chain_base_, ++removed) {
    remove(*writer_find(chain_.front()));
    chain_.pop_front();
  }
  return removed;
}

void BlockGraph::remove(Slot& slot) {
  writer_data_[slot.data] = WriterData{};  // releases the voter bitmap
  free_data_.push_back(slot.data);
  set_state(slot, kTombstone);
  live_.store(live_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  ++tombstones_;
}

// ---- writer: tables -------------------------------------------------------------------------

void BlockGraph::ensure_room_for_one() {
  const std::size_t capacity = table_.load(std::memory_order_relaxed)->capacity();
  if ((size() + tombstones_ + 1) * 2 > capacity) rebuild(capacity_for(size() + 1));
}

void BlockGraph::rebuild(std::size_t capacity) {
  auto next = std::make_unique<Table>(capacity);
  const Table& current = *table_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < current.capacity(); ++i) {
    const Slot& from = current.slots[i];
    const std::uint32_t state = from.state.load(std::memory_order_relaxed);
    if ((state & kLive) == 0) continue;
    std::size_t j = home(*next, from.id);
    while (next->slots[j].state.load(std::memory_order_relaxed) != kEmpty) j = (j + 1) & next->mask;
    Slot& to = next->slots[j];
    to.id = from.id;
    to.data = from.data;
    to.height = from.height;
    to.round = from.round;
    to.weight.store(from.weight.load(std::memory_order_relaxed), std::memory_order_relaxed);
    to.state.store(state, std::memory_order_relaxed);  // published with the table pointer
  }
  tombstones_ = 0;
  publish(std::move(next));
}

void BlockGraph::publish(std::unique_ptr<Table> next) {
  Table* old = table_.exchange(next.release(), std::memory_order_seq_cst);
  const std::uint64_t epoch = g_epoch.epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
  barrier_all_threads();
  retired_.push_back(Retired{std::unique_ptr<Table>(old), epoch});
}

void BlockGraph::reclaim() {
  if (retired_.empty()) return;
  const std::uint64_t oldest = oldest_reader_epoch();
  std::erase_if(retired_, [oldest](const Retired& r) { return r.epoch <= oldest; });
}

}  // namespace bizra::graph
