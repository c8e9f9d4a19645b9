# Warnings for project code only (third-party headers are SYSTEM includes).
# bizra_warnings is linked PRIVATE by every project target.
option(BIZRA_WERROR "Treat warnings as errors" ON)
add_library(bizra_warnings INTERFACE)
target_compile_options(bizra_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wimplicit-fallthrough
  $<$<BOOL:${BIZRA_WERROR}>:-Werror>)

# GCC 12 at -O3 reports -Wrestrict / -Wstringop-overread inside libstdc++'s own std::string code
# (GCC bugs 105329 and 105651, fixed in GCC 13): false positives that no change on our side can
# silence. Only those two are switched off, only for GCC 12.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(bizra_warnings INTERFACE -Wno-restrict -Wno-stringop-overread)
endif()
