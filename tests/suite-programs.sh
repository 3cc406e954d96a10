#!/bin/sh
# Prints the build targets (paths relative to BUILD_DIR) of the programs that SUITE's tests
# run, so that a build made for one suite compiles only what that suite needs:
#   ninja -C BUILD_DIR $(sh tests/suite-programs.sh BUILD_DIR SUITE)
# usage: suite-programs.sh BUILD_DIR SUITE
set -e
meson introspect "$1" --tests | python3 -c '
import json, os, sys
build, suite = os.path.realpath(sys.argv[1]), sys.argv[2]
for t in json.load(sys.stdin):
    if any(s == suite or s.endswith(":" + suite) for s in t["suite"]) and t["cmd"][0].startswith(build + "/"):
        print(os.path.relpath(t["cmd"][0], build))' "$1" "$2" | sort -u
