#pragma once
// Reading and writing small files (configuration, genesis, documents) safely: reads are bounded
// before anything is allocated for them, writes replace the file atomically (a crash leaves the
// old or the new content, never a mix).

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace bizra {

// The whole file, refused when it holds more than `max_bytes`: a stat check gives the clear
// error for regular files, the capped read covers pipes and files that grow meanwhile.
// Errors: "io_error" (missing, unreadable), "too_large".
Result<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes);

// Writes `contents` to a temporary file beside `path`, fsyncs it, renames it over `path` and
// fsyncs the directory. Errors: "io_error".
Status write_file_atomic(const std::filesystem::path& path, std::string_view contents);

}  // namespace bizra
