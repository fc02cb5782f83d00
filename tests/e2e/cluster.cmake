# cluster.cmake — running on a cluster: launch/charnn's layouts and commands
# (tests/e2e/launch_dry_run.sh, fake mpirun/srun/nvidia-smi, a few seconds)
# and the preemption path of slurm/cpu.sbatch without Slurm
# (tests/e2e/slurm_requeue.sh: fake srun/scontrol, SIGUSR1 to the ranks,
# `scontrol requeue`, the requeued job resumes; bitwise equal to an
# uninterrupted run; well under a minute on an idle 2-core machine, its TIMEOUT sized for a loaded one).
charnn_e2e_test(NAME launch.dry_run.mpirun
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/launch_dry_run.sh mpirun
  LABELS "launch;slurm" TIMEOUT 60)
charnn_e2e_test(NAME launch.dry_run.srun
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/launch_dry_run.sh srun
  LABELS "launch;slurm" TIMEOUT 60)
charnn_e2e_test(NAME slurm.requeue
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/slurm_requeue.sh ${CHARNN_E2E_MPI_ARG}
  LABELS "slurm;resume;mpi" TIMEOUT 600)
