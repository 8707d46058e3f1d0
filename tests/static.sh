#!/bin/sh
# make static: the libraries of build/pytest-cloud-static, from Debian.
#
#   libssh   Debian's source package (apt-get source, through a private
#            apt configuration under build/static/apt: the machine's own
#            sources are not touched), built with cmake as a static
#            library without GSSAPI/Kerberos
#   cJSON    Debian's source package; its one C file is compiled in
#   inih     libinih.a of libinih-dev; OpenSSL and zlib: libssl.a,
#            libcrypto.a, libz.a of libssl-dev and zlib1g-dev
#   toml++   header-only (libtomlplusplus-dev)
#
# Everything goes under build/static (never into git).  Says what it
# fetched, with versions.  As root, installs the Debian packages the build
# needs, as tests/deps.sh does.  Usage: sh tests/static.sh BUILD_DIR
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/static}
mkdir -p "$out"
out=$(cd "$out" && pwd)

missing=""
need() { # need PACKAGE TEST-COMMAND...
	pkg=$1
	shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
need dpkg-dev command -v dpkg-source
need cmake command -v cmake
need libssl-dev test -f /usr/lib/x86_64-linux-gnu/libcrypto.a
need zlib1g-dev test -f /usr/lib/x86_64-linux-gnu/libz.a
need libinih-dev test -f /usr/lib/x86_64-linux-gnu/libinih.a
need libtomlplusplus-dev test -f /usr/include/toml++/toml.h
need xz-utils command -v xz
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing:$missing" >&2
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $missing >/dev/null
	else
		echo "missing Debian packages:$missing" >&2
		exit 1
	fi
fi

# Sources, from deb-src lines for the machine's own Debian release.
apt="$out/apt"
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
mkdir -p "$apt/lists/partial" "$out/src"
printf 'deb-src http://deb.debian.org/debian %s main\n' "$codename" \
	>"$apt/sources.list"
opts="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$apt/lists -o APT::Sandbox::User=root"
if [ ! -f "$out/src/fetched" ]; then
	# shellcheck disable=SC2086
	apt-get $opts update -q >/dev/null
	for pkg in libssh cjson; do
		# the newest version the archive serves whole
		got=""
		# shellcheck disable=SC2086
		for version in $(apt-cache $opts showsrc "$pkg" |
			sed -n 's/^Version: //p' | sort -rV); do
			# shellcheck disable=SC2086
			if (cd "$out/src" && apt-get $opts source -q \
				--download-only "$pkg=$version" >/dev/null 2>&1); then
				got=$version
				break
			fi
		done
		[ -n "$got" ] || { echo "no source of $pkg could be fetched" >&2; exit 1; }
		rm -rf "$out/src/$pkg"
		dsc=$(ls "$out/src/${pkg}_$(echo "$got" | sed 's/^[0-9]*://')".dsc)
		dpkg-source --no-check -x "$dsc" "$out/src/$pkg" >/dev/null
		echo "$pkg $got" >>"$out/src/fetched.tmp"
	done
	mv "$out/src/fetched.tmp" "$out/src/fetched"
fi
sed 's/^/fetched from Debian source: /' "$out/src/fetched"

# libssh: client and keepalive (in its server part), no GSSAPI, static
if [ ! -f "$out/libssh/src/libssh.a" ]; then
	mkdir -p "$out/libssh"
	(cd "$out/libssh" &&
		cmake "$out/src/libssh" -DCMAKE_BUILD_TYPE=Release \
			-DBUILD_SHARED_LIBS=OFF -DWITH_GSSAPI=OFF \
			-DWITH_EXAMPLES=OFF -DWITH_PCAP=OFF -DWITH_SFTP=OFF \
			-DUNIT_TESTING=OFF -DWITH_ZLIB=ON -DWITH_SERVER=ON \
			>"$out/libssh.cmake.log" 2>&1 &&
		make -j2 ssh >"$out/libssh.make.log" 2>&1) || {
		tail -n 20 "$out/libssh.cmake.log" "$out/libssh.make.log" >&2
		exit 1
	}
fi
# cJSON's header where the helper includes it from
mkdir -p "$out/include/cjson"
cp "$out/src/cjson/cJSON.h" "$out/include/cjson/cJSON.h"
for pkg in libssl-dev zlib1g-dev libinih-dev libtomlplusplus-dev; do
	echo "from Debian: $pkg $(dpkg-query -W -f '${Version}' "$pkg")"
done
