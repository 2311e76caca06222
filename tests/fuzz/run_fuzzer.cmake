# Runs one libFuzzer harness for a while (the `fuzzquick` and `fuzz` CTest tests, register.cmake):
#   cmake -DFUZZER=<fuzz_x> -DNAME=<x> -DSECONDS=<n> -DSEEDS=<tests/fuzz/corpus/x> -DWORK=<dir> -P run_fuzzer.cmake
# The inputs it finds go to <WORK>/corpus/<x> (kept between runs, so later runs start further
# on), crash reproducers to <WORK>/artifacts/<x>/. The seed corpus in the source tree is only read.
foreach(var FUZZER NAME SECONDS SEEDS WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake needs -D${var}=...")
  endif()
endforeach()
set(corpus ${WORK}/corpus/${NAME})
set(artifacts ${WORK}/artifacts/${NAME})
file(MAKE_DIRECTORY ${corpus} ${artifacts})
# -timeout: no input may take 10 s (a hang is a finding); -rss_limit_mb: nor 2 GiB, which a
# camera's bytes must never make the daemon allocate.
execute_process(COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                        -artifact_prefix=${artifacts}/ ${corpus} ${SEEDS}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB found ${artifacts}/*)
  message(FATAL_ERROR "fuzz_${NAME} failed (${rc}); its reproducers: ${found}\n"
                      "Keep each as tests/fuzz/regressions/${NAME}/<what-it-is>.bin (replayed by the default "
                      "run) and fix the code; README, \"Fuzzing\".")
endif()
