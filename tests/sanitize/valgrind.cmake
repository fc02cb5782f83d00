# valgrind.cmake — charnn-sample under valgrind's memcheck (label valgrind):
# sampling and --score on a small checkpoint, no memory error and no
# definite leak (tests/sanitize/valgrind_sample.sh). Registered in normal
# builds only: valgrind does not run ASan-instrumented binaries.
charnn_e2e_test(NAME valgrind.sample
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/valgrind_sample.sh
  LABELS "valgrind;sample" TIMEOUT 900)
