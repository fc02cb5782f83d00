# Bad input: one test per case of bad_input.sh (each function case_<group>_<name>
# there is the test bad_input.<group>.<name>, e.g. bad_input.train.missing_data).
# Every case must fail with exactly one "charnn-<prog>: error: ..." line, a
# non-zero exit below 128, and leave an existing run directory untouched.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_LIST_DIR}/bad_input.sh)
file(READ ${CMAKE_CURRENT_LIST_DIR}/bad_input.sh CHARNN_BAD_INPUT_TEXT)
string(REGEX MATCHALL "\ncase_[a-z0-9]+_[a-z0-9_]+\\(\\)" CHARNN_BAD_INPUT_CASES
  "${CHARNN_BAD_INPUT_TEXT}")
if(CHARNN_MPI)
  set(CHARNN_BAD_INPUT_MPI_ARG "")
else()
  set(CHARNN_BAD_INPUT_MPI_ARG --no-mpi) # the multi-rank cases skip
endif()
foreach(line ${CHARNN_BAD_INPUT_CASES})
  string(REGEX REPLACE "^\ncase_([a-z0-9]+)_([a-z0-9_]+)\\(\\)$" "\\1.\\2" name "${line}")
  set(labels bad_input)
  set(timeout 120)
  if(name MATCHES "_mpi$|batch_lt_ranks")
    list(APPEND labels mpi)
  endif()
  if(name MATCHES "damage_sweep")
    set(timeout 900)
  endif()
  charnn_e2e_test(NAME bad_input.${name}
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bad_input.sh ${CHARNN_BAD_INPUT_MPI_ARG} ${name}
    LABELS ${labels} TIMEOUT ${timeout})
endforeach()
