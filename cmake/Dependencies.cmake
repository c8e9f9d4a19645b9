# Every dependency is a Debian 12 package (installed by scripts/setup.sh).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
find_package(OpenSSL 3 REQUIRED)
find_package(simdjson REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(Threads REQUIRED)

if(NOT BIZRA_FUZZ)
  find_package(CLI11 REQUIRED)
  find_package(tomlplusplus REQUIRED)
  find_package(Boost 1.81 REQUIRED)
  find_package(RocksDB REQUIRED)
  if(BIZRA_BUILD_TESTS)
    find_package(GTest REQUIRED)
  endif()
  if(BIZRA_BUILD_BENCH)
    find_package(benchmark REQUIRED)
  endif()
endif()

# bizra_use_asio(TARGET SCOPE): a target that includes Boost.Asio/Beast gets Boost's headers, and
# under GCC 12+ loses -Wtsan: with -fsanitize=thread GCC errors on the atomic_thread_fence inside
# Asio's handler invocation, which ThreadSanitizer does not model — Asio's real synchronization
# (its schedulers' and strands' mutexes) is visible to TSan, and the TSan suite runs clean.
# SCOPE is PUBLIC when the target's headers expose Asio (users inline the same code).
function(bizra_use_asio target scope)
  if(TARGET Boost::headers)
    target_link_libraries(${target} ${scope} Boost::headers)
  else()
    target_include_directories(${target} SYSTEM ${scope} ${Boost_INCLUDE_DIRS})
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
    target_compile_options(${target} ${scope} -Wno-tsan)
  endif()
endfunction()
