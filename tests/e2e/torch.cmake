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
