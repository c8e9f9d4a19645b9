// Fuzzes the equivocation evidence decoder (poi/evidence.hpp), which reads evidence
// transactions from the network. Whatever the bytes: no crash, no out-of-bounds read, and any
// accepted input is canonical (re-encodes to exactly the same bytes), so one piece of evidence
// has one id. Verification must also cope with whatever the decoder accepts.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "poi/evidence.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bizra::ByteSpan input(data, size);
  auto evidence = bizra::poi::decode_evidence(input);
  if (!evidence.ok()) return 0;
  const bizra::Bytes again = bizra::poi::encode(*evidence);
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
  (void)bizra::poi::evidence_id(*evidence);
  (void)bizra::poi::evidence_key(*evidence);
  (void)bizra::poi::verify_evidence(*evidence, "bizra-devnet");
  return 0;
}
