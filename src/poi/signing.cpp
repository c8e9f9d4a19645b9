#include "poi/signing.hpp"

#include "codec/binary.hpp"

namespace bizra::poi {
namespace {

codec::Writer signed_prefix(std::string_view domain, std::string_view chain_id, std::uint64_t epoch,
                            std::uint64_t round) {
  codec::Writer w(domain.size() + chain_id.size() + 64);
  w.raw(as_bytes(domain)).u8(0).string(chain_id).u64(epoch).u64(round);
  return w;
}

}  // namespace

Bytes vote_message(std::string_view chain_id, std::uint64_t epoch, std::uint64_t round, const Hash32& block_id) {
  return std::move(signed_prefix(kVoteDomain, chain_id, epoch, round).fixed(block_id)).take();
}

Bytes proposal_message(std::string_view chain_id, std::uint64_t epoch, std::uint64_t round,
                       const Hash32& block_id) {
  return std::move(signed_prefix(kProposalDomain, chain_id, epoch, round).fixed(block_id)).take();
}

Bytes timeout_message(std::string_view chain_id, std::uint64_t epoch, std::uint64_t round,
                      std::uint64_t high_qc_round) {
  return std::move(signed_prefix(kTimeoutDomain, chain_id, epoch, round).u64(high_qc_round)).take();
}

}  // namespace bizra::poi
