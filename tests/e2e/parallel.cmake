# parallel.cmake — data-parallel equivalence, bitwise resume and the sampler,
# end to end (tests/e2e/parallel_*.sh, resume_*.sh, sample_*.sh; HDF5
# comparisons with tests/e2e/h5compare.py). Each takes well under a minute
# on 2 cores.
charnn_e2e_test(NAME parallel.equivalence
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/parallel_equivalence.sh ${CHARNN_E2E_MPI_ARG}
  LABELS mpi TIMEOUT 300)
charnn_e2e_test(NAME resume.bitwise
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/resume_bitwise.sh ${CHARNN_E2E_MPI_ARG}
  LABELS resume TIMEOUT 300)
charnn_e2e_test(NAME sample.determinism
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sample_determinism.sh
  LABELS sample TIMEOUT 300)
charnn_e2e_test(NAME sample.chinese
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sample_chinese.sh
  LABELS sample TIMEOUT 300)
charnn_e2e_test(NAME resume.sigterm
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/stop_resume.sh ${CHARNN_E2E_MPI_ARG}
  LABELS "resume;mpi" TIMEOUT 300)
charnn_e2e_test(NAME parallel.profile
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/profile_check.sh ${CHARNN_E2E_MPI_ARG}
  LABELS mpi TIMEOUT 300)
