#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel DNS = through a real resolvconf (openresolv), as wg-quick:
# up registers the interface's nameserver and search lines with
# "resolvconf -a NAME -m 0 -x", diff reads them back and reports drift
# made behind its back, sync puts them right, a file without DNS takes
# them away again, down removes them, and a resolvconf that fails makes up
# fail and roll back.  resolvconf runs through EDGE_TUNNEL_RESOLVCONF: a
# wrapper that gives it a private mount namespace with this test's own
# resolvconf.conf, state directory and resolv.conf bound over the
# machine's, so the real /etc/resolv.conf is never touched (checked).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

command -v resolvconf >/dev/null || skip "no resolvconf (openresolv)"
resolvconf --version 2>/dev/null | grep -qi openresolv || skip "resolvconf is not openresolv"
command -v unshare >/dev/null || skip "no unshare"

real_before=$(md5sum < /etc/resolv.conf)
mkdir -p "$T_TMP/rcstate"
: > "$T_TMP/resolv.conf"
printf 'resolv_conf=%s\nstate_dir=%s\n' "$T_TMP/resolv.conf" "$T_TMP/rcstate" > "$T_TMP/rc.conf"
RC=$T_TMP/resolvconf
cat > "$RC" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind "\$0/rc.conf" /etc/resolvconf.conf &&
    mount --bind "\$0/resolv.conf" /etc/resolv.conf && exec resolvconf "\$@"' "$T_TMP" "\$@"
EOF
chmod 755 "$RC"
export EDGE_TUNNEL_RESOLVCONF=$RC

ns_make A a
tun_name IA a
tun_key KA PA
tun_key KB PB
conf() {	# conf DNS-LINE
	tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
Address = 10.77.0.1/24
$1

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32
CONF
}
CA=$(conf "DNS = 10.77.0.53, fd00:77::53, home.example, lab.example")
want=$'nameserver 10.77.0.53\nnameserver fd00:77::53\nsearch home.example lab.example'
held() { "$RC" -l "$IA" 2>/dev/null | grep -E '^(nameserver|search) '; }

et "$A" -n up "$CA" > "$T_TMP/plan" || fail "up -n"
grep -q "^+ dns $IA: nameserver 10.77.0.53; nameserver fd00:77::53; search home.example lab.example$" "$T_TMP/plan" ||
	fail "the plan does not name the DNS: $(cat "$T_TMP/plan")"
[ -z "$(held)" ] || fail "up -n changed resolvconf"
et "$A" up "$CA" || fail "up"
[ "$(held)" = "$want" ] || fail "resolvconf holds \"$(held)\", not \"$want\""
grep -q '^nameserver 10.77.0.53$' "$T_TMP/resolv.conf" &&
    grep -q '^search home.example lab.example$' "$T_TMP/resolv.conf" ||
	fail "resolvconf did not write resolv.conf: $(cat "$T_TMP/resolv.conf")"
et "$A" diff "$CA" > "$T_TMP/plan" || fail "diff after up: $(cat "$T_TMP/plan")"
ok "up: resolvconf -a $IA -m 0 -x holds the name servers and search domains; diff clean"

printf 'nameserver 10.9.9.9\n' | "$RC" -a "$IA" -m 0 -x || fail "resolvconf by hand"
et "$A" diff "$CA" > "$T_TMP/plan" && fail "diff missed DNS changed behind its back"
grep -q "^~ dns $IA: .* (now nameserver 10.9.9.9)$" "$T_TMP/plan" || fail "plan: $(cat "$T_TMP/plan")"
et "$A" sync "$CA" || fail "sync"
[ "$(held)" = "$want" ] || fail "sync left \"$(held)\""
et "$A" diff "$CA" > /dev/null || fail "diff after sync"
ok "DNS changed behind its back: diff reports it, sync restores it"

"$RC" -d "$IA" -f || fail "resolvconf -d by hand"
et "$A" diff "$CA" > "$T_TMP/plan" && fail "diff missed DNS removed behind its back"
grep -q "^+ dns $IA: " "$T_TMP/plan" || fail "plan: $(cat "$T_TMP/plan")"
et "$A" sync "$CA" && [ "$(held)" = "$want" ] || fail "sync did not put DNS back"
ok "DNS removed behind its back: diff reports it, sync puts it back"

CA=$(conf "")
et "$A" diff "$CA" > "$T_TMP/plan" && fail "diff missed DNS gone from the file"
grep -q "^- dns $IA$" "$T_TMP/plan" || fail "plan: $(cat "$T_TMP/plan")"
et "$A" sync "$CA" || fail "sync without DNS"
[ -z "$(held)" ] || fail "DNS still held after sync without it: $(held)"
et "$A" diff "$CA" > /dev/null || fail "diff after removing DNS"
CA=$(conf "DNS = 10.77.0.53")
et "$A" sync "$CA" || fail "sync with DNS again"
[ "$(held)" = "nameserver 10.77.0.53" ] || fail "sync did not add DNS: $(held)"
ok "DNS taken out of the file and put back: sync follows"

et "$A" down "$CA" || fail "down"
[ -z "$(held)" ] || fail "down left DNS: $(held)"
grep -q 10.77.0.53 "$T_TMP/resolv.conf" && fail "down left resolv.conf: $(cat "$T_TMP/resolv.conf")"
ok "down: resolvconf -d $IA"

EDGE_TUNNEL_RESOLVCONF=/bin/false et "$A" up "$CA" 2> "$T_TMP/err" && fail "up with a failing resolvconf succeeded"
grep -q "dns $IA" "$T_TMP/err" || fail "no message naming the DNS step: $(cat "$T_TMP/err")"
nsx "$A" ip link show "$IA" >/dev/null 2>&1 && fail "failed up left $IA behind"
ok "a failing resolvconf fails up, which rolls back: $(tail -n 1 "$T_TMP/err")"

[ "$(md5sum < /etc/resolv.conf)" = "$real_before" ] || fail "the machine's /etc/resolv.conf changed"
ok "the machine's /etc/resolv.conf untouched"
