# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# Helpers for tests/net/t-glue-*.sh (the systemd units, rc scripts, cron
# examples and bash completion in scripts/), sourced after lib.sh:
#
#   glue_install DESTDIR [make variables...]
#        "make install" of this tree into DESTDIR, from a copy of the
#        Makefile, man/, scripts/ and bin/ (so that it neither rebuilds nor
#        rewrites the flags of the tree under test)
#   glue_have TOOL     true when bin/TOOL is built
#   unit_get FILE SECTION KEY   the values of KEY in SECTION, one a line
#   unit_words STRING  split a systemd command line into words, one a
#                      line (quotes as systemd reads them)
#   glue_tunnel_conf FILE ADDR/LEN   a minimal edge-tunnel file, mode 600

glue_install() {
	local dest=$1 src=$T_TMP/src t
	shift
	if [ ! -d "$src" ]; then
		mkdir -p "$src/cmd"
		cp -a "$TOP/Makefile" "$TOP/man" "$TOP/scripts" "$src/"
		[ -d "$TOP/bin" ] && cp -a "$TOP/bin" "$src/"
		for t in "$src"/bin/edge-*; do
			[ -e "$t" ] && mkdir -p "$src/cmd/${t##*/}"
		done
	fi
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s --no-print-directory -o all -C "$src" install \
		DESTDIR="$dest" "$@" >"$T_TMP/install.log" 2>&1
}

glue_have() { [ -x "$BIN/$1" ]; }

# unit_get FILE SECTION KEY: every value of KEY in [SECTION].
unit_get() {
	awk -v s="[$2]" -v k="$3" '
		/^[ \t]*[#;]/ || /^[ \t]*$/ { next }
		/^\[/ { in_s = ($0 == s); next }
		in_s {
			i = index($0, "=")
			key = substr($0, 1, i - 1); gsub(/[ \t]+$/, "", key)
			if (key == k) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v }
		}' "$1"
}

# unit_words STRING: systemd's splitting of a command line: words at
# spaces, '...' and "..." quote, \ escapes inside double quotes.
unit_words() {
	python3 - "$1" <<'PY'
import shlex, sys
for w in shlex.split(sys.argv[1], posix=True):
    print(w)
PY
}

glue_tunnel_conf() {
	local f=$1 addr=$2
	umask 077
	cat >"$f" <<EOF
[Interface]
PrivateKey = $(wg genkey)
Address = $addr
ListenPort = 51820

[Peer]
PublicKey = $(wg genkey | wg pubkey)
AllowedIPs = 10.77.0.0/24
Endpoint = 192.0.2.1:51820
EOF
	umask 022
}

# Programs the units start in turn start others (wireguard-go, the
# pipeline's two halves): on exit, everything still running in this test's
# namespaces goes too, before lib.sh's cleanup deletes them.
glue_cleanup() {
	local rc=$? n p
	set +e
	for n in "${T_NS[@]}"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	sleep 0.2
	for n in "${T_NS[@]}"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	(exit "$rc")
	t_cleanup
}
trap glue_cleanup EXIT
