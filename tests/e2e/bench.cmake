# bench.cmake — the CPU benchmark runs end to end (not its numbers: a
# benchmark is never a timed test): bench/cpu_vs_torch.sh on the small config
# for a few steps, both cells, against PyTorch (bench/torch_train.py) and with
# fma_peak, so a broken benchmark script shows here and not on the day it is
# needed.
charnn_e2e_test(NAME bench.cpu_vs_torch
  COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/bench_smoke.sh
  LABELS torch bench TIMEOUT 300)
