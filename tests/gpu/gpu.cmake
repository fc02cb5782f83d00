# gpu.cmake — tests of the CUDA backend (included when it is built): parity with the CPU backend (needs a GPU, else skips with 77). The device's Philox is src/philox.h, the host's own (no mirror to compare).
add_library(charnn_gpu_skip STATIC ${CMAKE_CURRENT_LIST_DIR}/gpu_skip.c)
target_include_directories(charnn_gpu_skip PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(charnn_gpu_skip PUBLIC charnn_core)
add_executable(test_gpu_parity ${CMAKE_CURRENT_LIST_DIR}/test_parity.c)
target_link_libraries(test_gpu_parity PRIVATE charnn_gpu_skip charnn_core ${MATH_LIBRARY})
add_test(NAME gpu.parity COMMAND test_gpu_parity)
set_tests_properties(gpu.parity PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 900)

add_executable(test_gpu_model ${CMAKE_CURRENT_LIST_DIR}/test_gpu_model.c)
target_link_libraries(test_gpu_model PRIVATE charnn_gpu_skip charnn_core ${MATH_LIBRARY})
add_test(NAME gpu.model COMMAND test_gpu_model)
set_tests_properties(gpu.model PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 300)

add_executable(gpu_probe ${CMAKE_CURRENT_LIST_DIR}/gpu_probe.c)
target_link_libraries(gpu_probe PRIVATE charnn_gpu_skip)

# train on the GPU, resume on the CPU, sample on both (a small model)
charnn_e2e_test(NAME gpu.cross_device
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cross_device.sh
  LABELS gpu TIMEOUT 300)

# without a GPU (CUDA_VISIBLE_DEVICES=-1 hides any), CHARNN_REQUIRE_GPU=1
# turns every GPU test's skip into a failure that names the CUDA error and
# the driver and runtime versions; runs on any machine
charnn_e2e_test(NAME gpu_required.no_device
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/require_gpu.sh
  LABELS unit TIMEOUT 120)

# the device check's CPU-side part (tests/gpu/check): bundle, configure,
# build without MPI against the unpacked Debian packages (~2 min first, then
# the downloads are cached in the build directory)
charnn_e2e_test(NAME gpu_bundle.build
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bundle_ci.sh
  LABELS bundle TIMEOUT 600)

# a driver older than the CUDA runtime, faked (LD_PRELOAD): an error, not a
# silent CPU run; the GPU tests fail rather than skip
add_library(fake_old_driver MODULE ${CMAKE_CURRENT_LIST_DIR}/fake_old_driver.c)
target_link_libraries(fake_old_driver PRIVATE CUDA::cudart)
charnn_e2e_test(NAME gpu_required.old_driver
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/old_driver.sh $<TARGET_FILE:fake_old_driver>
  LABELS unit TIMEOUT 120)
