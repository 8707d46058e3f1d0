#!/bin/sh
# make demo: see tests/demo.py.
set -e
cd "$(dirname "$0")/.."
exec /usr/bin/python3 tests/demo.py
