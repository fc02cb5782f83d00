# gpu.cmake — tests of the CUDA backend (included when it is built): parity with the CPU backend (needs a GPU, else skips with 77) and the device Philox against src/rng.c (host only).
add_executable(test_gpu_parity ${CMAKE_CURRENT_LIST_DIR}/test_parity.c)
target_link_libraries(test_gpu_parity PRIVATE charnn_core ${MATH_LIBRARY})
add_test(NAME gpu.parity COMMAND test_gpu_parity)
set_tests_properties(gpu.parity PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 900)

add_executable(test_rng_cuh ${CMAKE_CURRENT_LIST_DIR}/test_rng_cuh.c)
target_include_directories(test_rng_cuh PRIVATE ${PROJECT_SOURCE_DIR}/kernels)
target_link_libraries(test_rng_cuh PRIVATE charnn_core)
add_test(NAME unit.test_rng_cuh COMMAND test_rng_cuh)
set_tests_properties(unit.test_rng_cuh PROPERTIES LABELS unit)
