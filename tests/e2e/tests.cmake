# End-to-end tests through the real binaries. Each fragment tests/e2e/*.cmake
# registers its own tests with charnn_e2e_test().
set(CHARNN_PYTHON /usr/bin/python3) # Debian's: torch, h5py, numpy

# charnn_e2e_test(NAME name COMMAND cmd... [LABELS l...] [TIMEOUT s])
function(charnn_e2e_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES
    LABELS "e2e;${T_LABELS}" TIMEOUT ${T_TIMEOUT} SKIP_RETURN_CODE 77
    ENVIRONMENT "CHARNN_BUILD=${CMAKE_BINARY_DIR};CHARNN_SOURCE=${PROJECT_SOURCE_DIR};OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endfunction()

# The argument every multi-rank script takes in a build without MPI: it then
# skips (or leaves out) its multi-rank parts.
if(CHARNN_MPI)
  set(CHARNN_E2E_MPI_ARG "")
else()
  set(CHARNN_E2E_MPI_ARG --no-mpi)
endif()

# charnn_script_cases(SCRIPT VAR): the names N of the functions case_N() in
# SCRIPT (one test each; configure runs again when SCRIPT changes), into VAR.
function(charnn_script_cases script var)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${script})
  file(READ ${script} text)
  string(REGEX MATCHALL "\ncase_[a-z0-9_]+\\(\\)" lines "${text}")
  set(names "")
  foreach(line ${lines})
    string(REGEX REPLACE "^\ncase_([a-z0-9_]+)\\(\\)$" "\\1" name "${line}")
    list(APPEND names ${name})
  endforeach()
  set(${var} ${names} PARENT_SCOPE)
endfunction()

file(GLOB CHARNN_E2E_FRAGMENTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cmake)
list(REMOVE_ITEM CHARNN_E2E_FRAGMENTS ${CMAKE_CURRENT_LIST_FILE})
foreach(fragment ${CHARNN_E2E_FRAGMENTS})
  include(${fragment})
endforeach()
