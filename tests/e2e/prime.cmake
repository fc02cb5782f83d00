# prime.cmake — charnn-sample's --prime edge cases (tests/e2e/sample_prime.sh).
charnn_e2e_test(NAME sample.prime_edge
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sample_prime.sh
  LABELS sample TIMEOUT 300)
