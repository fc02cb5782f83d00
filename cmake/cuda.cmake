# cuda.cmake — the CUDA backend (kernels/*.cu + src/backend_cuda.c) added to charnn_core; included from CMakeLists.txt when CHARNN_HAVE_CUDA.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures to build for (A100: 80, H100: 90)")
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
message(STATUS "charnn: CUDA ${CUDAToolkit_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES}")
# The binaries find libcudart/libcublas where they were linked, whether or
# not the loader is configured for the toolkit (nvcc's own library folder is
# an implicit link directory, which CMake leaves out of the RPATH).
list(APPEND CMAKE_BUILD_RPATH "${CUDAToolkit_LIBRARY_DIR}")
list(APPEND CMAKE_INSTALL_RPATH "${CUDAToolkit_LIBRARY_DIR}")

# The kernels as an object library of their own: the directory's C warning
# flags (-Wall ...) are not nvcc options, so they reach the host compiler
# through -Xcompiler instead.
file(GLOB CHARNN_CUDA_KERNELS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/*.cu)
add_library(charnn_kernels OBJECT ${CHARNN_CUDA_KERNELS})
set_property(TARGET charnn_kernels PROPERTY COMPILE_OPTIONS
  -Xcompiler=-Wall,-Wextra,-Wno-unused-parameter)
target_include_directories(charnn_kernels PRIVATE ${PROJECT_SOURCE_DIR}/kernels ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(charnn_kernels PRIVATE CUDA::cudart)
set_target_properties(charnn_kernels PROPERTIES POSITION_INDEPENDENT_CODE ON)

# charnn_core was defined before CUDA was enabled: give it the architectures too
set_target_properties(charnn_core PROPERTIES CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
target_sources(charnn_core PRIVATE $<TARGET_OBJECTS:charnn_kernels>
  ${PROJECT_SOURCE_DIR}/src/backend_cuda.c ${PROJECT_SOURCE_DIR}/src/cuda_probe.c)
target_include_directories(charnn_core PRIVATE ${PROJECT_SOURCE_DIR}/kernels)
target_link_libraries(charnn_core PUBLIC CUDA::cudart CUDA::cublas)
target_compile_definitions(charnn_core PUBLIC CHARNN_WITH_CUDA=1)

# NCCL for the gradient all-reduce between GPU ranks (needs MPI for the id).
find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
if(CHARNN_MPI AND NCCL_LIBRARY AND NCCL_INCLUDE_DIR)
  add_library(charnn_nccl INTERFACE IMPORTED)
  set_target_properties(charnn_nccl PROPERTIES INTERFACE_LINK_LIBRARIES "${NCCL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${NCCL_INCLUDE_DIR}")
  target_sources(charnn_core PRIVATE ${PROJECT_SOURCE_DIR}/src/comm_nccl.c)
  target_link_libraries(charnn_core PUBLIC charnn_nccl)
  target_compile_definitions(charnn_core PUBLIC CHARNN_WITH_NCCL=1)
  message(STATUS "charnn: NCCL ${NCCL_LIBRARY}")
else()
  message(STATUS "charnn: no NCCL (or no MPI): GPU ranks all-reduce through the host")
endif()
