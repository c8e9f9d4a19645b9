#pragma once
// Internal to bizra_chain: the attestation checks that admission (check.cpp) and execution
// (execute.cpp) share, so that both apply exactly the same rules in the same order.

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "poi/validate.hpp"

namespace bizra::chain {

struct AttestationVerdict {
  std::optional<std::string> attestation_id;  // hex digest, known once the document parses
  std::string attester_id;                    // attester.id as written, once it parses; else empty
  Result<poi::ValidatedAttestation> result;
};

enum class SignatureCheck : bool { kVerify, kAlreadyVerified };

// Rule 1 (poi::parse), then "non_canonical" unless `document` is exactly the RFC 8785 form of
// itself, then rules 2–9 (poi::check_rules) and rule 10 (poi::check_signature) unless the caller
// knows these bytes verified already. The result's `signature` is left zero in that case.
AttestationVerdict check_attestation(std::string_view document, const poi::ValidationContext& context,
                                     SignatureCheck signature);

}  // namespace bizra::chain
