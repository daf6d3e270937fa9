#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Every example of edge-failover(8), edge-failover.conf(5), edge-routes(8),
# edgekit(7) and the README (tests/net/doc-lib.sh numbers them) is run by
# a test, which takes it from the page itself.  The table below says
# which; this test fails when an example has no entry (a new one, or the
# numbering moved) or when the named test does not read that page.  The
# README's edge-tunnel, edge-sni and edge-probe sections belong to those
# tools' tests.  The examples no other test needs a lab for run here: the
# rt_protos lines of edgekit(7) and edge-routes(8), and the README's list
# of installed units.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/glue-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

# FILE N TEST (or "-" and why not a command line)
cat >"$T_TMP/map" <<'EOF'
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
README 7 - edge-tunnel's section (its tests)
README 8 - edge-sni's section (its tests)
README 9 t-routes-fetch
README 10 t-failover-examples
README 11 - the source layout
EOF

n=0
for f in man/edge-failover.8 man/edge-failover.conf.5 man/edge-routes.8 man/edgekit.7 README; do
	while IFS=$'\t' read -r i sect first; do
		line=$(awk -v f="$f" -v i="$i" '$1 == f && $2 == i' "$T_TMP/map")
		[ -n "$line" ] || fail "$f example $i ($sect: \"$first\") is run by no test: add it to this table"
		read -r _ _ t why <<<"$line"
		n=$((n + 1))
		if [ "$t" = - ]; then
			echo "$f $i: not a command line: $why"
			continue
		fi
		[ -f "$TOP/tests/net/$t.sh" ] || fail "$f $i: no test $t"
		grep -q "doc_block $f \|doc_list $f\|doc_block $f\$" "$TOP/tests/net/$t.sh" ||
			fail "$f $i: $t does not read $f"
		echo "$f $i ($sect: $first) -> $t"
	done < <(doc_list "$f")
	# entries for examples that are gone
	k=$(doc_list "$f" | wc -l)
	awk -v f="$f" -v k="$k" '$1 == f && $2 > k { exit 1 }' "$T_TMP/map" ||
		fail "$f has $k examples; the table names more"
done
# README 2: "make demo" and "make check".  The demo is scripts/demo, which
# t-demo runs; make check is what runs this test.
[ "$(doc_block README 2)" = "$(printf 'make demo\nmake check')" ] ||
	fail "README 2 is not make demo, make check: $(doc_block README 2)"
env -u MAKEFLAGS make -n -C "$TOP" -o deps -o all demo | grep -q '^\./scripts/demo *$' ||
	fail "make demo does not run scripts/demo"
env -u MAKEFLAGS make -n -C "$TOP" -o deps -o all demo KEEP=1 | grep -q '^\./scripts/demo --keep$' ||
	fail "make demo KEEP=1 does not run scripts/demo --keep"
grep -q '"$TOP/scripts/demo"' "$TOP/tests/net/t-demo.sh" || fail "t-demo does not run scripts/demo"
ok "$n examples, each run by a test that reads it from its page (or not a command line)"

# --- edgekit.7 example 3 and edge-routes.8 example 1: rt_protos ----------------
# With those lines in /etc/iproute2/rt_protos (a private mount), ip(8)
# names each tool's routes.
mkdir -p "$T_TMP/iproute2"
{ [ -r /etc/iproute2/rt_protos ] && cat /etc/iproute2/rt_protos; doc_block man/edgekit.7 3; } \
	>"$T_TMP/iproute2/rt_protos"
doc_block man/edge-routes.8 1 | grep -qxF -f - <(doc_block man/edgekit.7 3) ||
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
