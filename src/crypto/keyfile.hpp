#pragma once
// Key files: an Ed25519 seed on disk, readable by its owner only.
//
// Format (text, two lines):
//   bizra-ed25519-seed-v1:<64 hex seed>
//   pubkey:ed25519:<64 hex public key>        (checked on load: catches corruption)
// Written with mode 0600 (created exclusively, fsynced, renamed into place); a file that the
// group or others can access in any way is refused on load.

#include <filesystem>

#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::crypto {

// Errors: "exists" (and !overwrite), "io_error".
Status write_key_file(const std::filesystem::path& path, const SecretKey& key, bool overwrite = false);

// Errors: "not_found", "insecure_key_file", "bad_key_file", "io_error".
Result<SecretKey> read_key_file(const std::filesystem::path& path);

}  // namespace bizra::crypto
