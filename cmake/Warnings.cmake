# Warnings as errors on the project's own code (not on Boost's headers: they are SYSTEM).
function(ccx_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()
