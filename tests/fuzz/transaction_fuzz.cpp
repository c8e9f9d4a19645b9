// Fuzzes the chain codecs that read network input (chain/transaction.hpp, chain/execute.hpp):
// transactions from the API and gossip, block payloads from proposals, stored receipts.
// Whatever the bytes: no crash or out-of-bounds read, and every accepted input is canonical:
// decode(encode(decode(x))) == decode(x), and since decoding is strict, encode(decode(x)) == x
// (one transaction, one encoding, one id).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "chain/execute.hpp"
#include "chain/transaction.hpp"

namespace {

using bizra::Bytes;
using bizra::ByteSpan;

bool same(const Bytes& a, ByteSpan b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

void transaction_round_trip(ByteSpan input) {
  auto tx = bizra::chain::decode_transaction(input);
  if (!tx.ok()) return;
  const Bytes encoded = bizra::chain::encode(*tx);
  auto again = bizra::chain::decode_transaction(encoded);
  if (!again.ok() || again->index() != tx->index() || bizra::chain::encode(*again) != encoded) std::abort();
  if (!same(encoded, input)) std::abort();
}

void payload_round_trip(ByteSpan input) {
  bizra::chain::ChainParams params;
  params.max_block_transactions = 10'000;
  params.max_block_payload_bytes = 4 << 20;
  auto transactions = bizra::chain::decode_payload(input, params);
  if (!transactions.ok()) return;
  const Bytes encoded = bizra::chain::encode_payload(*transactions);
  auto again = bizra::chain::decode_payload(encoded, params);
  if (!again.ok() || *again != *transactions || !same(encoded, input)) std::abort();
  for (const Bytes& tx : *transactions) transaction_round_trip(tx);
}

void receipt_round_trip(ByteSpan input) {
  auto receipt = bizra::chain::decode_receipt(input);
  if (!receipt.ok()) return;
  const Bytes encoded = bizra::chain::encode_receipt(*receipt);
  auto again = bizra::chain::decode_receipt(encoded);
  if (!again.ok() || *again != *receipt || !same(encoded, input)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan input(data, size);
  transaction_round_trip(input);
  payload_round_trip(input);
  receipt_round_trip(input);
  return 0;
}
