// Fuzzes the ValidatorOp decoder (poi/validator_op.hpp), which reads register/exit transactions
// from the network. Whatever the bytes: no crash or out-of-bounds read, and any accepted input
// is canonical (re-encodes to exactly the same bytes), so one op has one encoding and one id.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "poi/validator_op.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bizra::ByteSpan input(data, size);
  auto op = bizra::poi::decode_validator_op(input);
  if (!op.ok()) return 0;
  const bizra::Bytes again = bizra::poi::encode(*op);
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();
  (void)bizra::poi::verify_signature(*op);
  return 0;
}
