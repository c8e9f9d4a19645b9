#include "consensus/types.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "base/quorum.hpp"
#include "codec/binary.hpp"
#include "crypto/blake3.hpp"
#include "poi/types.hpp"

namespace bizra::consensus {

// ---- SignerBitmap -----------------------------------------------------------------------------

std::size_t SignerBitmap::count() const { return static_cast<std::size_t>(std::count(bits_.begin(), bits_.end(), true)); }

std::vector<ValidatorIndex> SignerBitmap::indexes() const {
  std::vector<ValidatorIndex> out;
  for (std::size_t i = 0; i < bits_.size(); ++i)
    if (bits_[i]) out.push_back(static_cast<ValidatorIndex>(i));
  return out;
}

// Reads and writes the private bits of a SignerBitmap (declared a friend there).
struct BitmapCodec {
  static void write(codec::Writer& w, const SignerBitmap& bitmap) {
    const std::size_t n = bitmap.bits_.size();
    w.count(n);
    for (std::size_t byte = 0; byte < (n + 7) / 8; ++byte) {
      std::uint8_t v = 0;
      for (std::size_t bit = 0; bit < 8 && byte * 8 + bit < n; ++bit)
        if (bitmap.bits_[byte * 8 + bit]) v = static_cast<std::uint8_t>(v | (1u << bit));
      w.u8(v);
    }
  }

  // Rejects set bits past the bit count: otherwise one set of signers would have several
  // encodings, and a block header (hashed into the block id) several ids.
  static SignerBitmap read(codec::Reader& r) {
    const std::size_t n = r.count("signers", kMaxValidators, 0);
    SignerBitmap bitmap(r.ok() ? n : 0);
    for (std::size_t byte = 0; r.ok() && byte < (n + 7) / 8; ++byte) {
      const std::uint8_t v = r.u8("signers");
      for (std::size_t bit = 0; bit < 8; ++bit) {
        if ((v >> bit & 1u) == 0) continue;
        if (byte * 8 + bit >= n) {
          r.fail("bad_bitmap", "signer bitmap has bits set past its bit count " + std::to_string(n));
          break;
        }
        bitmap.bits_[byte * 8 + bit] = true;
      }
    }
    return bitmap;
  }
};

// ---- ValidatorSet -----------------------------------------------------------------------------

namespace {

Error bad_set(std::string message) { return Error("bad_validator_set", std::move(message)); }

}  // namespace

Result<ValidatorSet> ValidatorSet::create(std::vector<ValidatorInfo> validators) {
  if (validators.empty()) return bad_set("no validators");
  if (validators.size() > kMaxValidators)
    return bad_set(std::to_string(validators.size()) + " validators, maximum is " + std::to_string(kMaxValidators));
  std::sort(validators.begin(), validators.end(), [](const ValidatorInfo& a, const ValidatorInfo& b) {
    return std::pair(poi::validator_id_of(a.key), a.key) < std::pair(poi::validator_id_of(b.key), b.key);
  });
  ValidatorSet set;
  std::set<poi::ValidatorId> ids;
  for (const ValidatorInfo& v : validators) {
    // Distinct ids, not only distinct keys: the id names the validator everywhere else.
    if (!ids.insert(poi::validator_id_of(v.key)).second) return bad_set("duplicate validator id");
    if (v.weight == 0) return bad_set("validator with zero weight");
    if (v.weight > std::numeric_limits<std::uint64_t>::max() - set.total_weight_)
      return bad_set("total weight overflows u64");
    set.total_weight_ += v.weight;
    set.cumulative_.push_back(set.total_weight_);
  }
  set.validators_ = std::move(validators);
  return set;
}

std::optional<ValidatorIndex> ValidatorSet::index_of(const crypto::PublicKey& key) const {
  for (std::size_t i = 0; i < validators_.size(); ++i)
    if (validators_[i].key == key) return static_cast<ValidatorIndex>(i);
  return std::nullopt;
}

bool ValidatorSet::is_quorum(std::uint64_t weight) const { return bizra::is_quorum(weight, total_weight_); }

bool ValidatorSet::exceeds_one_third(std::uint64_t weight) const {
  __extension__ typedef unsigned __int128 Wide;
  return static_cast<Wide>(weight) * 3 > static_cast<Wide>(total_weight_);
}

std::uint64_t ValidatorSet::weight_of(const SignerBitmap& signers) const {
  std::uint64_t weight = 0;  // cannot overflow: the total fits in u64 (checked in create)
  for (ValidatorIndex i : signers.indexes())
    if (i < validators_.size()) weight += validators_[i].weight;
  return weight;
}

ValidatorIndex ValidatorSet::leader(Epoch epoch, Round round) const {
  __extension__ typedef unsigned __int128 Wide;
  constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15;  // 2^64 / golden ratio, odd
  const std::uint64_t x = (round + (epoch << 32)) * kGolden;  // wraps mod 2^64 on purpose
  const auto slot = static_cast<std::uint64_t>(static_cast<Wide>(x) * total_weight_ >> 64);
  // The first validator whose cumulative weight exceeds the slot owns it.
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), slot);
  return static_cast<ValidatorIndex>(it - cumulative_.begin());
}

// ---- certificates and blocks ------------------------------------------------------------------

Round TimeoutCert::max_high_qc_round() const {
  return high_qc_rounds.empty() ? 0 : *std::max_element(high_qc_rounds.begin(), high_qc_rounds.end());
}

QuorumCert genesis_qc(Epoch epoch, const Hash32& genesis_id) {
  QuorumCert qc;
  qc.epoch = epoch;
  qc.block_id = genesis_id;
  return qc;
}

Hash32 payload_digest(ByteSpan payload) { return crypto::blake3(payload); }

Block make_genesis(Epoch epoch, std::uint64_t timestamp_ms) {
  Block genesis;
  genesis.header.epoch = epoch;
  genesis.header.qc.epoch = epoch;
  genesis.header.timestamp_ms = timestamp_ms;
  genesis.header.payload_digest = payload_digest({});
  genesis.id = compute_block_id(genesis.header);
  return genesis;
}

// ---- encoding ---------------------------------------------------------------------------------

namespace codec_detail {

void write_qc(codec::Writer& w, const QuorumCert& qc) {
  w.u64(qc.epoch).u64(qc.round).fixed(qc.block_id);
  BitmapCodec::write(w, qc.signers);
  w.count(qc.signatures.size());
  for (const crypto::Signature& s : qc.signatures) w.fixed(s.bytes);
}

namespace {

std::vector<crypto::Signature> read_signatures(codec::Reader& r, const SignerBitmap& signers) {
  const std::size_t n = r.count("signatures", kMaxValidators, crypto::Signature::kSize);
  if (r.ok() && n != signers.count())
    r.fail("bad_bitmap", std::to_string(n) + " signatures for " + std::to_string(signers.count()) + " signers");
  std::vector<crypto::Signature> signatures(r.ok() ? n : 0);
  for (crypto::Signature& s : signatures) s.bytes = r.fixed<crypto::Signature::kSize>("signature");
  return signatures;
}

}  // namespace

QuorumCert read_qc(codec::Reader& r) {
  QuorumCert qc;
  qc.epoch = r.u64("qc.epoch");
  qc.round = r.u64("qc.round");
  qc.block_id = r.fixed<32>("qc.block_id");
  qc.signers = BitmapCodec::read(r);
  qc.signatures = read_signatures(r, qc.signers);
  return qc;
}

void write_tc(codec::Writer& w, const TimeoutCert& tc) {
  w.u64(tc.epoch).u64(tc.round);
  BitmapCodec::write(w, tc.signers);
  w.count(tc.high_qc_rounds.size());
  for (Round round : tc.high_qc_rounds) w.u64(round);
  w.count(tc.signatures.size());
  for (const crypto::Signature& s : tc.signatures) w.fixed(s.bytes);
}

TimeoutCert read_tc(codec::Reader& r) {
  TimeoutCert tc;
  tc.epoch = r.u64("tc.epoch");
  tc.round = r.u64("tc.round");
  tc.signers = BitmapCodec::read(r);
  const std::size_t n = r.count("high_qc_rounds", kMaxValidators, 8);
  if (r.ok() && n != tc.signers.count())
    r.fail("bad_bitmap", std::to_string(n) + " high_qc_rounds for " + std::to_string(tc.signers.count()) + " signers");
  tc.high_qc_rounds.resize(r.ok() ? n : 0);
  for (Round& round : tc.high_qc_rounds) round = r.u64("high_qc_round");
  tc.signatures = read_signatures(r, tc.signers);
  return tc;
}

}  // namespace codec_detail

namespace {

using codec_detail::read_qc;
using codec_detail::read_tc;
using codec_detail::write_qc;
using codec_detail::write_tc;

// Wire tags: part of the encoding, never renumber.
enum class Tag : std::uint8_t { kProposal = 1, kVote = 2, kTimeout = 3, kBlockRequest = 4, kBlockResponse = 5 };

void write_header(codec::Writer& w, const BlockHeader& h) {
  w.u64(h.epoch).u64(h.round).u64(h.height).fixed(h.parent_id);
  write_qc(w, h.qc);
  w.u32(h.proposer).u64(h.timestamp_ms).fixed(h.payload_digest);
}

BlockHeader read_header(codec::Reader& r) {
  BlockHeader h;
  h.epoch = r.u64("epoch");
  h.round = r.u64("round");
  h.height = r.u64("height");
  h.parent_id = r.fixed<32>("parent_id");
  h.qc = read_qc(r);
  h.proposer = r.u32("proposer");
  h.timestamp_ms = r.u64("timestamp_ms");
  h.payload_digest = r.fixed<32>("payload_digest");
  return h;
}

void write_block(codec::Writer& w, const Block& b) {
  write_header(w, b.header);
  w.fixed(b.id).bytes(b.payload).fixed(b.proposer_signature.bytes);
}

// The id travels with the block so that a corrupted header is caught here, by its id, rather
// than later as a "missing parent" of some unrelated block.
Block read_block(codec::Reader& r, const WireLimits& limits) {
  Block b;
  b.header = read_header(r);
  b.id = r.fixed<32>("block_id");
  b.payload = r.bytes("payload", limits.max_payload_bytes);
  b.proposer_signature.bytes = r.fixed<crypto::Signature::kSize>("proposer_signature");
  if (r.ok() && compute_block_id(b.header) != b.id) r.fail("bad_block_id", "block id does not match its header");
  return b;
}

void write_optional_tc(codec::Writer& w, const std::optional<TimeoutCert>& tc) {
  w.boolean(tc.has_value());
  if (tc) write_tc(w, *tc);
}

std::optional<TimeoutCert> read_optional_tc(codec::Reader& r) {
  if (!r.boolean("has_tc") || !r.ok()) return std::nullopt;
  return read_tc(r);
}

struct MessageWriter {
  codec::Writer& w;

  void operator()(const ProposalMsg& m) const {
    w.u8(static_cast<std::uint8_t>(Tag::kProposal));
    write_block(w, m.block);
    write_optional_tc(w, m.last_round_tc);
  }
  void operator()(const VoteMsg& m) const {
    w.u8(static_cast<std::uint8_t>(Tag::kVote)).u64(m.epoch).u64(m.round).fixed(m.block_id);
    w.u32(m.voter).fixed(m.signature.bytes);
  }
  void operator()(const TimeoutMsg& m) const {
    w.u8(static_cast<std::uint8_t>(Tag::kTimeout)).u64(m.epoch).u64(m.round);
    write_qc(w, m.high_qc);
    write_optional_tc(w, m.last_round_tc);
    w.u32(m.sender).fixed(m.signature.bytes);
  }
  void operator()(const BlockRequest& m) const {
    w.u8(static_cast<std::uint8_t>(Tag::kBlockRequest)).fixed(m.block_id).u32(m.max_blocks);
  }
  void operator()(const BlockResponse& m) const {
    w.u8(static_cast<std::uint8_t>(Tag::kBlockResponse)).count(m.blocks.size());
    for (const Block& b : m.blocks) write_block(w, b);
  }
};

ProposalMsg read_proposal(codec::Reader& r, const WireLimits& limits) {
  ProposalMsg m;
  m.block = read_block(r, limits);
  m.last_round_tc = read_optional_tc(r);
  return m;
}

VoteMsg read_vote(codec::Reader& r) {
  VoteMsg m;
  m.epoch = r.u64("epoch");
  m.round = r.u64("round");
  m.block_id = r.fixed<32>("block_id");
  m.voter = r.u32("voter");
  m.signature.bytes = r.fixed<crypto::Signature::kSize>("signature");
  return m;
}

TimeoutMsg read_timeout(codec::Reader& r) {
  TimeoutMsg m;
  m.epoch = r.u64("epoch");
  m.round = r.u64("round");
  m.high_qc = read_qc(r);
  m.last_round_tc = read_optional_tc(r);
  m.sender = r.u32("sender");
  m.signature.bytes = r.fixed<crypto::Signature::kSize>("signature");
  return m;
}

BlockRequest read_block_request(codec::Reader& r, const WireLimits& limits) {
  BlockRequest m;
  m.block_id = r.fixed<32>("block_id");
  m.max_blocks = r.u32("max_blocks");
  if (r.ok() && (m.max_blocks == 0 || m.max_blocks > limits.max_blocks_per_response))
    r.fail("bad_value", "max_blocks " + std::to_string(m.max_blocks) + " out of range");
  return m;
}

// The smallest encoded block: a header with an empty QC, an empty payload, a signature.
constexpr std::size_t kMinBlockBytes = 3 * 8 + 32 + (8 + 8 + 32 + 4 + 4) + 4 + 8 + 32 + 32 + 4 + 64;

BlockResponse read_block_response(codec::Reader& r, const WireLimits& limits) {
  BlockResponse m;
  const std::size_t n = r.count("blocks", limits.max_blocks_per_response, kMinBlockBytes);
  for (std::size_t i = 0; i < n && r.ok(); ++i) m.blocks.push_back(read_block(r, limits));
  return m;
}

Result<Message> read_message(codec::Reader& r, const WireLimits& limits) {
  switch (static_cast<Tag>(r.u8("tag"))) {
    case Tag::kProposal: return Message(read_proposal(r, limits));
    case Tag::kVote: return Message(read_vote(r));
    case Tag::kTimeout: return Message(read_timeout(r));
    case Tag::kBlockRequest: return Message(read_block_request(r, limits));
    case Tag::kBlockResponse: return Message(read_block_response(r, limits));
  }
  BIZRA_TRY(r.status());  // an empty input is "truncated", not an unknown tag
  return Error("bad_value", "unknown consensus message tag");
}

}  // namespace

Bytes encode_header(const BlockHeader& header) {
  codec::Writer w(256);
  write_header(w, header);
  return std::move(w).take();
}

Hash32 compute_block_id(const BlockHeader& header) { return crypto::blake3(encode_header(header)); }

Bytes encode(const Message& message) {
  codec::Writer w(256);
  std::visit(MessageWriter{w}, message);
  return std::move(w).take();
}

Bytes encode_block(const Block& block) {
  codec::Writer w(256 + block.payload.size());
  write_block(w, block);
  return std::move(w).take();
}

Result<Block> decode_block(ByteSpan bytes, const WireLimits& limits) {
  codec::Reader r(bytes);
  Block block = read_block(r, limits);
  BIZRA_TRY(r.finish());
  return block;
}

Bytes encode_qc(const QuorumCert& qc) {
  codec::Writer w(256);
  codec_detail::write_qc(w, qc);
  return std::move(w).take();
}

Result<QuorumCert> decode_qc(ByteSpan bytes) {
  codec::Reader r(bytes);
  QuorumCert qc = codec_detail::read_qc(r);
  BIZRA_TRY(r.finish());
  return qc;
}

Result<Message> decode_message(ByteSpan bytes, const WireLimits& limits) {
  codec::Reader r(bytes);
  Result<Message> message = read_message(r, limits);
  if (!message.ok()) return message;
  BIZRA_TRY(r.finish());
  return message;
}

}  // namespace bizra::consensus
