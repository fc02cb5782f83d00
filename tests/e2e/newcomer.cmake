# newcomer.cmake — what a newcomer's bare machine sees: launch/deps.sh's
# package step with stub dpkg-query/apt-get/id (tests/e2e/deps_check.sh, a
# second), and the line ends of a text (tests/e2e/newline_check.sh).
charnn_e2e_test(NAME deps.ensure_packages
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/deps_check.sh
  LABELS "unit;deps" TIMEOUT 60)
charnn_e2e_test(NAME newline.crlf
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/newline_check.sh
  LABELS "newline;sample;prep;resume" TIMEOUT 300)
