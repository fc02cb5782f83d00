# cmocka.cmake — cmocka, which only the unit tests need: the target
# charnn_cmocka when found (pkg-config when there, else the header and the
# library in the usual places or CMAKE_PREFIX_PATH). Without it the test suite
# is off (CHARNN_TESTS set to OFF for this configure) and a message says so:
# the programs still build and install. Included from CMakeLists.txt.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(CHARNN_PC_CMOCKA QUIET cmocka)
endif()
find_path(CHARNN_CMOCKA_INCLUDE_DIR cmocka.h HINTS ${CHARNN_PC_CMOCKA_INCLUDE_DIRS})
find_library(CHARNN_CMOCKA_LIBRARY cmocka HINTS ${CHARNN_PC_CMOCKA_LIBRARY_DIRS})
if(CHARNN_CMOCKA_INCLUDE_DIR AND CHARNN_CMOCKA_LIBRARY)
  add_library(charnn_cmocka INTERFACE)
  target_include_directories(charnn_cmocka INTERFACE ${CHARNN_CMOCKA_INCLUDE_DIR})
  target_link_libraries(charnn_cmocka INTERFACE ${CHARNN_CMOCKA_LIBRARY})
  message(STATUS "charnn: cmocka ${CHARNN_CMOCKA_LIBRARY}: test suite on")
else()
  message(WARNING "cmocka not found (Debian: libcmocka-dev): the test suite is off; "
    "the programs build and install as usual. Configure with -DCHARNN_TESTS=OFF to silence this.")
  set(CHARNN_TESTS OFF)
endif()
