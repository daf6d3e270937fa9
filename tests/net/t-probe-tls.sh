#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The tls probe as the server sees it.  An openssl s_server with a
# different certificate per name (-servername srv.example -cert2, the
# default certificate for other.example, a fatal alert on any other name)
# records each connection with -trace:
#   - sni srv.example: the server received server_name "srv.example" and
#     answered with srv.example's certificate; the probe is up with the
#     version the ServerHello chose (supported_versions TLS 1.3);
#   - sni bad.example: received as such, refused: down, alert=112;
#   - no sni: no server_name extension, the default certificate, up.
# The version reported against servers limited to TLS 1.3 and 1.2 is the
# one openssl s_client negotiates with them; a TLS 1.1-only server (the
# probe offers 1.2 and 1.3) is down with alert=70 (protocol_version).
source "$(dirname "$0")/lib.sh"

P=$BIN/edge-probe
[ -x "$P" ] || fail "no $P"
command -v openssl >/dev/null || skip "openssl not installed"
ns_make A probe
ns_make B server
veth "$A" a0 "$B" b0
nsx "$A" ip addr add 192.0.2.1/24 dev a0
nsx "$B" ip addr add 192.0.2.2/24 dev b0
for n in srv other; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$n.example" -days 1 -keyout "$T_TMP/$n.key" \
		-out "$T_TMP/$n.pem" 2>/dev/null || fail "no certificate"
done

listening() { nsx "$B" ss -Hltn "sport = :$1" | grep -q LISTEN; }

# sni_case NAME PROBE-OPTIONS...: one s_server for one connection (its
# trace is written when it exits), probed once; the result line is in
# $T_TMP/NAME.out, the server's trace in $T_TMP/NAME.trace.
sni_case() {
	local n=$1 pid; shift
	bg pid "$B" openssl s_server -quiet -naccept 1 -accept 443 \
		-cert "$T_TMP/other.pem" -key "$T_TMP/other.key" \
		-servername srv.example -servername_fatal \
		-cert2 "$T_TMP/srv.pem" -key2 "$T_TMP/srv.key" \
		-trace -msgfile "$T_TMP/$n.trace" >/dev/null 2>&1
	wait_for 5 listening 443 || fail "$n: s_server did not start"
	nsx "$A" "$P" -t 2s tls 192.0.2.2 name "$n" "$@" > "$T_TMP/$n.out" ||
		true
	cat "$T_TMP/$n.out"
	wait_for 5 bash -c "! kill -0 $pid" || fail "$n: s_server did not exit"
	wait "$pid" || true
}
# field NAME N: column N of the result line
field() { awk -F'\t' -v n="$2" '$1 == "r" { print $n }' "$T_TMP/$1.out"; }
# sni_seen TRACE: the host name in the ClientHello's server_name
# extension, decoded from the trace's hex dump (list length, type, name
# length, name)
sni_seen() {
	awk '/extension_type=server_name\(0\)/ { e = 1; next }
	    e && /extension_type=/ { e = 0 }
	    e && / - / { sub(/^ *[0-9a-f]+ - /, ""); h = h substr($0, 1, 47) }
	    END { gsub(/-/, " ", h); n = split(h, b, " ")
		for (i = 6; i <= n; i++)
			printf "%c", index("0123456789abcdef", substr(b[i], 1, 1)) * 16 - 16 + index("0123456789abcdef", substr(b[i], 2, 1)) - 1
	    }' "$1"
}
# subject TRACE: the CN of the certificate the server sent
subject() { sed -n 's/^ *Subject: CN = //p' "$1" | head -n 1; }

sni_case right sni srv.example
[ "$(field right 8)" = up ] || fail "sni srv.example: not up"
s=$(sni_seen "$T_TMP/right.trace")
[ "$s" = srv.example ] || fail "the server received server_name \"$s\""
[ "$(subject "$T_TMP/right.trace")" = srv.example ] ||
	fail "the server did not answer with srv.example's certificate"
# The ServerHello's supported_versions chose 1.3, and that is what we say.
awk '/ServerHello,/ { h = 1 } h && /extension_type=supported_versions/ { v = 1; next }
    v { print; exit }' "$T_TMP/right.trace" | grep -q 'TLS 1.3 (772)' ||
	fail "the ServerHello did not choose TLS 1.3"
[ "$(field right 10)" = TLSv1.3 ] || fail "reported $(field right 10)"
ok "sni srv.example: received as sent, srv.example's certificate, TLSv1.3 as the ServerHello chose"

sni_case wrong sni bad.example
s=$(sni_seen "$T_TMP/wrong.trace")
[ "$s" = bad.example ] || fail "the server received server_name \"$s\""
grep -q 'Level=fatal(2), description=unrecognized name(112)' \
	"$T_TMP/wrong.trace" || fail "the server sent no unrecognized_name alert"
[ "$(field wrong 8)/$(field wrong 10)" = down/alert=112 ] ||
	fail "sni bad.example: $(field wrong 8) $(field wrong 10)"
ok "sni bad.example: received as sent, refused by the server: down, alert=112"

sni_case none
grep -q 'extension_type=server_name' "$T_TMP/none.trace" &&
	fail "a server_name extension without sni"
[ "$(subject "$T_TMP/none.trace")" = other.example ] ||
	fail "without sni, not the default certificate"
[ "$(field none 8)/$(field none 10)" = up/TLSv1.3 ] ||
	fail "no sni: $(field none 8) $(field none 10)"
ok "no sni: no server_name extension, the default certificate, up"

# Versions: each server limited to one; s_client says what it negotiates
# (-brief: its "Protocol version" line comes right after the handshake;
# the session block may not come before s_client's input ends).
port=8443
for v in 1_3 1_2 1_1; do
	sec=
	[ $v = 1_1 ] && sec='DEFAULT:@SECLEVEL=0'
	bg _ "$B" openssl s_server -quiet -accept $port -tls$v \
		-cert "$T_TMP/srv.pem" -key "$T_TMP/srv.key" ${sec:+-cipher "$sec"}
	wait_for 5 listening $port || fail "s_server -tls$v did not start"
	ref=$(nsx "$A" openssl s_client -connect 192.0.2.2:$port \
		-brief -servername srv.example ${sec:+-cipher "$sec"} </dev/null 2>&1 |
		sed -n 's/^Protocol version: *//p' | head -n 1)
	[ "$ref" = "TLSv${v/_/.}" ] || fail "s_client against -tls$v: \"$ref\""
	r=$(nsx "$A" "$P" -t 2s tls 192.0.2.2:$port sni srv.example |
		awk -F'\t' '{ print $8 "/" $10 }') || true
	if [ $v = 1_1 ]; then
		[ "$r" = down/alert=70 ] || fail "against TLS 1.1 only: $r"
	else
		[ "$r" = "up/$ref" ] || fail "against $ref: $r"
	fi
	echo "-tls$v: s_client $ref, edge-probe $r"
	port=$((port + 1))
done
ok "versions: TLSv1.3 and TLSv1.2 as s_client negotiates them; a TLS 1.1-only server: down, alert=70"
