# torch.cmake — charnn's loss (--score) and gradients (charnn-grad-dump) against PyTorch, per cell.
add_executable(charnn-grad-dump ${PROJECT_SOURCE_DIR}/tests/tools/grad_dump.c)
target_link_libraries(charnn-grad-dump PRIVATE charnn_core)
set_target_properties(charnn-grad-dump PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})

foreach(check score grad)
  foreach(cell lstm gru rnn)
    charnn_e2e_test(NAME torch.${check}.${cell}
      COMMAND ${CHARNN_PYTHON} ${PROJECT_SOURCE_DIR}/tests/e2e/torch_check.py
              --build ${CMAKE_BINARY_DIR} --source ${PROJECT_SOURCE_DIR}
              --check ${check} --cell ${cell}
      LABELS torch TIMEOUT 300)
  endforeach()
endforeach()
# The CPU kernels' fallback paths (cpu_isa.h), forced at run time, against
# PyTorch too; the tests above run the widest this CPU has.
foreach(isa avx2 baseline)
  foreach(cell lstm gru)
    charnn_e2e_test(NAME torch.grad.${cell}.${isa}
      COMMAND ${CHARNN_PYTHON} ${PROJECT_SOURCE_DIR}/tests/e2e/torch_check.py
              --build ${CMAKE_BINARY_DIR} --source ${PROJECT_SOURCE_DIR}
              --check grad --cell ${cell}
      LABELS torch TIMEOUT 300)
    set_property(TEST torch.grad.${cell}.${isa} APPEND PROPERTY ENVIRONMENT CHARNN_CPU_ISA=${isa})
  endforeach()
endforeach()
