#!/bin/sh
# Checks for the Debian packages the build, the tests and the demo need.
# As root, installs the missing ones with apt-get; otherwise names them
# and fails.
set -u
missing=""
need() { # need PACKAGE TEST-COMMAND...
	pkg=$1
	shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
need build-essential command -v cc
need make command -v make
need pkg-config command -v pkg-config
need libssh-dev pkg-config --exists libssh
need libcjson-dev pkg-config --exists libcjson
need libinih-dev pkg-config --exists inih
need libtomlplusplus-dev pkg-config --exists tomlplusplus
need g++ command -v c++
need libcunit1-dev pkg-config --exists cunit
need rsync command -v rsync
need openssh-server test -x /usr/sbin/sshd
need openssh-client command -v ssh-keygen
need valgrind command -v valgrind
need patchelf command -v patchelf
need gdb command -v gdb
need clang command -v clang
need libclang-rt-14-dev test -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
need util-linux command -v unshare
need slurm-client command -v scontrol
need slurmctld command -v slurmctld
need slurmd command -v slurmd
need file command -v file
need man-db command -v man
need groff-base command -v groff
need python3-pytest /usr/bin/python3 -c 'import pytest'
need python3-pytest-xdist /usr/bin/python3 -c 'import xdist'
need python3-execnet /usr/bin/python3 -c 'import execnet'
need python3-pytest-cov /usr/bin/python3 -c 'import pytest_cov'
need python3-pyflakes /usr/bin/python3 -c "import pyflakes"
need python3-virtualenv /usr/bin/python3 -c 'import virtualenv'
need python3-setuptools-scm /usr/bin/python3 -c 'import setuptools_scm'
need git command -v git
need chromium command -v chromium
need nodejs command -v node
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null &&
		apt-get install -y -q --no-install-recommends $missing >/dev/null ||
		{ echo "apt-get install failed for:$missing" >&2; exit 1; }
	exit 0
fi
echo "missing Debian packages:$missing" >&2
echo "install them with: sudo apt-get install$missing" >&2
exit 1
