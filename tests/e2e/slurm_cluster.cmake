# slurm_cluster.cmake — charnn under a real Slurm: private slurmctld, slurmd
# and munged started by the tests themselves (tests/slurm/cluster.sh; nothing
# in /etc touched). One test per case_NAME() of each script:
#   slurm.real.*     tests/slurm/jobs.sh: slurm/cpu.sbatch on one node (train
#                    to the end; preemption, requeue twice, bitwise equal; the
#                    requeue cap; SIGKILL to a rank ends the job)
#   slurm.two_nodes.* tests/slurm/two_nodes.sh: two slurmd in network
#                    namespaces joined by a veth pair (2 x 2 ranks over TCP vs
#                    1 rank; the link cut mid-run, resume on one node)
# About 2.5 minutes in all on 2 cores; each skips (77) where its cluster
# cannot start (no slurm-wlm/munge, no cgroup file system for slurmd, no
# network namespaces), saying why.
foreach(script jobs two_nodes)
  set(path ${PROJECT_SOURCE_DIR}/tests/slurm/${script}.sh)
  charnn_script_cases(${path} cases)
  if(script STREQUAL jobs)
    set(prefix slurm.real)
  else()
    set(prefix slurm.two_nodes)
  endif()
  foreach(c ${cases})
    charnn_e2e_test(NAME ${prefix}.${c}
      COMMAND bash ${path} ${c} ${CHARNN_E2E_MPI_ARG}
      LABELS "slurm;mpi" TIMEOUT 300)
  endforeach()
endforeach()

# The cluster that cannot start: a skip, but a failure under CI=true
# (tests/slurm/fixture_ci.sh: a slurmd that exits at once; a few seconds).
charnn_e2e_test(NAME slurm.fixture_ci
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/slurm/fixture_ci.sh
  LABELS "slurm;budget" TIMEOUT 120)
