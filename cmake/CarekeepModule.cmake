# carekeep_module(NAME SOURCES a.cpp b.cpp DEPS base other PUBLIC_LIBS PkgConfig::X PRIVATE_LIBS ...)
# Declares lib/<NAME> as the static library carekeep_<NAME> (alias carekeep::<NAME>).
# DEPS are other carekeep modules; listing them here is what enforces the one-way
# dependency order of STYLE.md §2: a module that is not listed cannot be linked.
function(carekeep_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(carekeep_${name} STATIC ${M_SOURCES})
  add_library(carekeep::${name} ALIAS carekeep_${name})
  target_include_directories(carekeep_${name} PUBLIC ${PROJECT_SOURCE_DIR}/lib)
  foreach(dep IN LISTS M_DEPS)
    target_link_libraries(carekeep_${name} PUBLIC carekeep::${dep})
  endforeach()
  target_link_libraries(carekeep_${name} PUBLIC ${M_PUBLIC_LIBS} PRIVATE ${M_PRIVATE_LIBS})
endfunction()

# carekeep_test(NAME SOURCES ... LIBS ... [LABELS l1 l2])
# One Catch2 executable, registered test case by test case with CTest.
function(carekeep_test name)
  # PROPERTIES: more CTest properties for every case (RESOURCE_LOCK, PROCESSORS, TIMEOUT).
  # TAGGED t PROPERTIES_TAGGED ...: cases tagged [t] get these too (a lock that only one case of
  # the executable needs), registered by a second discovery over just those cases.
  cmake_parse_arguments(T "" "TAGGED" "SOURCES;LIBS;LABELS;PROPERTIES;PROPERTIES_TAGGED" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE carekeep_test_main ${T_LIBS})
  set(labels unit)
  if(T_LABELS)
    set(labels ${T_LABELS})
  endif()
  if(T_TAGGED)
    catch_discover_tests(${name} TEST_SPEC "~[${T_TAGGED}]" PROPERTIES LABELS "${labels}" ${T_PROPERTIES}
                         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    catch_discover_tests(${name} TEST_SPEC "[${T_TAGGED}]"
                         PROPERTIES LABELS "${labels}" ${T_PROPERTIES} ${T_PROPERTIES_TAGGED}
                         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  else()
    catch_discover_tests(${name} PROPERTIES LABELS "${labels}" ${T_PROPERTIES}
                         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  endif()
endfunction()
