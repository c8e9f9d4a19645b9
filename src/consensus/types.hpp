#pragma once
// Consensus data types and their canonical encodings (docs/consensus.md §1–§2).
//
// Everything here is consensus-critical: integer fields only, canonical binary encodings
// (codec/binary.hpp) with explicit bounds, and block ids computed from the header encoding.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::codec {
class Reader;
class Writer;
}  // namespace bizra::codec

namespace bizra::consensus {

using Epoch = std::uint64_t;
using Round = std::uint64_t;
using Height = std::uint64_t;
using ValidatorIndex = std::uint32_t;  // position in the epoch's ValidatorSet

inline constexpr std::size_t kMaxValidators = 1024;
inline constexpr std::size_t kMaxChainIdBytes = 64;

// A set of validator indexes, encoded as a u32 bit count followed by ceil(n/8) bytes, bit i of
// byte i/8 = validator i (LSB first). Unused high bits must be zero (canonical).
class SignerBitmap {
 public:
  SignerBitmap() = default;
  explicit SignerBitmap(std::size_t validator_count) : bits_(validator_count, false) {}

  std::size_t capacity() const { return bits_.size(); }
  bool test(ValidatorIndex i) const { return i < bits_.size() && bits_[i]; }
  void set(ValidatorIndex i) { bits_.at(i) = true; }
  std::size_t count() const;
  std::vector<ValidatorIndex> indexes() const;  // ascending
  bool operator==(const SignerBitmap&) const = default;

 private:
  friend struct BitmapCodec;
  std::vector<bool> bits_;
};

struct ValidatorInfo {
  crypto::PublicKey key;
  std::uint64_t weight = 0;
};

// The validators of one epoch, ordered by validator id (first 20 bytes of BLAKE3(pubkey)), so
// every node assigns the same index (= bit in signer bitmaps) to the same validator.
class ValidatorSet {
 public:
  // Sorts by id. Errors: "bad_validator_set" (empty, > kMaxValidators, duplicate key, zero
  // weight, total weight overflow).
  static Result<ValidatorSet> create(std::vector<ValidatorInfo> validators);

  std::size_t size() const { return validators_.size(); }
  const ValidatorInfo& at(ValidatorIndex index) const { return validators_[index]; }
  const std::vector<ValidatorInfo>& all() const { return validators_; }
  std::uint64_t total_weight() const { return total_weight_; }
  std::optional<ValidatorIndex> index_of(const crypto::PublicKey& key) const;

  // weight * 10000 >= total * 6667, on 128-bit integers (spec consensus.md §1).
  bool is_quorum(std::uint64_t weight) const;
  // weight * 3 > total: the set holds at least one honest validator (Byzantine weight < 1/3).
  bool exceeds_one_third(std::uint64_t weight) const;
  // Summed weight of the validators in `signers` (whose capacity must be size()).
  std::uint64_t weight_of(const SignerBitmap& signers) const;

  // Weighted round robin by Fibonacci hashing: x = (round + epoch * 2^32) * 0x9E3779B97F4A7C15
  // mod 2^64 (a Weyl sequence over rounds), the leader owns position floor(x * total / 2^64) on
  // the cumulative weight line. Deterministic from (epoch, round); weight-proportional over many
  // rounds. (Reducing `round * C mod total` instead is not: C is divisible by 5, so with
  // total = 10 only two validators would ever lead.)
  ValidatorIndex leader(Epoch epoch, Round round) const;

 private:
  std::vector<ValidatorInfo> validators_;
  std::vector<std::uint64_t> cumulative_;  // cumulative_[i] = weight of validators 0..i
  std::uint64_t total_weight_ = 0;
};

// Votes of a quorum for one block. Signatures are in ascending signer-index order.
// The genesis QC (round 0, the genesis block, no signers) is valid by definition.
struct QuorumCert {
  Epoch epoch = 0;
  Round round = 0;
  Hash32 block_id;
  SignerBitmap signers;
  std::vector<crypto::Signature> signatures;

  bool is_genesis() const { return round == 0; }
  bool operator==(const QuorumCert&) const = default;
};

// Timeouts of a quorum for one round; high_qc_rounds[i] belongs to the i-th signer in index
// order (each signature covers its own high_qc_round).
struct TimeoutCert {
  Epoch epoch = 0;
  Round round = 0;
  SignerBitmap signers;
  std::vector<Round> high_qc_rounds;
  std::vector<crypto::Signature> signatures;

  Round max_high_qc_round() const;
  bool operator==(const TimeoutCert&) const = default;
};

// The QC of the genesis block: round 0, no signers; valid only for the genesis block itself.
QuorumCert genesis_qc(Epoch epoch, const Hash32& genesis_id);

struct BlockHeader {
  Epoch epoch = 0;
  Round round = 0;
  Height height = 0;
  Hash32 parent_id;
  QuorumCert qc;  // certifies the parent: qc.block_id == parent_id, qc.round < round
  ValidatorIndex proposer = 0;
  std::uint64_t timestamp_ms = 0;
  Hash32 payload_digest;  // BLAKE3-256 of the payload bytes
};

struct Block {
  BlockHeader header;
  Hash32 id;  // BLAKE3-256(encode(header)); recomputed and checked on decode
  Bytes payload;
  crypto::Signature proposer_signature;  // over poi::proposal_message(chain, epoch, round, id)
};

// The genesis block of `epoch`: round 0, height 0, zero parent, empty payload, unsigned.
Block make_genesis(Epoch epoch, std::uint64_t timestamp_ms);

// --- wire messages ------------------------------------------------------------------------
struct ProposalMsg {
  Block block;
  std::optional<TimeoutCert> last_round_tc;  // present when the previous round ended by timeout
};

struct VoteMsg {
  Epoch epoch = 0;
  Round round = 0;
  Hash32 block_id;
  ValidatorIndex voter = 0;
  crypto::Signature signature;  // over poi::vote_message(chain, epoch, round, block_id)
};

struct TimeoutMsg {
  Epoch epoch = 0;
  Round round = 0;
  QuorumCert high_qc;  // the sender's highest QC; the signature covers high_qc.round
  std::optional<TimeoutCert> last_round_tc;
  ValidatorIndex sender = 0;
  crypto::Signature signature;  // over poi::timeout_message(chain, epoch, round, high_qc.round)
};

// Block sync: ask a peer for a block (and ancestors) by id; the answer carries blocks with the
// QC that certifies the newest one.
struct BlockRequest {
  Hash32 block_id;
  std::uint32_t max_blocks = 1;
};
struct BlockResponse {
  std::vector<Block> blocks;  // newest first, each the parent of the previous
};

using Message = std::variant<ProposalMsg, VoteMsg, TimeoutMsg, BlockRequest, BlockResponse>;

// Limits on decoding (from genesis): a message larger than these is refused before allocation.
struct WireLimits {
  std::size_t max_payload_bytes = 4 << 20;
  std::size_t max_blocks_per_response = 64;
};

Bytes encode_header(const BlockHeader& header);
Hash32 compute_block_id(const BlockHeader& header);
Hash32 payload_digest(ByteSpan payload);  // BLAKE3-256 of the payload bytes
Bytes encode(const Message& message);
// Strict: complete input, bounded lengths, canonical bitmaps (no bits set past the bit count),
// signature and high_qc_rounds counts equal to the signer count, block id recomputed.
// Errors: codec::Reader's codes ("truncated", "too_long", "trailing_bytes"), "bad_value"
// (unknown tag, bool not 0/1, max_blocks out of range), "bad_bitmap", "bad_block_id".
Result<Message> decode_message(ByteSpan bytes, const WireLimits& limits);

// One block / one QC on its own (what a node stores), in the encodings messages use.
// decode_block errors: as decode_message's; decode_qc: codec::Reader's codes, "bad_bitmap".
Bytes encode_block(const Block& block);
Result<Block> decode_block(ByteSpan bytes, const WireLimits& limits);
Bytes encode_qc(const QuorumCert& qc);
Result<QuorumCert> decode_qc(ByteSpan bytes);

// Pieces of the message encoding, shared with the persisted safety state (safety.hpp).
namespace codec_detail {
void write_qc(codec::Writer& w, const QuorumCert& qc);
QuorumCert read_qc(codec::Reader& r);
void write_tc(codec::Writer& w, const TimeoutCert& tc);
TimeoutCert read_tc(codec::Reader& r);
}  // namespace codec_detail

}  // namespace bizra::consensus
