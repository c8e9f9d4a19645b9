# The command line a run prints reproduces it exactly: run a randomized scenario, rerun it from
# the flags it reports, and compare the trace hashes. Usage: cmake -DNODE0=<path> -P reproduce.cmake
foreach(seed 3 17)
  execute_process(COMMAND ${NODE0} sim --seed ${seed} --validators 7 --byzantine 2 --fault equivocate,garbage
                          --random-faults --json
                  OUTPUT_VARIABLE first RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "node0 sim (seed ${seed}) failed: ${rc}")
  endif()
  string(JSON flags GET "${first}" flags)
  string(JSON first_hash GET "${first}" trace_hash)
  separate_arguments(args UNIX_COMMAND "${flags}")
  execute_process(COMMAND ${NODE0} sim ${args} --json OUTPUT_VARIABLE second RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "node0 sim ${flags} failed: ${rc}")
  endif()
  string(JSON second_hash GET "${second}" trace_hash)
  if(NOT first_hash STREQUAL second_hash)
    message(FATAL_ERROR "seed ${seed}: the printed flags gave trace ${second_hash}, the run ${first_hash}\n${flags}")
  endif()
endforeach()
