#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel reresolve: Endpoint names are resolved with c-ares through a
# local resolver (dnsmasq in a namespace).  A peer whose handshake is
# older than 135 s (or never happened) gets its name resolved again and
# its endpoint updated when the address changed; a peer with a fresh
# handshake is left alone; -n only prints.  The 135 s edge itself: with
# edge-tunnel's clock moved forward (time(2) shifted by a preloaded shim,
# the peer's real handshake time kept), a handshake 100 s old is left
# alone and one 140 s old is re-resolved.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"
command -v dnsmasq >/dev/null || skip "no dnsmasq"

ns_make SW sw
ns_make A a
ns_make B b
ns_make DNS dns
nsx "$SW" ip link add br0 type bridge
nsx "$SW" ip link set br0 up
i=0
for n in "$A" "$B" "$DNS"; do
	i=$((i + 1))
	veth "$n" up0 "$SW" "p$i"
	nsx "$SW" ip link set "p$i" master br0
done
nsx "$A" ip addr add 192.0.2.1/24 dev up0
nsx "$B" ip addr add 192.0.2.2/24 dev up0
nsx "$DNS" ip addr add 192.0.2.53/24 dev up0

# ip netns exec puts /etc/netns/NS/resolv.conf over /etc/resolv.conf.
made_dir=
[ -d /etc/netns ] || made_dir=1
mkdir -p "/etc/netns/$A"
trap 'rc=$?; set +e; rm -rf "/etc/netns/$A"; [ -n "$made_dir" ] && rmdir /etc/netns;
    tun_cleanup; (exit $rc); t_cleanup' EXIT
echo "nameserver 192.0.2.53" > "/etc/netns/$A/resolv.conf"
echo "192.0.2.99 peer-b.test" > "$T_TMP/hosts"
bg DNSMASQ "$DNS" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--addn-hosts="$T_TMP/hosts" --listen-address=192.0.2.53 --bind-interfaces \
	--user=root --pid-file="$T_TMP/dnsmasq.pid" --log-facility="$T_TMP/dnsmasq.log"
resolves() { nsx "$A" getent ahostsv4 peer-b.test | grep -q "$1"; }
# getent uses the same resolv.conf; dnsmasq is up when it answers.
wait_for 5 resolves 192.0.2.99 || fail "dnsmasq does not answer"

tun_name IA a
tun_name IB b
tun_key KA PA
tun_key KB PB
CA=$(tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
Address = 10.77.0.1/24

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32
Endpoint = peer-b.test:51820
CONF
)
CB=$(tun_conf "$IB" <<CONF
[Interface]
PrivateKey = $KB
ListenPort = 51820
Address = 10.77.0.2/24

[Peer]
PublicKey = $PA
AllowedIPs = 10.77.0.1/32
CONF
)
et "$B" up "$CB" 2>/dev/null || fail "up B"
et "$A" up "$CA" 2>/dev/null || fail "up A"
endpoint() { nsx "$A" wg show "$IA" endpoints | awk '{print $2}'; }
[ "$(endpoint)" = "192.0.2.99:51820" ] || fail "up resolved to $(endpoint)"
nsx "$A" ping -c 1 -W 1 10.77.0.2 >/dev/null 2>&1 && fail "ping through a wrong endpoint"
ok "up resolved peer-b.test with c-ares: 192.0.2.99"

# The name moves to where B really is.
echo "192.0.2.2 peer-b.test" > "$T_TMP/hosts"
kill -HUP "$DNSMASQ"
wait_for 5 resolves 192.0.2.2 || fail "dnsmasq did not reload"
et "$A" -n reresolve "$CA" > "$T_TMP/plan" || fail "reresolve -n"
grep -q "endpoint 192.0.2.2:51820 (peer-b.test, was 192.0.2.99:51820)" "$T_TMP/plan" ||
	fail "reresolve -n plan: $(cat "$T_TMP/plan")"
[ "$(endpoint)" = "192.0.2.99:51820" ] || fail "reresolve -n changed the endpoint"
et "$A" reresolve "$CA" > /dev/null || fail "reresolve"
[ "$(endpoint)" = "192.0.2.2:51820" ] || fail "reresolve left $(endpoint)"
wait_for 10 nsx "$A" ping -c 1 -W 1 10.77.0.2 || fail "no traffic after reresolve"
ok "a peer that never shook hands follows its name: 192.0.2.2"

# A fresh handshake: the name is not even looked up again.
echo "192.0.2.3 peer-b.test" > "$T_TMP/hosts"
kill -HUP "$DNSMASQ"
wait_for 5 resolves 192.0.2.3 || fail "dnsmasq did not reload"
et "$A" reresolve "$CA" > "$T_TMP/plan" || fail "reresolve"
[ -s "$T_TMP/plan" ] && fail "a fresh peer was re-resolved: $(cat "$T_TMP/plan")"
[ "$(endpoint)" = "192.0.2.2:51820" ] || fail "a fresh peer's endpoint changed"
ok "a peer with a fresh handshake keeps its endpoint"

# The 135 s edge without waiting: time() of edge-tunnel moved forward.
command -v cc >/dev/null || skip "no cc for the clock shim (the rest passed)"
cat > "$T_TMP/shift.c" <<'C'
#include <stdlib.h>
#include <time.h>
/* time(2), TIME_SHIFT seconds ahead (c-ares' timers are monotonic). */
time_t
time(time_t *t)
{
	struct timespec ts;
	const char *s = getenv("TIME_SHIFT");
	time_t v;

	clock_gettime(CLOCK_REALTIME, &ts);
	v = ts.tv_sec + (s ? atol(s) : 0);
	if (t)
		*t = v;
	return v;
}
C
cc -shared -fPIC -o "$T_TMP/shift.so" "$T_TMP/shift.c" || fail "the clock shim does not build"
# An ASan build wants its runtime first among the libraries: the shim goes
# after it (clock_gettime and time are not among ASan's interceptors).
asan=
if ldd "$ET" | grep -q libasan; then
	asan=$(ldd "$ET" | awk '/libasan/ { print $3 }'):
fi
later() { local s=$1; shift; nsx "$A" env LD_PRELOAD="$asan$T_TMP/shift.so" TIME_SHIFT="$s" "$ET" "$@"; }
nsx "$A" ping -c 1 -W 1 10.77.0.2 >/dev/null || fail "no traffic"
hs=$(nsx "$A" wg show "$IA" latest-handshakes | awk '{print $2}')
[ $(( $(date +%s) - hs )) -lt 30 ] || fail "the handshake is not fresh"
later 100 reresolve "$CA" > "$T_TMP/plan" || fail "reresolve, 100 s later"
[ -s "$T_TMP/plan" ] && fail "a handshake about 100 s old was re-resolved: $(cat "$T_TMP/plan")"
[ "$(endpoint)" = "192.0.2.2:51820" ] || fail "endpoint changed at 100 s"
later 140 reresolve "$CA" > "$T_TMP/plan" || fail "reresolve, 140 s later"
grep -qx "~ peer $PB: endpoint 192.0.2.3:51820 (peer-b.test, was 192.0.2.2:51820)" "$T_TMP/plan" ||
	fail "a handshake 140 s old was not re-resolved: $(cat "$T_TMP/plan")"
[ "$(endpoint)" = "192.0.2.3:51820" ] || fail "reresolve at 140 s left $(endpoint)"
ok "handshake ~100 s old: left alone; older than 135 s: re-resolved (192.0.2.3)"
