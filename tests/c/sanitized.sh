#!/bin/sh
# Builds the C test (and the library under it) with ASan+UBSan in its own build directory and
# runs it: any leak, overflow or undefined behaviour fails the test.
# usage: sanitized.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
dir=$2
cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCCX_SANITIZE=address,undefined \
  -DCCX_BUILD_EXAMPLES=OFF >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
ninja -C "$dir" c_api_test cloudcix-iaas-sim
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$dir/tests/c/c_api_test" "$src/data/demo-region.json" "$dir/examples/sim/cloudcix-iaas-sim"
