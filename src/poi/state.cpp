#include "poi/state.hpp"

#include <algorithm>
#include <utility>

#include "codec/binary.hpp"
#include "crypto/blake3.hpp"

namespace bizra::poi {
namespace {

// The first byte of every state key. Values are part of the on-disk layout: never change one.
enum class Kind : std::uint8_t {
  kEpoch = 'E',
  kAccount = 'a',
  kEvidence = 'e',
  kNonce = 'n',
  kValidator = 'v',
};

codec::Writer key_of(Kind kind) {
  codec::Writer w(64);
  w.u8(static_cast<std::uint8_t>(kind));
  return w;
}

Bytes prefix_of(Kind kind) { return {static_cast<std::uint8_t>(kind)}; }

Bytes account_key(const crypto::PublicKey& pubkey) {
  return std::move(key_of(Kind::kAccount).fixed(pubkey.bytes)).take();
}

Bytes validator_key(const ValidatorId& id) { return std::move(key_of(Kind::kValidator).fixed(id)).take(); }

Bytes nonce_key(NonceDomain domain, const crypto::PublicKey& key, ByteSpan nonce) {
  return std::move(key_of(Kind::kNonce).u8(static_cast<std::uint8_t>(domain)).fixed(key.bytes).raw(nonce)).take();
}

Bytes evidence_key_bytes(const EvidenceKey& key) {
  return std::move(key_of(Kind::kEvidence)
                       .fixed(key.validator)
                       .u64(key.epoch)
                       .u64(key.round)
                       .u8(static_cast<std::uint8_t>(key.kind)))
      .take();
}

Bytes epoch_key() { return prefix_of(Kind::kEpoch); }

// --- record encodings (canonical binary; each record carries its own key fields) -------------

Bytes encode_account(const Account& a) {
  codec::Writer w(96);
  w.fixed(a.pubkey.bytes).u64(a.reputation).u64(a.attestations).u64(a.impact_sum_micro).u64(a.last_epoch);
  w.u64(a.epoch_attestations).u64(a.epoch_impact_sum_micro);
  return std::move(w).take();
}

Result<Account> decode_account(ByteSpan bytes) {
  codec::Reader r(bytes);
  Account a;
  a.pubkey.bytes = r.fixed<crypto::PublicKey::kSize>("pubkey");
  a.reputation = r.u64("reputation");
  a.attestations = r.u64("attestations");
  a.impact_sum_micro = r.u64("impact_sum_micro");
  a.last_epoch = r.u64("last_epoch");
  a.epoch_attestations = r.u64("epoch_attestations");
  a.epoch_impact_sum_micro = r.u64("epoch_impact_sum_micro");
  BIZRA_TRY(r.finish());
  return a;
}

Bytes encode_validator(const ValidatorRecord& v) {
  codec::Writer w(160 + v.network_address.size());
  w.fixed(v.validator_id).fixed(v.pk_ed25519.bytes).string(v.network_address);
  w.u64(v.epoch_join).u64(v.epoch_exit).u8(static_cast<std::uint8_t>(v.status));
  w.u64(v.poi_weight).u64(v.rep_score).u64(v.stake_bond).u64(v.last_seen_slot);
  w.u8(static_cast<std::uint8_t>(v.slash_reason)).u64(v.quarantine_until);
  return std::move(w).take();
}

// An enum stored as u8 whose values are 0..max.
template <typename Enum>
Enum read_enum(codec::Reader& r, std::string_view field, Enum max) {
  const std::uint8_t v = r.u8(field);
  if (v > static_cast<std::uint8_t>(max)) r.fail("bad_value", std::string(field) + " out of range");
  return static_cast<Enum>(v);
}

Result<ValidatorRecord> decode_validator(ByteSpan bytes) {
  codec::Reader r(bytes);
  ValidatorRecord v;
  v.validator_id = r.fixed<ValidatorId::kSize>("validator_id");
  v.pk_ed25519.bytes = r.fixed<crypto::PublicKey::kSize>("pk_ed25519");
  v.network_address = r.string("network_address", kMaxNetworkAddressBytes);
  v.epoch_join = r.u64("epoch_join");
  v.epoch_exit = r.u64("epoch_exit");
  v.status = read_enum(r, "status", ValidatorStatus::kSlashed);
  v.poi_weight = r.u64("poi_weight");
  v.rep_score = r.u64("rep_score");
  v.stake_bond = r.u64("stake_bond");
  v.last_seen_slot = r.u64("last_seen_slot");
  v.slash_reason = read_enum(r, "slash_reason", SlashReason::kKeyTheft);
  v.quarantine_until = r.u64("quarantine_until");
  BIZRA_TRY(r.finish());
  return v;
}

Bytes encode_epoch_info(const EpochInfo& e) {
  codec::Writer w(32);
  w.u64(e.epoch).u64(e.active_at_start).u64(e.activations).u64(e.exits);
  return std::move(w).take();
}

Result<EpochInfo> decode_epoch_info(ByteSpan bytes) {
  codec::Reader r(bytes);
  EpochInfo e;
  e.epoch = r.u64("epoch");
  e.active_at_start = r.u64("active_at_start");
  e.activations = r.u64("activations");
  e.exits = r.u64("exits");
  BIZRA_TRY(r.finish());
  return e;
}

bool starts_with(ByteSpan key, ByteSpan prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

bool less(ByteSpan a, ByteSpan b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace

Bytes encode_change_set(const ChangeSet& changes) {
  codec::Writer w;
  w.count(changes.size());
  for (const auto& [key, value] : changes) w.bytes(key).bytes(value);
  return std::move(w).take();
}

Hash32 next_state_digest(const Hash32& previous, const ChangeSet& changes) {
  crypto::Blake3 hasher;
  hasher.update(previous.span()).update(encode_change_set(changes));
  return hasher.finalize();
}

// --- KvState ----------------------------------------------------------------------------------

void KvState::fail(const Error& error) const {
  if (!error_) error_ = error;
}

Status KvState::status() const {
  if (error_) return *error_;
  return ok_status();
}

std::optional<Bytes> KvState::read(ByteSpan key) const {
  if (const auto it = pending_.find(Bytes(key.begin(), key.end())); it != pending_.end()) return it->second;
  auto committed = read_committed(key);
  if (!committed) {
    fail(committed.error());
    return std::nullopt;
  }
  return std::move(*committed);
}

// Merges the committed entries with the pending writes (which win), in key order. The pending
// cursor is advanced before each visit, so a visitor that rewrites the entry it is given
// (updating or inserting that key in pending_) neither invalidates the cursor nor is revisited.
void KvState::scan(ByteSpan prefix, const EntryVisitor& visit) const {
  auto pending = pending_.lower_bound(Bytes(prefix.begin(), prefix.end()));
  const auto pending_in_range = [&] { return pending != pending_.end() && starts_with(pending->first, prefix); };
  const auto visit_pending = [&] {
    const auto entry = pending++;
    visit(entry->first, entry->second);
  };
  const Status scanned = scan_committed(prefix, [&](ByteSpan key, ByteSpan value) {
    while (pending_in_range() && less(pending->first, key)) visit_pending();
    if (pending_in_range() && std::ranges::equal(pending->first, key)) {
      visit_pending();  // overrides the committed value
    } else {
      visit(key, value);
    }
  });
  if (!scanned.ok()) fail(scanned.error());
  while (pending_in_range()) visit_pending();
}

namespace {

Error corrupt(std::string_view what, const Error& error) {
  return Error("corrupt_state", std::string(what) + " record: " + error.to_string());
}

}  // namespace

template <typename T>
std::optional<T> KvState::read_record(ByteSpan key, Result<T> (*decode)(ByteSpan), std::string_view what) const {
  const auto raw = read(key);
  if (!raw) return std::nullopt;
  auto record = decode(*raw);
  if (!record) {
    fail(corrupt(what, record.error()));
    return std::nullopt;
  }
  return std::move(*record);
}

template <typename T>
void KvState::scan_records(ByteSpan prefix, Result<T> (*decode)(ByteSpan), std::string_view what,
                           const std::function<void(const T&)>& visit) const {
  scan(prefix, [&](ByteSpan, ByteSpan value) {
    if (auto record = decode(value)) {
      visit(*record);
    } else {
      fail(corrupt(what, record.error()));
    }
  });
}

std::optional<Account> KvState::account(const crypto::PublicKey& pubkey) const {
  return read_record(account_key(pubkey), decode_account, "account");
}

void KvState::put_account(const Account& account) {
  pending_.insert_or_assign(account_key(account.pubkey), encode_account(account));
}

void KvState::for_each_account(const std::function<void(const Account&)>& visit) const {
  scan_records(prefix_of(Kind::kAccount), decode_account, "account", visit);
}

std::optional<ValidatorRecord> KvState::validator(const ValidatorId& id) const {
  return read_record(validator_key(id), decode_validator, "validator");
}

void KvState::put_validator(const ValidatorRecord& record) {
  pending_.insert_or_assign(validator_key(record.validator_id), encode_validator(record));
}

void KvState::for_each_validator(const std::function<void(const ValidatorRecord&)>& visit) const {
  scan_records(prefix_of(Kind::kValidator), decode_validator, "validator", visit);
}

bool KvState::nonce_seen(NonceDomain domain, const crypto::PublicKey& key, ByteSpan nonce) const {
  return read(nonce_key(domain, key, nonce)).has_value();
}

void KvState::mark_nonce_seen(NonceDomain domain, const crypto::PublicKey& key, ByteSpan nonce) {
  pending_.insert_or_assign(nonce_key(domain, key, nonce), Bytes{});
}

bool KvState::evidence_seen(const EvidenceKey& key) const {
  return read(evidence_key_bytes(key)).has_value();
}

void KvState::mark_evidence_seen(const EvidenceKey& key, const Hash32& evidence_id) {
  pending_.insert_or_assign(evidence_key_bytes(key), Bytes(evidence_id.bytes.begin(), evidence_id.bytes.end()));
}

EpochInfo KvState::epoch_info() const {
  return read_record(epoch_key(), decode_epoch_info, "epoch").value_or(EpochInfo{});
}

void KvState::put_epoch_info(const EpochInfo& info) {
  pending_.insert_or_assign(epoch_key(), encode_epoch_info(info));
}

Result<Bytes> KvState::dump() const {
  codec::Writer w;
  scan({}, [&](ByteSpan key, ByteSpan value) { w.bytes(key).bytes(value); });
  BIZRA_TRY(status());
  return std::move(w).take();
}

Result<ChangeSet> KvState::take_pending() {
  BIZRA_TRY(status());
  return std::exchange(pending_, {});
}

// --- MemoryState ------------------------------------------------------------------------------

Result<ChangeSet> MemoryState::commit() {
  auto changes = take_pending();
  if (!changes) return changes;
  for (const auto& [key, value] : *changes) committed_.insert_or_assign(key, value);
  return changes;
}

Result<std::optional<Bytes>> MemoryState::read_committed(ByteSpan key) const {
  const auto it = committed_.find(Bytes(key.begin(), key.end()));
  if (it == committed_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

Status MemoryState::scan_committed(ByteSpan prefix, const EntryVisitor& visit) const {
  for (auto it = committed_.lower_bound(Bytes(prefix.begin(), prefix.end()));
       it != committed_.end() && starts_with(it->first, prefix); ++it) {
    visit(it->first, it->second);
  }
  return ok_status();
}

}  // namespace bizra::poi
