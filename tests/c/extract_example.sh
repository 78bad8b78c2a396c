#!/bin/sh
# Prints the complete example of docs/c-api.md: the ```c block between the example markers.
# usage: extract_example.sh docs/c-api.md > example.c
set -eu
awk '/<!-- c-api example begin -->/ { on = 1; next }
     /<!-- c-api example end -->/ { on = 0 }
     on && /^```c$/ { code = 1; next }
     on && /^```$/ { code = 0; next }
     code { print }' "$1"
