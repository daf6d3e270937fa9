#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Every example of every man page and of the README (tests/net/doc-lib.sh
# numbers them) is run by a test, which takes it from the page itself.
# The table below says which; this test fails when an example has no
# entry (a new one, or the numbering moved), when a page is missing from
# the table, or when the named test does not read that page: it names the
# file itself (doc_block/doc_list FILE, or a path ending in /FILE), or
# calls a function of a library it sources that does.  The examples no
# other test needs a lab for run here: the rt_protos lines of edgekit(7)
# and edge-routes(8), the README's list of installed units, its
# edge-tunnel section (the demo's home router file, on a tunnel of this
# run's name) and edge-probe's own command lines (two uplinks, one cut).
# edgekit(7)'s SEE ALSO must name every other page.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/glue-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

# FILE N TEST (or "-" and why not a command line)
cat >"$T_TMP/map" <<'EOF'
man/edge-tunnel.8 1 - the columns of show -s, an output format
man/edge-tunnel.8 2 t-tunnel-examples
man/edge-tunnel.8 3 t-tunnel-examples
man/edge-tunnel.8 4 t-tunnel-examples
man/edge-tunnel.conf.5 1 t-tunnel-examples
man/edge-tunnel.conf.5 2 t-tunnel-examples
man/edge-tunnel.conf.5 3 t-tunnel-examples
man/edge-tunnel.conf.5 4 t-tunnel-examples
man/edge-tunnel.conf.5 5 t-tunnel-examples
man/edge-tunnel.conf.5 6 t-tunnel-examples
man/edge-tunnel.conf.5 7 t-tunnel-examples
man/edge-sni.8 1 t-sni-examples
man/edge-sni.8 2 t-sni-examples
man/edge-sni.8 3 t-sni-examples
man/edge-sni.8 4 t-sni-caps
man/edge-sni.8 5 t-sni-caps
man/edge-sni.conf.5 1 t-sni-caps
man/edge-probe.8 1 - a result line of the stream, an output format
man/edge-probe.8 2 - the columns of report's summary, an output format
man/edge-probe.8 3 t-probe-examples
man/edge-probe.8 4 t-probe-examples
man/edge-probe.8 5 t-probe-examples
man/edge-failover.8 1 t-failover-examples
man/edge-failover.8 2 t-failover-carriers
man/edge-failover.8 3 t-glue-systemd
man/edge-failover.8 4 t-failover-examples
man/edge-failover.conf.5 1 t-failover-examples
man/edge-failover.conf.5 2 t-failover-examples
man/edge-routes.8 1 t-glue-docs
man/edge-routes.8 2 t-routes-fetch
man/edge-routes.8 3 t-routes-fetch
man/edge-routes.8 4 t-routes-fetch
man/edge-routes.8 5 t-routes-fetch
man/edge-routes.8 6 t-routes-bird
man/edge-routes.8 7 t-routes-bird
man/edge-routes.8 8 t-routes-fetch
man/edge-routes.8 9 t-routes-bird
man/edgekit.7 1 t-failover-examples
man/edgekit.7 2 t-glue-cron
man/edgekit.7 3 t-glue-docs
man/edgekit.7 4 t-glue-cron
README 1 - the list of tools
README 2 t-glue-docs
README 3 t-glue-install the install locations
README 4 t-glue-install
README 5 t-glue-docs
README 6 - the picture of the data paths
README 7 t-glue-docs
README 8 t-sni-examples
README 9 t-routes-fetch
README 10 t-glue-docs
README 11 t-failover-examples
README 12 - the source layout
EOF

# reads TEST FILE: TEST reads FILE (relative to the top): it names it in
# doc_block/doc_list FILE or in a path ending in /FILE, or calls a
# function, defined in a library it sources, that does.  Comments do not
# count.
reads() {
	python3 - "$TOP/tests/net/$1.sh" "$2" <<'PY'
import os, re, sys

def code(text):
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))

test, doc = sys.argv[1], sys.argv[2]
name = re.escape(doc)
ref = re.compile(r'(doc_block|doc_list)\s+"?' + name + r'(?![\w.])|/' + name +
                 r'(?![\w.])')
text = open(test).read()
if ref.search(code(text)):
    sys.exit(0)
for lib in re.findall(r'^\s*(?:source|\.)\s+"\$\(dirname "\$0"\)/([\w.-]+)"', text, re.M):
    path = os.path.join(os.path.dirname(test), lib)
    if not os.path.exists(path):
        continue
    for m in re.finditer(r'^(\w+)\(\)\s*\{(.*?)^\}', open(path).read(), re.M | re.S):
        if ref.search(code(m.group(2))) and \
           re.search(r'(^|[\s(|;$])' + m.group(1) + r'\b', code(text), re.M):
            sys.exit(0)
sys.exit(1)
PY
}

# Every document: each man page and the README.  Problems are gathered
# and reported at the end, after the examples that run here.
docs=$(cd "$TOP" && ls man/*.[1-9] && echo README)
for f in $(awk '{ print $1 }' "$T_TMP/map" | sort -u); do
	grep -qxF "$f" <<<"$docs" || fail "the table names $f, which is not a document"
done
n=0 problems=()
for f in $docs; do
	grep -q "^$f " "$T_TMP/map" || { problems+=("$f: not in the table"); continue; }
	while IFS=$'\t' read -r i sect first; do
		line=$(awk -v f="$f" -v i="$i" '$1 == f && $2 == i' "$T_TMP/map")
		if [ -z "$line" ]; then
			problems+=("$f example $i ($sect: \"$first\") is run by no test: add it to the table")
			continue
		fi
		read -r _ _ t why <<<"$line"
		n=$((n + 1))
		if [ "$t" = - ]; then
			echo "$f $i: not a command line: $why"
		elif [ ! -f "$TOP/tests/net/$t.sh" ]; then
			problems+=("$f $i: no test $t")
		elif ! reads "$t" "$f"; then
			problems+=("$f $i: $t does not read $f")
		else
			echo "$f $i ($sect: $first) -> $t"
		fi
	done < <(doc_list "$f")
	# entries for examples that are gone
	k=$(doc_list "$f" | wc -l)
	awk -v f="$f" -v k="$k" '$1 == f && $2 > k { exit 1 }' "$T_TMP/map" ||
		problems+=("$f has $k examples; the table names more")
done
if [ ${#problems[@]} -eq 0 ]; then
	ok "$n examples in $(wc -w <<<"$docs") documents, each run by a test that reads it from its page (or not a command line)"
else
	printf 'PROBLEM: %s\n' "${problems[@]}"
fi

# README 2: "make demo" and "make check".  The demo is scripts/demo, which
# t-demo runs; make check is what runs this test.
[ "$(doc_block README 2)" = "$(printf 'make demo\nmake check')" ] ||
	fail "README 2 is not make demo, make check: $(doc_block README 2)"
env -u MAKEFLAGS make -n -C "$TOP" -o deps -o all demo | grep -q '^\./scripts/demo *$' ||
	fail "make demo does not run scripts/demo"
env -u MAKEFLAGS make -n -C "$TOP" -o deps -o all demo KEEP=1 | grep -q '^\./scripts/demo --keep$' ||
	fail "make demo KEEP=1 does not run scripts/demo --keep"
grep -q '"$TOP/scripts/demo"' "$TOP/tests/net/t-demo.sh" || fail "t-demo does not run scripts/demo"
# make -j must not build while scripts/deps installs the libraries: demo,
# bench and check depend on deps alone and build in their recipes.
for t in demo bench check; do
	pre=$(env -u MAKEFLAGS make -qp -C "$TOP" 2>/dev/null | sed -n "s/^$t: *//p")
	[ "$pre" = deps ] || fail "make $t: prerequisites \"$pre\", not deps alone (with -j they race)"
done
ok "README 2: make demo runs scripts/demo (which t-demo runs), KEEP=1 with --keep"

# --- edgekit.7 example 3 and edge-routes.8 example 1: rt_protos ----------------
# With those lines in /etc/iproute2/rt_protos (a private mount), ip(8)
# names each tool's routes.
mkdir -p "$T_TMP/iproute2"
{ [ -r /etc/iproute2/rt_protos ] && cat /etc/iproute2/rt_protos; doc_block man/edgekit.7 3; } \
	>"$T_TMP/iproute2/rt_protos"
doc_block man/edge-routes.8 1 | grep -xF -f - <(doc_block man/edgekit.7 3) >/dev/null ||
	fail "edge-routes.8's rt_protos line is not one of edgekit.7's"
ns_make N protos
nsx "$N" ip link add d0 type veth peer name d1
nsx "$N" ip link set d0 up
nsx "$N" ip addr add 10.1.0.1/24 dev d0
for p in 201 202 203; do
	nsx "$N" ip route add "10.2.$p.0/24" via 10.1.0.2 proto "$p"
done
[ -d /etc/iproute2 ] || skip "no /etc/iproute2 to mount over"
got=$(ip netns exec "$N" unshare -m sh -c 'mount --bind "$0" /etc/iproute2 &&
    exec ip route show' "$T_TMP/iproute2" | grep '^10.2.')
for x in "201 edge-tunnel" "202 edge-routes" "203 edge-failover"; do
	echo "$got" | grep -q "^10.2.${x% *}.0/24 via 10.1.0.2 dev d0 proto ${x#* } " ||
		fail "proto ${x% *} is not shown as ${x#* }: $got"
done
ok "rt_protos lines (edgekit.7, edge-routes.8): ip route shows proto edge-tunnel, edge-routes, edge-failover"

# --- README 5: the installed units it lists are installed ----------------------
R=$T_TMP/root
glue_install "$R" || { cat "$T_TMP/install.log"; fail "make install failed"; }
units=$(doc_block README 5 | grep -o '^edge-[a-z@-]*\.\(service\|timer\)')
[ -n "$units" ] || fail "README 5 lists no units"
for u in $units; do
	[ -f "$R/lib/systemd/system/$u" ] || fail "README lists $u, make install does not install it"
done
for u in "$R"/lib/systemd/system/*.service; do
	b=${u##*/}
	case $b in *-reresolve@.service|edge-routes@.service) continue ;; esac	# their timers are listed
	grep -qx "$b" <<<"$units" || fail "$b is installed but not in the README's list"
done
ok "README's units ($(echo $units)) are the installed ones"

# --- README 7: the edge-tunnel section -------------------------------------------
# Its file is the demo's home router file (scripts/lab's lab_tunnel_conf,
# comments dropped, keys shown as "..."); its commands run on that file,
# named for this run (wireguard-go's sockets are global), in a namespace:
# up, diff in step, sync a no-op, a rule deleted by hand makes diff exit 1
# and sync puts it back, down leaves nothing.
if glue_have edge-tunnel && command -v wireguard-go >/dev/null && command -v wg >/dev/null; then
	n=$(doc_list README | awk -F'\t' '$2 ~ /^edge-tunnel\(8\)/ { print $1 }')
	[ "$(wc -w <<<"$n")" -eq 1 ] || fail "README: not one block in the edge-tunnel section: $n"
	doc_block README "$n" >"$T_TMP/readme-tunnel"
	sed -n '/^edge-tunnel /!p' "$T_TMP/readme-tunnel" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' \
		>"$T_TMP/readme-home.conf"
	mapfile -t tcmds < <(sed -n 's/^\(edge-tunnel [^#]*[^ #]\) *\(#.*\)\{0,1\}$/\1/p' "$T_TMP/readme-tunnel")
	[ "${#tcmds[@]}" -eq 4 ] || fail "README $n: ${#tcmds[@]} edge-tunnel commands, not up, diff, sync, down"
	(
		LAB=${T_ID}l LAB_TMP=$T_TMP/lab
		source "$TOP/scripts/lab"
		lab_tunnel_conf
		cp "$LAB_TMP/home/$TUN_HOME.conf" "$T_TMP/demo-home.conf"
	)
	sed -e '/^#/d' -e 's/^\(PrivateKey\|PublicKey\) = .*/\1 = .../' "$T_TMP/demo-home.conf" |
		diff -u "$T_TMP/readme-home.conf" - ||
		fail "README $n is not the demo's home router file (scripts/lab)"
	ok "README $n: the file is the demo's home router file"

	ns_make E tunnel
	name=${T_ID}h
	T_WGIF+=("$name")
	cp "$T_TMP/demo-home.conf" "$T_TMP/$name.conf"
	tx() {	# CMD: a README command, home.conf this run's file
		local c=${1//home.conf/$T_TMP/$name.conf}
		echo "+ $c"
		nsx "$E" env PATH="$BIN:$PATH" sh -c "$c"
	}
	set -- "${tcmds[@]}"
	case "$1 $2 $3 $4" in
	"edge-tunnel up home.conf edge-tunnel diff home.conf edge-tunnel sync home.conf edge-tunnel down home.conf") ;;
	*) fail "README $n: the commands changed: $*" ;;
	esac
	tx "$1" || fail "README: $1"
	nsx "$E" ip -6 rule | grep -q 'from 2001:db8:1:0:1::/80 lookup 100' ||
		fail "README: up made no rule for the /80: $(nsx "$E" ip -6 rule)"
	tx "$2" || fail "README: $2: drift right after up"
	tx "$3" || fail "README: $3"
	nsx "$E" ip -6 rule del from 2001:db8:1:0:1::/80 table 100 priority 100
	set +e; tx "$2" >/dev/null; st=$?; set -e
	[ $st -eq 1 ] || fail "README: $2 after a rule was deleted: exit $st, not 1"
	tx "$3" || fail "README: $3 after the drift"
	nsx "$E" ip -6 rule | grep -q 'from 2001:db8:1:0:1::/80 lookup 100' || fail "README: sync did not put the rule back"
	tx "$2" || fail "README: $2 after sync"
	tx "$4" || fail "README: $4"
	nsx "$E" ip link show "$name" >/dev/null 2>&1 && fail "README: down left $name"
	[ -z "$(nsx "$E" ip -6 rule | grep 2001:db8:1:0:1::)" ] || fail "README: down left the rules"
	ok "README $n: up, diff (exit 0, then 1 after a rule went), sync (puts it back), down (nothing left)"
else
	problems+=("README's edge-tunnel section: edge-tunnel, wireguard-go or wg missing, not run")
fi

# --- README: edge-probe's own command lines --------------------------------------
# A home router H with uplinks wan0 (gateway 192.0.2.1) and lte0
# (198.51.100.1), both reaching 203.0.113.10 (a host in F answering ICMP
# and TCP :443).  Up: the check prints a result per probe and a summary
# per target and exits 0, the cron line is silent; wan0 cut upstream (an
# nft drop in F, its carrier up): the check exits 1 and the cron line says
# "wan0 is down", though lte0 still answers.
if glue_have edge-probe; then
	n=$(doc_list README | awk -F'\t' '$2 ~ /: edge-probe\(8\)$/ { print $1 }')
	[ "$(wc -w <<<"$n")" -eq 1 ] || fail "README: not one block in edge-probe's own section: $n"
	mapfile -t pc < <(doc_block README "$n")
	[ ${#pc[@]} -eq 2 ] && [ "${pc[0]%% *}" = edge-probe ] && [ "${pc[1]%% *}" = edge-probe ] ||
		fail "README $n: not two edge-probe command lines: ${pc[*]}"
	ns_make PH home
	ns_make PF far
	veth "$PH" wan0 "$PF" eth-w
	veth "$PH" lte0 "$PF" eth-l
	nsx "$PH" ip addr add 192.0.2.2/24 dev wan0
	nsx "$PH" ip addr add 198.51.100.2/24 dev lte0
	nsx "$PF" ip addr add 192.0.2.1/24 dev eth-w
	nsx "$PF" ip addr add 198.51.100.1/24 dev eth-l
	nsx "$PF" ip addr add 203.0.113.10/32 dev lo
	nsx "$PH" ip route add default via 192.0.2.1 dev wan0 metric 100
	nsx "$PH" ip route add default via 198.51.100.1 dev lte0 metric 200
	bg PL "$PF" socat TCP-LISTEN:443,bind=203.0.113.10,reuseaddr,fork SYSTEM:true
	wait_for 5 sh -c "ip netns exec $PF ss -Htln 'sport = :443' | grep -q ." ||
		fail "no listener on 203.0.113.10:443"
	px() { echo "+ $1" >&2; nsx "$PH" env PATH="$BIN:$PATH" sh -c "$1"; }
	out=$(px "${pc[0]}") || fail "README: ${pc[0]}: exit $? with both uplinks up: $out"
	echo "$out"
	[ "$(grep -cP '^r\t.*\tup\t[0-9]+\t' <<<"$out")" -eq 6 ] ||
		fail "README: ${pc[0]}: not 6 results up"
	grep -qP '^r\t[0-9]+\ticmp/203.0.113.10%wan0\t-\ticmp\t203.0.113.10\t' <<<"$out" &&
		grep -qP '^r\t[0-9]+\ttcp/203.0.113.10:443%lte0\t-\ttcp\t203.0.113.10:443\t' <<<"$out" ||
		fail "README: ${pc[0]}: not one target through each uplink"
	[ "$(grep -cP '^s\t.*\t3\t3\t0.0\t[0-9]+\t[0-9]+\tup$' <<<"$out")" -eq 2 ] ||
		fail "README: ${pc[0]}: not two summaries of 3 sent, 3 received, up"
	out=$(px "${pc[1]}") || fail "README: ${pc[1]}: exit $?"
	[ -z "$out" ] || fail "README: ${pc[1]} printed \"$out\" with wan0 up"
	nsx "$PF" nft -f - <<-EOF
	table inet cut {
		chain input_cut {
			type filter hook input priority 0;
			iifname "eth-w" drop
		}
	}
	EOF
	set +e; out=$(px "${pc[0]}"); st=$?; set -e
	echo "$out"
	[ $st -eq 1 ] || fail "README: ${pc[0]} with wan0 cut: exit $st, not 1"
	grep -qP '^r\t.*\ttcp/203.0.113.10:443%lte0\t.*\tup\t' <<<"$out" ||
		fail "README: with wan0 cut, lte0 no longer answers"
	out=$(px "${pc[1]}") || fail "README: ${pc[1]}: exit $?"
	[ "$out" = "wan0 is down" ] || fail "README: ${pc[1]} with wan0 cut printed \"$out\""
	ok "README $n: results and summaries through each uplink, exit 0; wan0 cut: exit 1 and \"$out\" from the cron line"
else
	problems+=("README's edge-probe section: edge-probe not built, not run")
fi

# --- edgekit(7) ties the pages together: SEE ALSO names every other page ----------
for m in "$TOP"/man/*.[1-9]; do
	b=${m##*/}
	[ "$b" = edgekit.7 ] && continue
	sed -n '/^\.Sh SEE ALSO/,/^\.Sh /p' "$TOP/man/edgekit.7" |
		grep -qx "\.Xr ${b%.*} ${b##*.}\( ,\)\{0,1\}" ||
		fail "edgekit.7's SEE ALSO does not name ${b%.*}(${b##*.})"
done
ok "edgekit.7's SEE ALSO names every other page, the .5 pages too"

[ ${#problems[@]} -eq 0 ] ||
	fail "examples without a test that reads them: $(printf '%s; ' "${problems[@]}")see the table in this test"
