# gpu.cmake — tests of the CUDA backend (included when it is built): parity with the CPU backend and the persistent recurrence (need a GPU, else skip with 77), the device check's dry run (no GPU). The device's Philox is src/philox.h, the host's own (no mirror to compare).
add_library(charnn_gpu_skip STATIC ${CMAKE_CURRENT_LIST_DIR}/gpu_skip.c)
target_include_directories(charnn_gpu_skip PUBLIC ${CMAKE_CURRENT_LIST_DIR}
  ${CMAKE_CURRENT_LIST_DIR}/../common)
target_link_libraries(charnn_gpu_skip PUBLIC charnn_core)
add_executable(test_gpu_parity ${CMAKE_CURRENT_LIST_DIR}/test_parity.c
  ${CMAKE_CURRENT_LIST_DIR}/test_parity_model.c ${CMAKE_CURRENT_LIST_DIR}/parity_util.c)
target_link_libraries(test_gpu_parity PRIVATE charnn_gpu_skip charnn_core ${MATH_LIBRARY})
add_test(NAME gpu.parity COMMAND test_gpu_parity)
set_tests_properties(gpu.parity PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 900)

add_executable(test_gpu_model ${CMAKE_CURRENT_LIST_DIR}/test_gpu_model.c)
target_link_libraries(test_gpu_model PRIVATE charnn_gpu_skip charnn_core ${MATH_LIBRARY})
add_test(NAME gpu.model COMMAND test_gpu_model)
set_tests_properties(gpu.model PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 300)

# the persistent recurrence kernels (--rnn-kernel persistent) against the CPU
# backend and the stepwise path; --sanitize is the device check's shape set
add_executable(test_rnn_persistent ${CMAKE_CURRENT_LIST_DIR}/test_rnn_persistent.c)
target_link_libraries(test_rnn_persistent PRIVATE charnn_gpu_skip charnn_core ${MATH_LIBRARY})
add_test(NAME gpu.rnn_persistent COMMAND test_rnn_persistent)
set_tests_properties(gpu.rnn_persistent PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 600)

# the same kernels' source on the host (tests/gpu/cuda_emulator.h: a POSIX
# thread per GPU thread, real barriers) against the CPU backend: no GPU needed
enable_language(CXX)
find_package(Threads REQUIRED)
add_executable(test_rnn_emulated ${CMAKE_CURRENT_LIST_DIR}/test_rnn_emulated.cc)
target_include_directories(test_rnn_emulated PRIVATE ${PROJECT_SOURCE_DIR}/kernels
  ${CMAKE_CURRENT_LIST_DIR})
target_compile_features(test_rnn_emulated PRIVATE cxx_std_17)
target_compile_options(test_rnn_emulated PRIVATE -Wall -Wextra -Wno-unknown-pragmas)
target_link_libraries(test_rnn_emulated PRIVATE charnn_core Threads::Threads)
add_test(NAME gpu_emulated.rnn_persistent COMMAND test_rnn_emulated)
set_tests_properties(gpu_emulated.rnn_persistent PROPERTIES LABELS unit TIMEOUT 300)

# standalone (no charnn_core: the device check's dry run builds only this)
add_executable(gpu_probe ${CMAKE_CURRENT_LIST_DIR}/gpu_probe.c ${CMAKE_CURRENT_LIST_DIR}/gpu_skip.c
  ${PROJECT_SOURCE_DIR}/src/cuda_probe.c ${PROJECT_SOURCE_DIR}/src/error.c)
target_include_directories(gpu_probe PRIVATE ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(gpu_probe PRIVATE CUDA::cudart)

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
  LABELS bundle TIMEOUT 900)

# the device check (tests/gpu/check --dry-run) on this machine: the bundle,
# the configure and a small build against it (the generator ninja or make),
# the budgets' sum, a part's TIMEOUT reported as such, what comes back (the
# summary and one archive: within the device tool's 8 files) and the
# archive's layout; a missing tool named before anything runs. No GPU needed.
charnn_e2e_test(NAME gpu_dryrun.check
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dryrun.sh
  LABELS gpu_dryrun TIMEOUT 300)
set_tests_properties(gpu_dryrun.check gpu_bundle.build PROPERTIES RESOURCE_LOCK gpu_debs)

# bench/gpu_vs_torch.sh's own logic (--self-test: both programs on the CPU,
# a tiny model): rows, ratios, loss agreement, matched TF32 switches, a
# persistent kernel that did not run and a failing charnn-train as failures
charnn_e2e_test(NAME gpu_dryrun.bench
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bench_selftest.sh
  LABELS gpu_dryrun TIMEOUT 300)

# a driver older than the CUDA runtime, faked (LD_PRELOAD): an error, not a
# silent CPU run; the GPU tests fail rather than skip
add_library(fake_old_driver MODULE ${CMAKE_CURRENT_LIST_DIR}/fake_old_driver.c)
target_link_libraries(fake_old_driver PRIVATE CUDA::cudart)
charnn_e2e_test(NAME gpu_required.old_driver
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/old_driver.sh $<TARGET_FILE:fake_old_driver>
  LABELS unit TIMEOUT 120)
