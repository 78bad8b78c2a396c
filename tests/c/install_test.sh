#!/bin/sh
# `cmake --install` into a temporary prefix, then an outside project builds against the
# installed tree with find_package (C static and shared, C++) and with pkg-config.
# usage: install_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -eu
src=$1
build=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"

# The tree: headers, both libraries of both kinds, SONAMEs, the package, the .pc file.
pc=$(find "$prefix" -name cloudcix_drivers.pc)
test -n "$pc"
libdir=$(dirname "$(dirname "$pc")")
for f in "$prefix/include/cloudcix_drivers.h" "$prefix/include/cloudcix_drivers/run.hpp" \
         "$libdir/libcloudcix_drivers.a" "$libdir/libcloudcix_drivers_c.a" \
         "$libdir/libcloudcix_drivers.so.0" "$libdir/libcloudcix_drivers_c.so.0" \
         "$libdir/cmake/cloudcix_drivers/cloudcix_driversConfig.cmake" \
         "$libdir/cmake/cloudcix_drivers/cloudcix_driversConfigVersion.cmake"; do
  test -e "$f" || { echo "not installed: $f" >&2; exit 1; }
done
objdump -p "$libdir/libcloudcix_drivers_c.so" | grep -q 'SONAME *libcloudcix_drivers_c.so.0'

# The outside project: the docs example as its C program, a small C++ program.
mkdir -p "$work/project"
cp "$src/tests/c/outside/CMakeLists.txt" "$src/tests/c/outside/consumer.cpp" "$work/project/"
"$src/tests/c/extract_example.sh" "$src/docs/c-api.md" >"$work/project/consumer.c"
cmake -S "$work/project" -B "$work/project/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >"$work/project.log" 2>&1 ||
  { cat "$work/project.log"; exit 1; }
ninja -C "$work/project/build"
"$work/project/build/c_consumer_shared" >/dev/null
"$work/project/build/c_consumer_static" >/dev/null
"$work/project/build/cxx_consumer"

# pkg-config: the .pc file alone is enough to build and run a C program.
export PKG_CONFIG_PATH="$(dirname "$pc")"
echo "pkg-config --cflags --libs cloudcix_drivers: $(pkg-config --cflags --libs cloudcix_drivers)"
test "$(pkg-config --modversion cloudcix_drivers)" = "$(sed -n 's/^#define CCX_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/cloudcix_drivers.h")"
cc -std=c99 -pedantic -Wall -Werror $(pkg-config --cflags cloudcix_drivers) "$work/project/consumer.c" \
  -o "$work/pc_consumer" $(pkg-config --libs cloudcix_drivers) -Wl,-rpath,"$libdir"
"$work/pc_consumer" >/dev/null
# ... and, statically, its Libs.private name everything the static archive needs.
cc -std=c99 $(pkg-config --cflags cloudcix_drivers) "$work/project/consumer.c" -o "$work/pc_consumer_static" \
  "$libdir/libcloudcix_drivers_c.a" $(pkg-config --static --libs-only-l cloudcix_drivers | sed 's/-lcloudcix_drivers_c//')
if ldd "$work/pc_consumer_static" | grep -q cloudcix_drivers; then
  echo "pc_consumer_static is not linked statically" >&2
  exit 1
fi
"$work/pc_consumer_static" >/dev/null
echo "installed tree OK"
