# prep.cmake — charnn-prep and training from a CORPUS.h5 (docs/prep.md):
#   prep.equivalence  CORPUS.h5 vs the text file: bitwise equal training on
#                     1 and 2 ranks, resume, and option contradictions
#   prep.min_count    --min-count maps rare characters to U+FFFD
#   prep.cli          command line, errors, progress bar
#   prep.memory       a ~600 MB text prepared and trained on under an
#                     address-space limit smaller than the text (needs 3 GB
#                     of free disk, else skipped; about a minute)
charnn_e2e_test(NAME prep.equivalence
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/prep_equivalence.sh ${CHARNN_E2E_MPI_ARG}
  LABELS "prep;mpi" TIMEOUT 300)
charnn_e2e_test(NAME prep.min_count
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/prep_min_count.sh
  LABELS prep TIMEOUT 120)
charnn_e2e_test(NAME prep.cli
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/prep_cli.sh
  LABELS prep TIMEOUT 120)
charnn_e2e_test(NAME prep.memory
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/prep_memory.sh ${CHARNN_E2E_MPI_ARG}
  LABELS "prep;mpi" TIMEOUT 600)
