# Devices: the ranks' agreement on CPU/GPU and on NCCL, one test per case of
# device_agree.sh (case_<name> is the ctest device.<name>), 3 ranks with
# CHARNN_FAKE_GPUS faking their GPUs; a few seconds each.
charnn_script_cases(${CMAKE_CURRENT_LIST_DIR}/device_agree.sh CHARNN_DEVICE_CASES)
foreach(name ${CHARNN_DEVICE_CASES})
  charnn_e2e_test(NAME device.${name}
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/device_agree.sh ${CHARNN_E2E_MPI_ARG} ${name}
    LABELS "mpi;device" TIMEOUT 300)
endforeach()
