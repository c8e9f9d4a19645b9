#include "chain/attestation_check.hpp"

#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "poi/attestation.hpp"

namespace bizra::chain {
namespace {

Result<poi::ValidatedAttestation> check_parsed(const poi::Attestation& doc, std::string_view document,
                                               const Hash32& digest, const poi::ValidationContext& context,
                                               SignatureCheck signature) {
  if (jcs::serialize(doc.json) != document)
    return Error("non_canonical", "attestation document is not in RFC 8785 canonical form");
  auto out = poi::check_rules(doc, context);
  if (!out) return out.error();
  out->digest = digest;
  out->id = hex::encode(digest);
  if (signature == SignatureCheck::kVerify) {
    auto verified = poi::check_signature(doc, out->pubkey, digest);
    if (!verified) return verified.error();
    out->signature = *verified;
  }
  return out;
}

}  // namespace

AttestationVerdict check_attestation(std::string_view document, const poi::ValidationContext& context,
                                     SignatureCheck signature) {
  auto doc = poi::parse(document);
  if (!doc) return {std::nullopt, {}, doc.error()};
  const Hash32 digest = poi::digest_of(poi::canonical_form(doc->json));
  return {hex::encode(digest), doc->attester.id, check_parsed(*doc, document, digest, context, signature)};
}

}  // namespace bizra::chain
