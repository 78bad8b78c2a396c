# -DCCX_SANITIZE=address,undefined  or  -DCCX_SANITIZE=thread
set(CCX_SANITIZE "" CACHE STRING "Sanitizers to build with (address,undefined | thread)")
if(CCX_SANITIZE)
  add_compile_options(-fsanitize=${CCX_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CCX_SANITIZE})
endif()
