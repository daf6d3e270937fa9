#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-sni under valgrind (memcheck, full leak check), with two workers
# (valgrind follows the forks) and their parent: real connections in
# every mode and through every refusal, a big transfer through the pipes,
# SIGUSR1, a SIGHUP reload that adds and removes listeners, then SIGTERM;
# valgrind must report no error and no definite leak.  Valgrind and ASan
# don't mix: when bin/edge-sni is an ASan build (make check SANITIZE=1)
# the test builds a plain copy into its temporary directory, so it runs in
# CI too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sni-topo.sh"

command -v valgrind >/dev/null || skip "valgrind is not installed"
exe=$BIN/edge-sni
if ldd "$exe" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	cc=${CC:-cc}
	command -v "$cc" >/dev/null || skip "an ASan build and no compiler for a plain one"
	pk="libmnl libnftnl libcares libbsd-overlay"
	mkdir -p "$T_TMP/bin"
	# shellcheck disable=SC2046
	(cd "$TOP" && "$cc" -std=gnu11 -O1 -g -Ilib -Icmd/edge-sni \
	    -DEDGEKIT_VERSION='"valgrind"' $(pkg-config --cflags $pk) \
	    -o "$T_TMP/bin/edge-sni" lib/*.c cmd/edge-sni/*.c \
	    $(pkg-config --libs $pk)) || fail "building a plain edge-sni failed"
	ldd "$T_TMP/bin/edge-sni" | grep -q libasan && fail "the plain copy links ASan"
	BIN=$T_TMP/bin
	echo "bin/edge-sni is an ASan build: running a plain copy"
fi

sni_topo
sni_nginx
head -c 3000000 /dev/urandom >"$T_TMP/big"
bg ECHO_PID "$NS_H" socat TCP6-LISTEN:2222,bind=[2001:db8:1::20],reuseaddr,fork \
    SYSTEM:'echo "SSH-2.0-test"; exec cat'
# a PostgreSQL stand-in: takes edge-sni's SSLRequest, says "S", then
# answers with the SHA-256 of the TLS bytes replayed to it
bg PG_PID "$NS_H" socat TCP6-LISTEN:5432,bind=[2001:db8:1::20],reuseaddr,fork \
    SYSTEM:'head -c 8 >/dev/null; printf S; exec sha256sum'
mkdir -p "$T_TMP/u"
# (openssl prints the path into 32 bytes: keep it short)
bg TLSU_PID "$NS_V" openssl s_server -quiet -unix "$T_TMP/u/u.test" \
    -cert "$T_TMP/cert.pem" -key "$T_TMP/key.pem" -www
CONF=$T_TMP/edge-sni.conf
cat >"$CONF" <<EOC
[Global]
Workers = 2
Stats = $T_TMP/sni.prom

[Listener]
Listen = tcp:443
Nat46Prefix = $NAT46
BackendCIDR = 2001:db8:1::/64

[Listener]
Listen = tcp:80
Protocol = http
Nat46Prefix = $NAT46
BackendCIDR = 2001:db8:1::/64

[Listener]
Listen = tcp:9443
Mode = tcp
BackendPort = 8443
SendProxy = yes
BackendCIDR = 2001:db8:1::/64

[Listener]
Listen = tcp:2222
Mode = static
Backend = [2001:db8:1::20]:2222
Nat46Prefix = $NAT46
AcceptProxy = yes

[Listener]
Listen = tcp:5432
Protocol = postgres
Nat46Prefix = $NAT46
BackendCIDR = 2001:db8:1::/64

[Listener]
Listen = tcp:4443
Mode = unix
UnixDirectory = $T_TMP/u
EOC
SNI_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file=$T_TMP/vg.log" \
    sni_start -f "$CONF"
case $(readlink "/proc/$SNI_PID/exe") in
*memcheck*) ;;
*) fail "edge-sni is not running under valgrind: $(readlink "/proc/$SNI_PID/exe")" ;;
esac

# valgrind is slow, the machine may be busy: more time than ccurl's 5 s
vcurl() { ccurl --max-time 60 "$@"; }
n=0
out=$(vcurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/) &&
	[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "nat46: $out"
n=$((n + 1))
vcurl -k --resolve www.example.test:443:$VPS4 https://www.example.test/big -o "$T_TMP/big.out" ||
	fail "big transfer failed"
cmp -s "$T_TMP/big" "$T_TMP/big.out" || fail "big transfer corrupted"
n=$((n + 1))
out=$(vcurl http://www.example.test/ --resolve www.example.test:80:$VPS4) &&
	[ "$out" = "from $CLIENT_NAT46 via www.example.test pp=" ] || fail "http: $out"
n=$((n + 1))
out=$(vcurl -k --resolve www.example.test:9443:$VPS4 https://www.example.test:9443/) &&
	[ "$out" = "from 2001:db8:ff::1 via www.example.test pp=$CLIENT4" ] || fail "tcp+PROXY: $out"
n=$((n + 1))
out=$( (printf 'PROXY TCP4 203.0.113.9 198.51.100.1 5555 2222\r\n'; sleep 0.5
    echo hi; sleep 0.5) | nsx "$NS_C" timeout 60 socat -t 10 - TCP:$VPS4:2222)
[ "$out" = "$(printf 'SSH-2.0-test\nhi')" ] || fail "static: $out"
n=$((n + 1))
wait_for 20 test -S "$T_TMP/u/u.test" || fail "openssl s_server did not start"
vcurl -k --resolve u.test:4443:$VPS4 https://u.test:4443/ |
	grep -q "s_server" || fail "unix mode: no page from openssl s_server"
vcurl -k --resolve nosock.example.test:4443:$VPS4 https://nosock.example.test:4443/ 2>/dev/null &&
	fail "unix mode: served a name without a socket"
n=$((n + 2))
PG=1 nsx "$NS_C" python3 "$TOP/tests/net/sni-hello.py" $VPS4 5432 db.example.test 1800 3 3 ||
	fail "postgres listener: the hello did not arrive whole"
n=$((n + 1))
# refusals: no SNI, not TLS, no Host, bad PROXY header, no such name,
# outside the CIDRs, into the NAT46 prefix
echo | nsx "$NS_C" timeout 60 openssl s_client -connect $VPS4:443 -noservername >/dev/null 2>&1 || true
printf 'SSH-2.0-x\r\n\r\n' | nsx "$NS_C" timeout 60 socat - TCP:$VPS4:443 >/dev/null || true
printf 'GET / HTTP/1.0\r\n\r\n' | nsx "$NS_C" timeout 60 socat - TCP:$VPS4:80 >/dev/null || true
printf 'PROXY BOGUS\r\n\r\n' | nsx "$NS_C" timeout 60 socat - TCP:$VPS4:2222 >/dev/null || true
for name in nosuch outside intoprefix loop; do
	vcurl -k --resolve $name.example.test:443:$VPS4 https://$name.example.test/ >/dev/null 2>&1 || true
done
n=$((n + 8))
kill -USR1 "$SNI_PID"
wait_for 20 test -s "$T_TMP/sni-w1.prom" -a -s "$T_TMP/sni-w0.prom" ||
	fail "no stats files: $(ls "$T_TMP")"

# reload: drop the tcp listener, add one, change another
sed -i '/^Listen = tcp:9443$/,/^BackendCIDR/d' "$CONF"
cat >>"$CONF" <<EOC

[Listener]
Listen = tcp:8080
Protocol = http
Nat46Prefix = $NAT46
BackendCIDR = 2001:db8:1::/64
BackendPort = 80
DefaultHostname = www.example.test
EOC
kill -HUP "$SNI_PID"
wait_for 20 sh -c "[ \$(grep -c 'configuration reloaded' '$T_TMP/sni.log') -eq 2 ]" ||
	fail "not reloaded by both workers"
out=$(printf 'GET / HTTP/1.0\r\n\r\n' | nsx "$NS_C" timeout 60 socat - TCP:$VPS4:8080) || true
echo "$out" | grep -q "from $CLIENT_NAT46 via" || { cat "$T_TMP/sni.log" "$T_TMP/access.log"; fail "new listener after reload: $out"; }
n=$((n + 1))
wait_for 20 sh -c "[ \$(wc -l < '$T_TMP/access.log') -ge $n ]" ||
	fail "$(wc -l < "$T_TMP/access.log") access-log lines, want $n"

kill "$SNI_PID"
rc=0
wait "$SNI_PID" || rc=$?
[ $rc -eq 0 ] || { cat "$T_TMP/vg.log"; fail "valgrind: exit $rc"; }
[ ! -s "$T_TMP/vg.log" ] || { cat "$T_TMP/vg.log"; fail "valgrind reported"; }
ok "under valgrind: $n connections in all five modes, Postgres included, and eleven outcomes, a 3 MB transfer, SIGUSR1, SIGHUP reload, SIGTERM: no error, no leak"
