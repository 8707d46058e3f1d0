#!/bin/sh
# Runs streams of make targets side by side, each on its own share of the
# loopback addresses, and fails if any stream failed.
#
#   sh tests/side.sh "TARGET..." "TARGET..." ...
#
# Each argument is one stream: its targets run one after another, and a
# failed target ends its stream.  Stream k gets the k-th equal share of
# PYTEST_CLOUD_TEST_NETS (lo-hi; 100-250 by default) so that the nodes of
# two streams never share an address.  Each stream's output goes to
# build/side-K.log, printed whole when all have ended, with the time of
# each target.  The end-to-end stages mostly wait on their nodes, so side
# by side they take about the time of the longest.
set -u
cd "$(dirname "$0")/.."
nets=${PYTEST_CLOUD_TEST_NETS:-100-250}
lo=${nets%-*}
hi=${nets#*-}
count=$#
size=$(( (hi - lo + 1) / count ))
if [ "$size" -lt 1 ]; then
	echo "side.sh: PYTEST_CLOUD_TEST_NETS=$nets: fewer nets than the $count streams" >&2
	exit 2
fi
mkdir -p build
pids=""
k=0
for stream in "$@"; do
	first=$(( lo + size * k ))
	last=$(( first + size - 1 ))
	log=build/side-$k.log
	(
		export PYTEST_CLOUD_TEST_NETS=$first-$last
		for t in $stream; do
			s=$(date +%s)
			make --no-print-directory "$t" || {
				echo "make test: $t failed after $(( $(date +%s) - s ))s"
				exit 1
			}
			echo "make test: $t passed in $(( $(date +%s) - s ))s"
		done
		# the CPU the stream's processes took (user, system: this
		# shell's, then that of every process it waited for, their
		# children included): what to balance streams by on a machine
		# that the streams keep busy
		echo "make test: the CPU of the stream (user, system; its shell, then what it ran):"
		times
	) > "$log" 2>&1 &
	pids="$pids $!"
	echo "make test: started $stream on 127.$first-$last (output: $log)"
	k=$(( k + 1 ))
done
status=0
for pid in $pids; do
	wait "$pid" || status=1
done
k=0
for stream in "$@"; do
	echo "--- $stream ---"
	cat build/side-$k.log
	k=$(( k + 1 ))
done
exit $status
