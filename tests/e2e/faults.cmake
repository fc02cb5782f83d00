# Faults: one test per case of faults.sh (each function case_<name> there is
# the test fault.<name>): a fault is injected (kill -9, truncation, a bit
# flip, ulimit -f, CHARNN_FAULT_INJECT) and the outcome asserted.
# docs/reliability.md lists them.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_LIST_DIR}/faults.sh)
file(READ ${CMAKE_CURRENT_LIST_DIR}/faults.sh CHARNN_FAULTS_TEXT)
string(REGEX MATCHALL "\ncase_[a-z0-9_]+\\(\\)" CHARNN_FAULT_CASES "${CHARNN_FAULTS_TEXT}")
if(CHARNN_MPI)
  set(CHARNN_FAULTS_MPI_ARG "")
else()
  set(CHARNN_FAULTS_MPI_ARG --no-mpi) # the multi-rank cases skip
endif()
foreach(line ${CHARNN_FAULT_CASES})
  string(REGEX REPLACE "^\ncase_([a-z0-9_]+)\\(\\)$" "\\1" name "${line}")
  set(labels fault)
  if(name MATCHES "_mpi$")
    list(APPEND labels mpi)
  endif()
  charnn_e2e_test(NAME fault.${name}
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/faults.sh ${CHARNN_FAULTS_MPI_ARG} ${name}
    LABELS ${labels} TIMEOUT 300)
endforeach()
