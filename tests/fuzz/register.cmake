# Included from tests/CMakeLists.txt when CAREKEEP_FUZZ is on: builds tests/fuzz (a clang project
# of its own, see its CMakeLists.txt) as an ExternalProject of this build, and registers
#   fuzzquick       each harness for CAREKEEP_FUZZ_QUICK_SECONDS from its seed corpus (default run)
#   fuzzregression  each file of regressions/<harness>/ replayed once (default run)
#   fuzz            each harness for CAREKEEP_FUZZ_SECONDS (excluded from the default run, like
#                   soak: ctest --test-dir build/ci -L '^fuzz$')
# docs/recording.md, "Fuzzing", has the reasons and the measured cost.
include(ExternalProject)
include(${CMAKE_CURRENT_LIST_DIR}/harnesses.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/open_crashes.cmake)

set(CAREKEEP_FUZZ_QUICK_SECONDS 5 CACHE STRING "Seconds each harness fuzzes in the default test run")
set(CAREKEEP_FUZZ_SECONDS 600 CACHE STRING "Seconds each harness fuzzes under the fuzz label")
# The harness build runs its own ninja, which does not share this build's job slots: one job
# there beside this build's -j2 keeps a 2-core CI machine at two compilers, not four.
set(CAREKEEP_FUZZ_BUILD_JOBS 1 CACHE STRING "Parallel jobs of the harness build (tests/fuzz)")
find_program(CAREKEEP_FUZZ_CXX NAMES clang++ clang++-14)
find_program(CAREKEEP_FUZZ_CC NAMES clang clang-14)
if(NOT CAREKEEP_FUZZ_CXX OR NOT CAREKEEP_FUZZ_CC)
  message(FATAL_ERROR "the fuzz harnesses need clang with libFuzzer: run tools/install-deps.sh "
                      "(packages clang, libclang-rt-14-dev), or configure with -DCAREKEEP_FUZZ=OFF")
endif()

set(fuzz_dir ${PROJECT_BINARY_DIR}/fuzz)
ExternalProject_Add(carekeep_fuzz
  SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}
  BINARY_DIR ${fuzz_dir}/build
  CMAKE_ARGS -DCMAKE_C_COMPILER=${CAREKEEP_FUZZ_CC} -DCMAKE_CXX_COMPILER=${CAREKEEP_FUZZ_CXX}
             -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
             -DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER}
  BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> -j ${CAREKEEP_FUZZ_BUILD_JOBS}
  # The harness build follows its own sources (lib/ and tests/fuzz): asking it every time is
  # how edits to lib/ reach the harnesses, and costs a no-op ninja run when nothing changed.
  BUILD_ALWAYS ON
  INSTALL_COMMAND "")

set(fuzz_env "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" "ASAN_OPTIONS=detect_leaks=1")
foreach(name IN LISTS CAREKEEP_FUZZ_HARNESSES)
  set(fuzzer ${fuzz_dir}/build/fuzz_${name})
  set(run ${CMAKE_COMMAND} -DFUZZER=${fuzzer} -DNAME=${name} -DSEEDS=${CMAKE_CURRENT_LIST_DIR}/corpus/${name}
          -DWORK=${fuzz_dir})
  set(script -P ${CMAKE_CURRENT_LIST_DIR}/run_fuzzer.cmake)  # after every -D
  add_test(NAME "fuzz quick ${name}" COMMAND ${run} -DSECONDS=${CAREKEEP_FUZZ_QUICK_SECONDS} ${script})
  set_tests_properties("fuzz quick ${name}" PROPERTIES LABELS fuzzquick ENVIRONMENT "${fuzz_env}")
  if(name IN_LIST CAREKEEP_FUZZ_QUICK_DISABLED)
    set_tests_properties("fuzz quick ${name}" PROPERTIES DISABLED ON)
  endif()
  add_test(NAME "fuzz long ${name}" COMMAND ${run} -DSECONDS=${CAREKEEP_FUZZ_SECONDS} ${script})
  math(EXPR long_timeout "${CAREKEEP_FUZZ_SECONDS} + 120")
  set_tests_properties("fuzz long ${name}" PROPERTIES LABELS fuzz ENVIRONMENT "${fuzz_env}" TIMEOUT ${long_timeout})

  file(GLOB regressions CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/regressions/${name}/*)
  foreach(file IN LISTS regressions)
    get_filename_component(base ${file} NAME)
    if(base STREQUAL "README.md")
      continue()
    endif()
    # One input, run once: the harness exits non-zero if it still crashes.
    add_test(NAME "fuzz regression ${name}/${base}" COMMAND ${fuzzer} -timeout=10 -rss_limit_mb=2048 ${file})
    set_tests_properties("fuzz regression ${name}/${base}" PROPERTIES LABELS fuzzregression ENVIRONMENT "${fuzz_env}"
                         TIMEOUT 60)
    if("${name}/${base}" IN_LIST CAREKEEP_FUZZ_OPEN_CRASHES)
      set_tests_properties("fuzz regression ${name}/${base}" PROPERTIES DISABLED ON)
    endif()
  endforeach()
endforeach()
