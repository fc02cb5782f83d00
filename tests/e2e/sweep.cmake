# sweep.cmake — scaling experiments (tests/e2e/sweep_check.sh): launch/sweep
# on CPU ranks 1 and 2, strong and weak, a tiny model (CSV rows and columns, a
# valid PNG; ~15 s on 2 cores); slurm/sweep.sbatch in a made-up 2-node
# allocation with --dry-run (a few seconds); tools/plot_metrics.py on a short
# run with a resume (a few seconds). The plots need python3-matplotlib: the
# tests that draw skip without it.
if(CHARNN_MPI)
  set(CHARNN_E2E_MPI_ARG "")
else()
  set(CHARNN_E2E_MPI_ARG --no-mpi) # one rank only
endif()

charnn_e2e_test(NAME scaling.sweep
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sweep_check.sh sweep ${CHARNN_E2E_MPI_ARG}
  LABELS "scaling;mpi" TIMEOUT 300)
charnn_e2e_test(NAME scaling.sbatch
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sweep_check.sh sbatch
  LABELS "scaling;slurm" TIMEOUT 60)
charnn_e2e_test(NAME scaling.plot_metrics
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sweep_check.sh plot_metrics
  LABELS scaling TIMEOUT 120)
