#pragma once
// The exact bytes a validator signs for consensus messages (consensus.md §2). Consensus signs
// and verifies these; equivocation evidence (poi/evidence.hpp) re-verifies them.
//
//   vote     = "BIZRA/vote/v1"     ‖ 0x00 ‖ chain_id ‖ epoch u64 ‖ round u64 ‖ block_id (32 bytes)
//   proposal = "BIZRA/proposal/v1" ‖ 0x00 ‖ chain_id ‖ epoch u64 ‖ round u64 ‖ block_id (32 bytes)
//   timeout  = "BIZRA/timeout/v1"  ‖ 0x00 ‖ chain_id ‖ epoch u64 ‖ round u64 ‖ high_qc_round u64
//
// chain_id is length-prefixed (u32) and integers are little-endian, as in codec/binary.hpp. The
// domain tag and the chain id keep a signature from ever being valid for another purpose or
// another network.

#include <cstdint>
#include <string_view>

#include "base/bytes.hpp"

namespace bizra::poi {

// Values are part of encodings: never renumber.
enum class MessageKind : std::uint8_t { kVote = 1, kProposal = 2, kTimeout = 3 };

inline constexpr std::string_view kVoteDomain = "BIZRA/vote/v1";
inline constexpr std::string_view kProposalDomain = "BIZRA/proposal/v1";
inline constexpr std::string_view kTimeoutDomain = "BIZRA/timeout/v1";

Bytes vote_message(std::string_view chain_id, std::uint64_t epoch, std::uint64_t round, const Hash32& block_id);
Bytes proposal_message(std::string_view chain_id, std::uint64_t epoch, std::uint64_t round,
                       const Hash32& block_id);
Bytes timeout_message(std::string_view chain_id, std::uint64_t epoch, std::uint64_t round,
                      std::uint64_t high_qc_round);

}  // namespace bizra::poi
