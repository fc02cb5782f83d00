# Faults: one test per case of faults.sh (each function case_<name> there is
# the test fault.<name>): a fault is injected (kill -9, truncation, a bit
# flip, ulimit -f, CHARNN_FAULT_INJECT) and the outcome asserted.
# docs/reliability.md lists them.
charnn_script_cases(${CMAKE_CURRENT_LIST_DIR}/faults.sh CHARNN_FAULT_CASES)
foreach(name ${CHARNN_FAULT_CASES})
  set(labels fault)
  if(name MATCHES "_mpi$")
    list(APPEND labels mpi)
  endif()
  charnn_e2e_test(NAME fault.${name}
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/faults.sh ${CHARNN_E2E_MPI_ARG} ${name}
    LABELS ${labels} TIMEOUT 300)
endforeach()
