# bench/onednn.cmake — optional target onednn_rnn (bench/onednn_rnn.c, the driver,
# with rnn_problem.c, charnn_side.c, onednn_side.c; onednn_rnn.h): oneDNN's
# RNN primitives against charnn's CPU primitives (docs/onednn.md). Built only
# when asked for (EXCLUDE_FROM_ALL: `cmake --build build --target onednn_rnn`)
# and only defined when oneDNN's headers and library are found (Debian:
# libdnnl-dev); without them nothing changes.
find_path(CHARNN_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.h)
find_library(CHARNN_DNNL_LIBRARY NAMES dnnl)
if(CHARNN_DNNL_INCLUDE_DIR AND CHARNN_DNNL_LIBRARY)
  add_executable(onednn_rnn EXCLUDE_FROM_ALL
    ${PROJECT_SOURCE_DIR}/bench/onednn_rnn.c ${PROJECT_SOURCE_DIR}/bench/rnn_problem.c
    ${PROJECT_SOURCE_DIR}/bench/charnn_side.c ${PROJECT_SOURCE_DIR}/bench/onednn_side.c)
  target_include_directories(onednn_rnn PRIVATE ${CHARNN_DNNL_INCLUDE_DIR})
  target_link_libraries(onednn_rnn PRIVATE charnn_core ${CHARNN_DNNL_LIBRARY})
  message(STATUS "charnn: oneDNN found (${CHARNN_DNNL_LIBRARY}): target onednn_rnn available")
endif()
