# install.cmake — `cmake --install` into a temporary prefix, the prefix moved
# elsewhere, then, with the source tree and this build hidden (a mount
# namespace: tmpfs over both), everything run from the moved prefix:
# charnn-prep, charnn-train (1 rank and 2 through charnn-launch),
# charnn-sample, charnn-launch --dry-run, charnn-sweep --dry-run, the
# installed slurm/cpu.sbatch and a copy of it run with bash, the man pages
# (tests/e2e/install_check.sh; ~20 s; needs root for the mount namespace).
charnn_e2e_test(NAME install.prefix
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install_check.sh ${CHARNN_E2E_MPI_ARG}
  LABELS "install;mpi" TIMEOUT 300)
