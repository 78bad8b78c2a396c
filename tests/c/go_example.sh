#!/bin/sh
# Builds and tests the Go caller (cgo, Debian's golang-go) against the shared C library, then
# runs the example program both ways. No network: GOPROXY=off, no external modules. The tests
# start the IaaS simulator (SIM) themselves.
# usage: go_example.sh SOURCE_DIR INCLUDE_DIR LIBRARY_DIR WORK_DIR SIM
set -eu
src=$1
include=$2
libdir=$3
work=$4
export CCX_SIM=$5
mkdir -p "$work"
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOPROXY=off GOFLAGS= GO111MODULE=on CGO_ENABLED=1
export CGO_CFLAGS="-I$include" CGO_LDFLAGS="-L$libdir -Wl,-rpath,$libdir"
export CCX_REGION="$src/data/demo-region.json"
cd "$src/examples/go"
go vet .
go test -count=1 -v .
go build -o "$work/run_verb" .
"$work/run_verb" vm_kvm build 1501
"$work/run_verb" -go-region "$CCX_REGION" vm_kvm build 1501
