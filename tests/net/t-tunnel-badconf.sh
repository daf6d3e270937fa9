#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel and bad files: an unknown key, a bad key, a bad prefix, a bad
# Rule, an unknown section, a file readable by others and a key file
# (PrivateKeyFile, PresharedKeyFile) readable by others each give an
# error naming file:line (or the file and its mode), exit 2, and change
# nothing: no link is made, and a running tunnel is left as it was.  A
# bad private key is never echoed.  Key files at mode 0600 work.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make A a
tun_name IA a
tun_name IN n
tun_key KA PA
tun_key KB PB

good() {
	cat <<CONF
[Interface]
PrivateKey = $KA
Address = 10.77.0.1/24

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32
CONF
}
CA=$(good | tun_conf "$IA")
et "$A" up "$CA" 2>/dev/null || fail "up of the good file"
snapshot() {
	{ nsx "$A" ip -d link show; nsx "$A" ip addr; nsx "$A" ip route show table all
	  nsx "$A" ip rule; nsx "$A" nft list ruleset; nsx "$A" wg showconf "$IA"; } 2>&1 |
	    grep -v "latest handshake"
}
snapshot > "$T_TMP/before"

# bad NAME LINE EXPECTED-TEXT: the file $T_TMP/NAME.conf is already written
bad() {
	local file=$T_TMP/$1.conf line=$2 want=$3 verb rc
	for verb in up sync diff; do
		# the running tunnel's name for sync/diff, a new one for up
		local target=$file
		if [ "$verb" != up ]; then
			cp -p "$file" "$T_TMP/$IA.conf"
			target=$T_TMP/$IA.conf
		fi
		rc=0
		et "$A" "$verb" "$target" > /dev/null 2> "$T_TMP/err" || rc=$?
		[ $rc -eq 2 ] || fail "$1 ($verb): exit $rc, not 2: $(cat "$T_TMP/err")"
		grep -q -- "$target$line" "$T_TMP/err" ||
			fail "$1 ($verb): no \"$target$line\" in: $(cat "$T_TMP/err")"
		grep -q -- "$want" "$T_TMP/err" ||
			fail "$1 ($verb): no \"$want\" in: $(cat "$T_TMP/err")"
		grep -q -- "$KA" "$T_TMP/err" && fail "$1: the private key was printed"
	done
	nsx "$A" ip link show "$IN" >/dev/null 2>&1 && fail "$1: up made a link"
	snapshot > "$T_TMP/after"
	diff -u "$T_TMP/before" "$T_TMP/after" || fail "$1: the running tunnel changed"
	good | tun_conf "$IA" >/dev/null
	ok "$1: $(head -n 1 "$T_TMP/err")"
}

good | sed 's/^Address = .*/&\nListenPrt = 51820/' | tun_conf "$IN" >/dev/null
bad "$IN" ":4:" 'unknown key "ListenPrt"'

good | sed "s|^PublicKey = .*|PublicKey = ${PB%?}!|" | tun_conf "$IN" >/dev/null
bad "$IN" ":6:" "not a base64 WireGuard key"

good | sed "s|^PrivateKey = .*|PrivateKey = ${KA}A|" | tun_conf "$IN" >/dev/null
bad "$IN" ":2:" "PrivateKey is not a base64"

good | sed 's|^AllowedIPs = .*|AllowedIPs = 10.77.0.2/32, 10.1.2.0/33|' | tun_conf "$IN" >/dev/null
bad "$IN" ":7:" "10.1.2.0/33"

good | sed 's|^Address = .*|Address = 10.77.0.300/24|' | tun_conf "$IN" >/dev/null
bad "$IN" ":3:" "10.77.0.300"

good | sed 's|^Address = .*|&\nRule = from 10.0.0.0/8 table|' | tun_conf "$IN" >/dev/null
bad "$IN" ":4:" "Rule"

good | sed 's|^\[Peer\]|[Pear]|' | tun_conf "$IN" >/dev/null
bad "$IN" ":5:" "unknown section"

good | tun_conf "$IN" >/dev/null
chmod 644 "$T_TMP/$IN.conf"
bad "$IN" ": mode 0644" "group or others"

chmod 640 "$T_TMP/$IN.conf"
bad "$IN" ": mode 0640" "group or others"

# Key files: PrivateKeyFile and PresharedKeyFile readable by others are
# refused, the message naming the key file and its mode.
printf '%s\n' "$KA" > "$T_TMP/a.key"
wg genpsk > "$T_TMP/a.psk"
chmod 644 "$T_TMP/a.key"
chmod 600 "$T_TMP/a.psk"
good | sed "s|^PrivateKey = .*|PrivateKeyFile = $T_TMP/a.key|
	s|^PublicKey = .*|&\nPresharedKeyFile = $T_TMP/a.psk|" | tun_conf "$IN" >/dev/null
bad "$IN" ":2: $T_TMP/a.key: mode 0644" "group or others"
chmod 600 "$T_TMP/a.key"
chmod 640 "$T_TMP/a.psk"
bad "$IN" ":7: $T_TMP/a.psk: mode 0640" "group or others"

# The same files at 0600 work.
chmod 600 "$T_TMP/a.psk"
et "$A" up "$T_TMP/$IN.conf" 2> "$T_TMP/err" || fail "up with 0600 key files: $(cat "$T_TMP/err")"
[ "$(nsx "$A" wg show "$IN" public-key)" = "$PA" ] || fail "PrivateKeyFile not used"
[ "$(nsx "$A" wg show "$IN" preshared-keys | awk '{print $2}')" = "$(cat "$T_TMP/a.psk")" ] ||
	fail "PresharedKeyFile not used"
et "$A" diff "$T_TMP/$IN.conf" > "$T_TMP/plan" || fail "diff: $(cat "$T_TMP/plan")"
et "$A" down "$T_TMP/$IN.conf" > /dev/null || fail "down"
ok "PrivateKeyFile and PresharedKeyFile at mode 0600: used"

[ -e "/run/edgekit/tunnel-$IN.state" ] && fail "a state file for the bad tunnel"
et "$A" diff "$CA" >/dev/null || fail "the good file drifted"
ok "nothing changed"
