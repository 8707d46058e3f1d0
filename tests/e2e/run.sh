#!/bin/sh
# Runs the end-to-end tests with Debian's pytest.
set -e
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 -m pytest -ra "$@"
