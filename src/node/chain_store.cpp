#include "node/chain_store.hpp"

#include "codec/binary.hpp"
#include "consensus/safety.hpp"

namespace bizra::node {
namespace {

using storage::Column;

constexpr std::string_view kSafetyKey = "safety";
constexpr std::string_view kCommittedKey = "committed";
constexpr std::string_view kPendingPrefix = "pending";
constexpr std::uint8_t kTxPrefix = 't';
constexpr std::uint8_t kAttestationPrefix = 'a';
constexpr std::size_t kMaxErrorCodeBytes = 64;

// Big-endian, so that the store's bytewise key order is height order.
Bytes height_key(Height height) {
  Bytes key(8);
  for (std::size_t i = 0; i < 8; ++i) key[i] = static_cast<std::uint8_t>(height >> (56 - 8 * i));
  return key;
}

// prefix ‖ id, sized once (GCC 12 misreports bounds on insert() into a small vector).
Bytes prefixed(ByteSpan prefix, const Hash32& id) {
  Bytes key(prefix.size() + id.bytes.size());
  std::copy(prefix.begin(), prefix.end(), key.begin());
  std::copy(id.bytes.begin(), id.bytes.end(), key.begin() + static_cast<std::ptrdiff_t>(prefix.size()));
  return key;
}

std::optional<Height> height_from_key(ByteSpan key) {
  if (key.size() != 8) return std::nullopt;
  Height height = 0;
  for (const std::uint8_t byte : key) height = (height << 8) | byte;
  return height;
}

Bytes pending_key(const Hash32& id) { return prefixed(as_bytes(kPendingPrefix), id); }

Bytes prefixed(std::uint8_t prefix, const Hash32& id) { return prefixed(ByteSpan(&prefix, 1), id); }

Error corrupt(std::string what) { return Error("corrupt", "chain store: " + std::move(what)); }

template <typename T, typename Decode>
Result<std::optional<T>> read(const storage::ReadView& view, Column column, ByteSpan key, Decode decode) {
  auto bytes = view.get(column, key);
  if (!bytes) return bytes.error();
  if (!*bytes) return std::optional<T>();
  auto value = decode(ByteSpan(**bytes));
  if (!value) return corrupt(std::string(storage::column_name(column)) + ": " + value.error().message());
  return std::optional<T>(std::move(*value));
}

Result<ChainTip> decode_tip(ByteSpan bytes) {
  codec::Reader r(bytes);
  ChainTip tip{r.u64("height"), r.fixed<32>("id")};
  BIZRA_TRY(r.finish());
  return tip;
}

Result<Hash32> decode_hash(ByteSpan bytes) {
  codec::Reader r(bytes);
  Hash32 h = r.fixed<32>("hash");
  BIZRA_TRY(r.finish());
  return h;
}

}  // namespace

ChainStore::ChainStore(storage::Store& store, consensus::Block genesis, consensus::WireLimits limits)
    : store_(store), genesis_(std::move(genesis)), limits_(limits) {}

Status ChainStore::put_safety(const consensus::SafetyState& state) {
  storage::WriteBatch batch;
  batch.put(Column::kConsensusSafety, as_bytes(kSafetyKey), consensus::encode(state));
  return store_.write(batch, storage::Durability::kSync);
}

Status ChainStore::put_pending_block(const Block& block) {
  storage::WriteBatch batch;
  Bytes key = pending_key(block.id);
  batch.put(Column::kBlocks, block.id.span(), consensus::encode_block(block));
  batch.put(Column::kMeta, key, height_key(block.header.height));
  BIZRA_TRY(store_.write(batch, storage::Durability::kNoSync));
  if (pending_) pending_->insert_or_assign(std::move(key), block.header.height);
  return ok_status();
}

Status ChainStore::load_pending() {
  if (pending_) return ok_status();
  std::map<Bytes, Height> rows;
  BIZRA_TRY(store_.scan_prefix(Column::kMeta, as_bytes(kPendingPrefix), [&](ByteSpan key, ByteSpan value) {
    rows.insert_or_assign(Bytes(key.begin(), key.end()), height_from_key(value).value_or(0));
    return true;
  }));
  pending_ = std::move(rows);
  return ok_status();
}

Result<consensus::RestoredState> ChainStore::restore() {
  consensus::RestoredState restored;
  auto safety = read<consensus::SafetyState>(store_, Column::kConsensusSafety, as_bytes(kSafetyKey),
                                             [](ByteSpan b) { return consensus::decode_safety_state(b); });
  if (!safety) return safety.error();
  if (*safety) restored.safety = std::move(**safety);
  auto committed = tip();
  if (!committed) return committed.error();
  restored.committed = committed->id;
  BIZRA_TRY(load_pending());
  std::vector<Hash32> pending;
  for (const auto& [key, height] : *pending_) {
    if (key.size() != kPendingPrefix.size() + 32) continue;
    Hash32 id;
    std::copy(key.begin() + static_cast<std::ptrdiff_t>(kPendingPrefix.size()), key.end(), id.bytes.begin());
    pending.push_back(id);
  }
  // The committed tip itself is handed back too: the core links pending blocks to it.
  if (committed->height > 0) pending.push_back(committed->id);
  for (const Hash32& id : pending) {
    auto b = block(id);
    if (!b) return b.error();
    if (!*b) return corrupt("pending block without its block row");
    restored.blocks.push_back(std::move(**b));
  }
  return restored;
}

Result<ChainTip> ChainStore::tip() const {
  auto t = read<ChainTip>(store_, Column::kMeta, as_bytes(kCommittedKey), decode_tip);
  if (!t) return t.error();
  return t->value_or(ChainTip{0, genesis_.id});
}

void ChainStore::stage_commit(storage::WriteBatch& batch, const Block& block, const QuorumCert& qc,
                              const Hash32& state_digest, const Hash32& receipts_digest,
                              const std::vector<TxOutcome>& outcomes) const {
  const Height height = block.header.height;
  batch.put(Column::kBlocks, block.id.span(), consensus::encode_block(block));
  batch.put(Column::kQuorumCerts, block.id.span(), consensus::encode_qc(qc));
  batch.put(Column::kBlockByHeight, height_key(height), block.id.span());
  codec::Writer digests(64);
  digests.fixed(state_digest).fixed(receipts_digest);
  batch.put(Column::kStateDigests, height_key(height), digests.data());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const TxOutcome& o = outcomes[i];
    codec::Writer record(32);
    record.u64(height).u32(static_cast<std::uint32_t>(i)).boolean(o.ok).string(o.error_code);
    batch.put(Column::kTxIndex, prefixed(kTxPrefix, o.tx_id), record.data());
    if (o.attestation_digest) batch.put(Column::kTxIndex, prefixed(kAttestationPrefix, *o.attestation_digest), o.tx_id.span());
  }
  codec::Writer tip(40);
  tip.u64(height).fixed(block.id);
  batch.put(Column::kMeta, as_bytes(kCommittedKey), tip.data());
  batch.erase(Column::kMeta, pending_key(block.id));
}

Status ChainStore::write_commit(const storage::WriteBatch& batch, const Hash32& block_id) {
  BIZRA_TRY(store_.write(batch, storage::Durability::kSync));
  if (pending_) pending_->erase(pending_key(block_id));  // stage_commit erased the row
  return ok_status();
}

Status ChainStore::prune_pending(Height committed_height) {
  BIZRA_TRY(load_pending());
  storage::WriteBatch batch;
  std::vector<Bytes> pruned;
  for (const auto& [key, height] : *pending_) {
    if (height > committed_height) continue;
    batch.erase(Column::kMeta, key);
    if (key.size() == kPendingPrefix.size() + 32) batch.erase(Column::kBlocks, ByteSpan(key).subspan(kPendingPrefix.size()));
    pruned.push_back(key);
  }
  if (batch.empty()) return ok_status();
  BIZRA_TRY(store_.write(batch, storage::Durability::kNoSync));
  for (const Bytes& key : pruned) pending_->erase(key);
  return ok_status();
}

Result<std::optional<Block>> ChainStore::block(const Hash32& id) const {
  if (id == genesis_.id) return std::optional<Block>(genesis_);
  return read<Block>(store_, Column::kBlocks, id.span(), [&](ByteSpan b) { return consensus::decode_block(b, limits_); });
}

Result<std::optional<Block>> ChainStore::block_at(Height height) const {
  if (height == 0) return std::optional<Block>(genesis_);
  auto id = read<Hash32>(store_, Column::kBlockByHeight, height_key(height), decode_hash);
  if (!id) return id.error();
  if (!*id) return std::optional<Block>();
  return block(**id);
}

Result<std::optional<QuorumCert>> ChainStore::qc(const Hash32& id) const {
  return read<QuorumCert>(store_, Column::kQuorumCerts, id.span(), [](ByteSpan b) { return consensus::decode_qc(b); });
}

Result<std::optional<std::pair<Hash32, Hash32>>> ChainStore::digests_at(Height height) const {
  return read<std::pair<Hash32, Hash32>>(
      store_, Column::kStateDigests, height_key(height), [](ByteSpan b) -> Result<std::pair<Hash32, Hash32>> {
        codec::Reader r(b);
        std::pair<Hash32, Hash32> d{r.fixed<32>("state"), r.fixed<32>("receipts")};
        BIZRA_TRY(r.finish());
        return d;
      });
}

Result<std::optional<TxRecord>> ChainStore::transaction(const Hash32& tx_id) const {
  return read<TxRecord>(store_, Column::kTxIndex, prefixed(kTxPrefix, tx_id), [](ByteSpan b) -> Result<TxRecord> {
    codec::Reader r(b);
    TxRecord rec;
    rec.height = r.u64("height");
    rec.index = r.u32("index");
    rec.ok = r.boolean("ok");
    rec.error_code = r.string("error_code", kMaxErrorCodeBytes);
    BIZRA_TRY(r.finish());
    return rec;
  });
}

Result<std::optional<Hash32>> ChainStore::attestation_tx(const Hash32& attestation_digest) const {
  return read<Hash32>(store_, Column::kTxIndex, prefixed(kAttestationPrefix, attestation_digest), decode_hash);
}

}  // namespace bizra::node
