// Fuzzes the canonical binary Reader with a decoder that exercises every primitive, driven by
// the input itself: the first byte of each step chooses which field to read next. The reader
// must never crash, read out of bounds or allocate past its limits, whatever the bytes.

#include <cstddef>
#include <cstdint>

#include "codec/binary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bizra::codec::Reader r(bizra::ByteSpan(data, size));
  for (int step = 0; step < 64 && r.ok() && r.remaining() > 0; ++step) {
    switch (r.u8("op") % 9) {
      case 0: r.u16("u16"); break;
      case 1: r.u32("u32"); break;
      case 2: r.u64("u64"); break;
      case 3: r.i64("i64"); break;
      case 4: r.boolean("bool"); break;
      case 5: r.fixed<32>("hash"); break;
      case 6: r.bytes("bytes", 1024); break;
      case 7: r.string("string", 64); break;
      default: {
        const std::size_t n = r.count("list", 16, 8);
        for (std::size_t i = 0; i < n; ++i) r.u64("list[]");
      }
    }
  }
  (void)r.finish();
  return 0;
}
