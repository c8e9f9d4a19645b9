#include "security_fixture.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace bizra::ace::testing {

TempDir::TempDir(std::string_view name) {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("bizra-" + std::string(name) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write(std::string_view relative, std::string_view contents) const {
  const std::filesystem::path file = path_ / relative;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

json::Value parse_json(std::string_view text) {
  auto value = json::parse(text);
  if (!value) {
    std::fprintf(stderr, "bad JSON in a test: %s\n", value.error().to_string().c_str());
    std::abort();
  }
  return std::move(*value);
}

}  // namespace bizra::ace::testing
