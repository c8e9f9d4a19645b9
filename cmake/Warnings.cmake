# Warnings for project code only (third-party headers are SYSTEM includes).
# bizra_warnings is linked PRIVATE by every project target.
option(BIZRA_WERROR "Treat warnings as errors" ON)
add_library(bizra_warnings INTERFACE)
target_compile_options(bizra_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wimplicit-fallthrough
  $<$<BOOL:${BIZRA_WERROR}>:-Werror>)
