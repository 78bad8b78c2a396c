# -DCCX_SANITIZE=address,undefined  or  -DCCX_SANITIZE=thread
set(CCX_SANITIZE "" CACHE STRING "Sanitizers to build with (address,undefined | thread)")
if(CCX_SANITIZE)
  add_compile_options(-fsanitize=${CCX_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CCX_SANITIZE})
endif()
# GCC 12 warns (-Wtsan) that Asio's std::atomic_thread_fence is invisible to ThreadSanitizer;
# Asio's own locks carry the synchronisation, so the warning must not fail the -Werror build.
if(CCX_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-tsan)
endif()
