# Builds the official BLAKE3 C implementation as a static library from the sources Debian ships
# in librust-blake3-dev. Nothing is downloaded or copied into this repository.
#
# On x86-64 Unix the hand-written SSE2/SSE4.1/AVX2/AVX-512 assembly is compiled in and
# blake3_dispatch.c picks the widest one the CPU supports at run time; elsewhere the portable C
# code is used (plus NEON on AArch64).

set(BIZRA_BLAKE3_SOURCE_DIR "" CACHE PATH "Directory holding blake3.c (default: Debian's librust-blake3-dev)")
if(NOT BIZRA_BLAKE3_SOURCE_DIR)
  file(GLOB _blake3_dirs LIST_DIRECTORIES true "/usr/share/cargo/registry/blake3-*/c")
  list(SORT _blake3_dirs COMPARE NATURAL ORDER DESCENDING)
  list(GET _blake3_dirs 0 _blake3_dir)
  set(BIZRA_BLAKE3_SOURCE_DIR "${_blake3_dir}" CACHE PATH "" FORCE)
endif()
if(NOT EXISTS "${BIZRA_BLAKE3_SOURCE_DIR}/blake3.c")
  message(FATAL_ERROR "BLAKE3 C sources not found (install librust-blake3-dev: scripts/setup.sh)")
endif()
message(STATUS "BLAKE3 C sources: ${BIZRA_BLAKE3_SOURCE_DIR}")

set(_b3 "${BIZRA_BLAKE3_SOURCE_DIR}")
add_library(blake3 STATIC "${_b3}/blake3.c" "${_b3}/blake3_dispatch.c" "${_b3}/blake3_portable.c")
target_include_directories(blake3 SYSTEM PUBLIC "${_b3}")
set_target_properties(blake3 PROPERTIES C_STANDARD 11 POSITION_INDEPENDENT_CODE ON)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND UNIX)
  enable_language(ASM)
  target_sources(blake3 PRIVATE
    "${_b3}/blake3_sse2_x86-64_unix.S"
    "${_b3}/blake3_sse41_x86-64_unix.S"
    "${_b3}/blake3_avx2_x86-64_unix.S"
    "${_b3}/blake3_avx512_x86-64_unix.S")
  # The assembly needs no executable stack.
  target_compile_options(blake3 PRIVATE $<$<COMPILE_LANGUAGE:ASM>:-Wa,--noexecstack>)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  target_sources(blake3 PRIVATE "${_b3}/blake3_neon.c")
  target_compile_definitions(blake3 PRIVATE BLAKE3_USE_NEON=1)
else()
  target_compile_definitions(blake3 PRIVATE BLAKE3_NO_SSE2 BLAKE3_NO_SSE41 BLAKE3_NO_AVX2 BLAKE3_NO_AVX512)
endif()
