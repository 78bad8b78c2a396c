#!/bin/sh
# docs/c-api.md's complete example compiles as written (C99, pedantic, warnings as errors)
# against the build tree's shared library, and runs successfully.
# usage: docs_example.sh SOURCE_DIR INCLUDE_DIR LIBRARY_DIR WORK_DIR
set -eu
src=$1
include=$2
libdir=$3
work=$4
mkdir -p "$work"
"$src/tests/c/extract_example.sh" "$src/docs/c-api.md" >"$work/example.c"
test -s "$work/example.c" || { echo "no example found in docs/c-api.md" >&2; exit 1; }
cc -std=c99 -pedantic -Wall -Wextra -Werror -I"$include" "$work/example.c" -o "$work/example" \
  -L"$libdir" -lcloudcix_drivers_c -Wl,-rpath,"$libdir"
"$work/example"
