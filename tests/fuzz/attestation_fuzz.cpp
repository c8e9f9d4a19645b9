// Fuzzes the PoI attestation pipeline: parse (rule 1) and validate (rules 2–10) on arbitrary
// bytes, plus the exact-decimal and RFC 3339 readers on the same bytes. Nothing may crash, and
// two invariants must hold: an accepted attestation's id is the digest of its canonical form, and
// every decimal that reads back prints back to the same micro-units.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/hex.hpp"
#include "poi/attestation.hpp"
#include "poi/decimal.hpp"
#include "poi/validate.hpp"

namespace {

// The test vectors' network (docs/test-vectors/poi/context.json), so seeds from there reach the
// deep rules.
const bizra::poi::ValidationContext& context() {
  static const bizra::poi::ValidationContext c = [] {
    bizra::poi::ValidationContext ctx;
    ctx.chain_id = "bizra-devnet";
    ctx.genesis_root =
        bizra::hex::decode_fixed<32>("2423ab3735b3783c134bb22f663d164415baf02b6aed01ffda47b4e76b2d6978").value();
    ctx.now = 1'767'312'000;
    const auto block =
        bizra::hex::decode_fixed<32>("231e235351e35ded336718f0ca2c90a2e5f1230ac067fb696d45708304401ae2").value();
    ctx.is_finalized_block = [block](const bizra::Hash32& b) { return b == block; };
    ctx.nonce_used = [](const bizra::crypto::PublicKey&, std::string_view nonce) {
      return nonce == std::string(64, 'f');
    };
    return ctx;
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto valid = bizra::poi::validate(text, context()); valid.ok()) {
    const auto doc = bizra::poi::parse(text);
    if (!doc.ok() || valid->digest != bizra::poi::digest_of(bizra::poi::canonical_form(doc->json))) std::abort();
  }

  if (size <= 64) {
    if (auto micro = bizra::poi::decimal::to_micro(text); micro.ok()) {
      auto again = bizra::poi::decimal::to_micro(bizra::poi::decimal::format_micro(*micro));
      if (!again.ok() || *again != *micro) std::abort();
    }
    (void)bizra::poi::parse_utc(text);
  }
  return 0;
}
