#pragma once
// The Proof-of-Impact state: accounts, validators, seen nonces, applied evidence and the epoch
// counters, behind one small interface that the transitions (poi/transition.hpp) use and
// nothing else.
//
// Implementations record every write in an ordered change set: key -> final value within the
// block, in bytewise key order. After each block a node folds that change set into its state
// digest,
//   digest_n = BLAKE3-256(digest_{n-1} ‖ encode_change_set(changes of block n)),
// so two nodes compare one 32-byte value per height. Because the change set is the block's net
// effect in key order, reordering independent operations within a block leaves the digest
// unchanged; operations that interact (e.g. an account's 11th attestation of an epoch, which
// earns no reputation) can change it, exactly when they change the resulting state.
//
// Reads go through a sticky error, like codec::Reader: a storage failure or an undecodable
// record makes the read return "absent" and is kept as status(); committing a state whose
// status is not ok fails, so a block executed on bad reads is never written. Transitions can
// therefore read without error plumbing; the executor checks status() once per block.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"
#include "poi/evidence.hpp"
#include "poi/types.hpp"

namespace bizra::poi {

// Nonces of different transaction kinds live in separate spaces.
enum class NonceDomain : std::uint8_t { kAttestation = 1, kValidatorOp = 2 };

// A block's state changes: full state key -> new value, in bytewise key order.
using ChangeSet = std::map<Bytes, Bytes>;

// u32 count ‖ (key with u32 length ‖ value with u32 length)...
Bytes encode_change_set(const ChangeSet& changes);
Hash32 next_state_digest(const Hash32& previous, const ChangeSet& changes);

class State {
 public:
  virtual ~State() = default;

  virtual std::optional<Account> account(const crypto::PublicKey& pubkey) const = 0;
  virtual void put_account(const Account& account) = 0;
  // Visits every account in pubkey order. `visit` may put_account() the account it is given,
  // and must not write other accounts.
  virtual void for_each_account(const std::function<void(const Account&)>& visit) const = 0;

  virtual std::optional<ValidatorRecord> validator(const ValidatorId& id) const = 0;
  virtual void put_validator(const ValidatorRecord& record) = 0;
  // Visits every validator in id order (same contract as for_each_account).
  virtual void for_each_validator(const std::function<void(const ValidatorRecord&)>& visit) const = 0;

  virtual bool nonce_seen(NonceDomain domain, const crypto::PublicKey& key, ByteSpan nonce) const = 0;
  virtual void mark_nonce_seen(NonceDomain domain, const crypto::PublicKey& key, ByteSpan nonce) = 0;

  virtual bool evidence_seen(const EvidenceKey& key) const = 0;
  virtual void mark_evidence_seen(const EvidenceKey& key, const Hash32& evidence_id) = 0;

  // The current epoch and its counters (all zero before genesis).
  virtual EpochInfo epoch_info() const = 0;
  virtual void put_epoch_info(const EpochInfo& info) = 0;

  // The first read failure ("corrupt_state" or the store's error), or ok.
  virtual Status status() const = 0;
};

// The State over an ordered key-value space ("kind byte ‖ key" -> canonical record), with the
// pending writes of the current block layered over the committed data. Subclasses supply the
// committed data.
class KvState : public State {
 public:
  std::optional<Account> account(const crypto::PublicKey& pubkey) const override;
  void put_account(const Account& account) override;
  void for_each_account(const std::function<void(const Account&)>& visit) const override;
  std::optional<ValidatorRecord> validator(const ValidatorId& id) const override;
  void put_validator(const ValidatorRecord& record) override;
  void for_each_validator(const std::function<void(const ValidatorRecord&)>& visit) const override;
  bool nonce_seen(NonceDomain domain, const crypto::PublicKey& key, ByteSpan nonce) const override;
  void mark_nonce_seen(NonceDomain domain, const crypto::PublicKey& key, ByteSpan nonce) override;
  bool evidence_seen(const EvidenceKey& key) const override;
  void mark_evidence_seen(const EvidenceKey& key, const Hash32& evidence_id) override;
  EpochInfo epoch_info() const override;
  void put_epoch_info(const EpochInfo& info) override;
  Status status() const override;

  // The changes not yet committed.
  const ChangeSet& pending() const { return pending_; }

  // Every entry (committed, with pending writes applied) in key order, each as a u32-length
  // key and value: two states hold the same data exactly when their dumps are equal.
  Result<Bytes> dump() const;

 protected:
  using EntryVisitor = std::function<void(ByteSpan key, ByteSpan value)>;

  // nullopt when absent; an error is kept as the sticky status.
  virtual Result<std::optional<Bytes>> read_committed(ByteSpan key) const = 0;
  // Visits the committed entries whose key starts with `prefix`, in key order.
  virtual Status scan_committed(ByteSpan prefix, const EntryVisitor& visit) const = 0;

  // Hands over the pending changes (the block's change set) and starts an empty one; fails with
  // the sticky error, keeping the pending changes, when a read went wrong.
  Result<ChangeSet> take_pending();

 private:
  std::optional<Bytes> read(ByteSpan key) const;
  void scan(ByteSpan prefix, const EntryVisitor& visit) const;
  // Typed reads: an undecodable record is reported as "corrupt_state" and read as absent.
  template <typename T>
  std::optional<T> read_record(ByteSpan key, Result<T> (*decode)(ByteSpan), std::string_view what) const;
  template <typename T>
  void scan_records(ByteSpan prefix, Result<T> (*decode)(ByteSpan), std::string_view what,
                    const std::function<void(const T&)>& visit) const;
  void fail(const Error& error) const;

  ChangeSet pending_;
  mutable std::optional<Error> error_;  // sticky: the first failed read
};

// The whole state in memory (ordered std::map): tests and the deterministic simulator.
class MemoryState final : public KvState {
 public:
  // Folds the pending changes into the state and returns them (the block's change set).
  Result<ChangeSet> commit();

 private:
  Result<std::optional<Bytes>> read_committed(ByteSpan key) const override;
  Status scan_committed(ByteSpan prefix, const EntryVisitor& visit) const override;

  std::map<Bytes, Bytes> committed_;
};

}  // namespace bizra::poi
