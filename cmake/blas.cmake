# blas.cmake — the CBLAS charnn multiplies with, chosen the CMake way: FindBLAS
# with BLA_VENDOR (default OpenBLAS; FlexiBLAS, FLAME (BLIS, AOCL-BLIS),
# Intel10_64lp (MKL, OpenMP threads), ... or BLAS_LIBRARIES named directly), and
# the cblas.h that goes with the library found. Defines the interface target
# charnn_blas (include directory and libraries). Included from CMakeLists.txt.
#
# Threads: the library should run its GEMMs on OpenMP threads, so that they and
# charnn's own OpenMP loops share one pool (two pools spinning against each other
# on the same cores cost up to 8x): OpenBLAS's and BLIS's OpenMP builds, MKL's
# Intel10_64lp (GNU OpenMP with gcc). On Debian, whose BLAS variants live in
# folders of their own (libopenblas-openmp-dev, libblis-openmp-dev), the OpenMP
# variant is looked for first. An OpenBLAS that is not the OpenMP build is
# reported (a warning), not refused.
set(BLA_VENDOR "OpenBLAS" CACHE STRING
  "BLAS library (FindBLAS's BLA_VENDOR): OpenBLAS, FlexiBLAS, FLAME (BLIS), Intel10_64lp (MKL), Generic, All")

# Debian's OpenMP variants, searched before the default folders (no effect
# elsewhere: the folders do not exist there).
foreach(variant openblas-openmp blis-openmp)
  foreach(dir /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/${variant} /usr/lib/${variant})
    if(IS_DIRECTORY ${dir})
      list(APPEND CMAKE_LIBRARY_PATH ${dir})
    endif()
  endforeach()
endforeach()

find_package(BLAS)
if(NOT BLAS_FOUND)
  message(FATAL_ERROR "no BLAS found for BLA_VENDOR=${BLA_VENDOR}: load your site's BLAS module "
    "(or add its prefix to CMAKE_PREFIX_PATH), pick another with -DBLA_VENDOR=... "
    "(OpenBLAS, FlexiBLAS, FLAME, Intel10_64lp), or on Debian: apt-get install libopenblas-openmp-dev")
endif()

# cblas.h: beside the library's prefix (lib/ -> include/, Debian's variant
# folders included), then the usual places. MKL names it mkl_cblas.h: a
# one-line cblas.h in the build tree forwards to it.
set(CHARNN_CBLAS_HINTS "")
foreach(lib ${BLAS_LIBRARIES})
  if(IS_ABSOLUTE ${lib})
    get_filename_component(dir ${lib} DIRECTORY)
    string(REPLACE "/lib/" "/include/" incdir "${dir}/")
    list(APPEND CHARNN_CBLAS_HINTS ${incdir} ${dir}/../include ${dir}/../../include)
  endif()
endforeach()
if(BLA_VENDOR MATCHES "^Intel")
  find_path(CHARNN_MKL_INCLUDE_DIR mkl_cblas.h HINTS ${CHARNN_CBLAS_HINTS} ENV MKLROOT
    PATH_SUFFIXES include mkl)
  if(NOT CHARNN_MKL_INCLUDE_DIR)
    message(FATAL_ERROR "MKL found (${BLAS_LIBRARIES}) but not its mkl_cblas.h: set MKLROOT")
  endif()
  file(WRITE ${CMAKE_BINARY_DIR}/blas-shim/cblas.h "#include <mkl_cblas.h>\n")
  set(CHARNN_CBLAS_INCLUDE_DIRS ${CMAKE_BINARY_DIR}/blas-shim ${CHARNN_MKL_INCLUDE_DIR})
else()
  find_path(CHARNN_CBLAS_INCLUDE_DIR cblas.h HINTS ${CHARNN_CBLAS_HINTS}
    PATH_SUFFIXES openblas blis flexiblas)
  if(NOT CHARNN_CBLAS_INCLUDE_DIR)
    message(FATAL_ERROR "BLAS found (${BLAS_LIBRARIES}) but no cblas.h: add its include folder "
      "with -DCHARNN_CBLAS_INCLUDE_DIR=...")
  endif()
  set(CHARNN_CBLAS_INCLUDE_DIRS ${CHARNN_CBLAS_INCLUDE_DIR})
endif()

# The C interface must be there too (a reference BLAS has only the Fortran one).
include(CheckSymbolExists)
include(CMakePushCheckState)
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_INCLUDES ${CHARNN_CBLAS_INCLUDE_DIRS})
set(CMAKE_REQUIRED_LIBRARIES ${BLAS_LIBRARIES} ${BLAS_LINKER_FLAGS})
set(CMAKE_REQUIRED_QUIET ON)
check_symbol_exists(cblas_sgemm cblas.h CHARNN_HAVE_CBLAS_SGEMM)
check_symbol_exists(openblas_get_parallel cblas.h CHARNN_HAVE_OPENBLAS)
cmake_pop_check_state()
if(NOT CHARNN_HAVE_CBLAS_SGEMM)
  message(FATAL_ERROR "the BLAS found (${BLAS_LIBRARIES}) has no CBLAS (cblas_sgemm): "
    "pick one that has (-DBLA_VENDOR=OpenBLAS, FlexiBLAS, FLAME, Intel10_64lp)")
endif()
if(CHARNN_HAVE_OPENBLAS)
  # openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP.
  try_run(CHARNN_OPENBLAS_PARALLEL charnn_openblas_compiled ${CMAKE_BINARY_DIR}/blas-check
    ${PROJECT_SOURCE_DIR}/cmake/openblas_parallel.c
    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${CHARNN_CBLAS_INCLUDE_DIRS}"
    LINK_LIBRARIES ${BLAS_LIBRARIES})
  if(charnn_openblas_compiled AND CHARNN_OPENBLAS_PARALLEL MATCHES "^[01]$")
    message(WARNING "OpenBLAS found (${BLAS_LIBRARIES}), but not its OpenMP build "
      "(Debian: libopenblas-openmp-dev; a site's OpenBLAS built with USE_OPENMP=1): "
      "multi-threaded CPU runs may be slow")
  endif()
endif()

message(STATUS "charnn: BLAS (${BLA_VENDOR}) ${BLAS_LIBRARIES}, cblas.h in ${CHARNN_CBLAS_INCLUDE_DIRS}")
add_library(charnn_blas INTERFACE)
# SYSTEM: some cblas.h (BLIS's) define static functions that -Wextra would report
target_include_directories(charnn_blas SYSTEM INTERFACE ${CHARNN_CBLAS_INCLUDE_DIRS})
target_link_libraries(charnn_blas INTERFACE ${BLAS_LIBRARIES} ${BLAS_LINKER_FLAGS})
