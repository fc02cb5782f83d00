# newcomer.cmake — what a newcomer meets first: launch/deps.sh's package
# step with stub dpkg-query/apt-get/id (deps_check.sh, a second); a text's
# line ends (newline_check.sh); the time budget launch/demo keeps through
# charnn-train --max-minutes (max_minutes.sh, 12 s + a resume).
charnn_e2e_test(NAME deps.ensure_packages
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/deps_check.sh
  LABELS "unit;deps" TIMEOUT 60)
charnn_e2e_test(NAME newline.crlf
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/newline_check.sh
  LABELS "newline;sample;prep;resume" TIMEOUT 300)
# sanitizer builds: a planted leak must be reported (tests/sanitize/planted_leak.sh)
if(CHARNN_SANITIZE)
  charnn_e2e_test(NAME sanitize.planted_leak
    COMMAND bash ${PROJECT_SOURCE_DIR}/tests/sanitize/planted_leak.sh
    LABELS "sanitize" TIMEOUT 60)
endif()
charnn_e2e_test(NAME demo.max_minutes
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/max_minutes.sh
  LABELS "demo;resume" TIMEOUT 120)
