#pragma once
// Evidence packs: BLAKE3-256 and SHA-256 of the files a PoI attestation is about, read only from
// under one configured root directory (the Security agent's "security.hash_evidence").
//
// The root is a trust boundary: requests name paths relative to it, and nothing outside it may be
// read, whatever the request or the links inside the tree say:
//   - absolute paths and ".." components are refused before touching the file system;
//   - every path is resolved (std::filesystem::canonical: symlinks followed) and must stay under
//     the canonical root; a symlink that points outside is refused, a symlink loop too;
//   - only regular files and directories are accepted (no devices, FIFOs, sockets); inside a
//     directory walk a symlink to a file is followed (and checked), a symlink to a directory is
//     refused rather than descended (no loops, no file reached twice under two names);
//   - files are opened with O_NOFOLLOW at their resolved path and re-checked with fstat, so a file
//     swapped for a link or a FIFO between the walk and the read is refused.
// Error messages name paths relative to the root, never the root itself (nor an absolute path
// from the request, which may spell it out).
//
// pack_digest = BLAKE3-256 and pack_sha256 = SHA-256 of the RFC 8785 form of the "files" array
// (sorted by path, bytewise), so anyone holding the listed files can recompute both.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/json.hpp"

namespace bizra::ace {

struct EvidenceLimits {
  std::size_t max_input_paths = 256;                   // paths in one request
  std::size_t max_files = 10'000;                      // files in one pack
  std::size_t max_entries = 100'000;                   // directory entries visited (files and dirs)
  std::uint64_t max_file_bytes = 64ULL << 20;          // one file
  std::uint64_t max_total_bytes = 256ULL << 20;        // the whole pack
  std::size_t max_path_bytes = 1024;                   // a relative path, requested or found
  std::size_t chunk_bytes = 64 * 1024;                 // read size; cancellation is polled per chunk
};

struct EvidenceFile {
  std::string path;  // relative to the root, '/'-separated, as requested or found by the walk
  std::uint64_t size = 0;
  Hash32 blake3;
  Hash32 sha256;
};

struct EvidencePack {
  std::vector<EvidenceFile> files;  // sorted by path, no duplicates
  std::uint64_t total_bytes = 0;
  Hash32 pack_digest;  // BLAKE3-256 of jcs(files_json(files))
  Hash32 pack_sha256;  // SHA-256 of the same bytes
};

// Hashes the files named by `paths` (files or directories, recursively) under `root`.
// `cancelled` is polled between files and between chunks.
// Errors: "bad_input" (empty, too long, non-UTF-8 or NUL-bearing path; special file; symlink loop;
// symlink to a directory inside a walk), "path_outside_root" (absolute, "..", or resolving
// outside the root), "not_found", "too_large" (a file, the total, the file or entry count),
// "cancelled", "not_configured" (the root does not exist or is not a directory), "io_error".
Result<EvidencePack> hash_evidence(const std::filesystem::path& root, const std::vector<std::string>& paths,
                                   const EvidenceLimits& limits, const std::function<bool()>& cancelled);

// [{"path","size","blake3","sha256"}, ...] in the pack's order; hex digests.
json::Value evidence_files_json(const std::vector<EvidenceFile>& files);
// {"files": [...], "file_count", "total_bytes", "pack_digest", "pack_sha256"}.
json::Value evidence_pack_json(const EvidencePack& pack);

// SHA-256 of `data` (OpenSSL): what evidence packs and receipt attestations (pack_sha256) carry.
Hash32 sha256(ByteSpan data);

}  // namespace bizra::ace
