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

file(GLOB CHARNN_E2E_FRAGMENTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cmake)
list(REMOVE_ITEM CHARNN_E2E_FRAGMENTS ${CMAKE_CURRENT_LIST_FILE})
foreach(fragment ${CHARNN_E2E_FRAGMENTS})
  include(${fragment})
endforeach()
