# Bad input: one test per case of the scripts bad_input_<prog>.sh, one per
# program (train, sample, and driver: expect_error.sh itself; their shared
# fixtures are in bad_input_lib.sh). Each function case_<group>_<name> there
# is the test bad_input.<group>.<name>, e.g. bad_input.train.missing_data.
# Every case must fail with exactly one "charnn-<prog>: error: ..." line, a
# non-zero exit below 128, and leave an existing run directory untouched.
foreach(prog train sample driver)
  set(script ${CMAKE_CURRENT_LIST_DIR}/bad_input_${prog}.sh)
  charnn_script_cases(${script} CHARNN_BAD_INPUT_CASES)
  foreach(case ${CHARNN_BAD_INPUT_CASES})
    string(REGEX MATCH "^([a-z0-9]+)_(.+)$" name "${case}")
    set(name "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}") # train_missing_data -> train.missing_data
    if(NOT CMAKE_MATCH_1 STREQUAL prog)
      message(FATAL_ERROR "${script}: case_${case} belongs in bad_input_${CMAKE_MATCH_1}.sh")
    endif()
    set(labels bad_input)
    set(timeout 120)
    if(name MATCHES "_mpi$|batch_lt_ranks")
      list(APPEND labels mpi)
    endif()
    if(name MATCHES "damage_sweep")
      set(timeout 900)
    endif()
    charnn_e2e_test(NAME bad_input.${name}
      COMMAND bash ${script} ${CHARNN_E2E_MPI_ARG} ${name}
      LABELS ${labels} TIMEOUT ${timeout})
  endforeach()
endforeach()
