#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# make demo KEEP=1 (scripts/demo --keep): every step works and the lab
# stays up: its namespaces, the tunnel (an IPv6 client still reaches
# srv1), edge-sni and the failover pipeline.  The commands it prints to
# explore the lab work as printed; the take-down lines it prints, run as
# printed, leave no namespace, process, wireguard-go socket,
# /run/edgekit tunnel state or lab directory behind.
source "$(dirname "$0")/lib.sh"
for t in edge-tunnel edge-sni edge-routes edge-probe edge-failover; do
	[ -x "$BIN/$t" ] || fail "$t is not built"
done
export LAB="$T_ID"
source "$TOP/scripts/lab"	# the lab's names and addresses (nothing is run)
# Whatever happens, nothing of the kept lab outlives the test.
keep_cleanup() {
	local rc=$? n
	set +e
	for n in $(ip netns list | awk -v p="^$LAB-" '$1 ~ p { print $1 }'); do
		ip netns pids "$n" | xargs -r kill -9
		ip netns del "$n"
	done
	rm -rf "$LAB_TMP" "/var/run/wireguard/$TUN_VPS.sock" "/var/run/wireguard/$TUN_HOME.sock" \
	    "/run/edgekit/tunnel-$TUN_VPS.state" "/run/edgekit/tunnel-$TUN_HOME.state"
	(exit "$rc")
	t_cleanup
}
trap keep_cleanup EXIT
lab_nss() { ip netns list | awk -v p="^$LAB-" '$1 ~ p { print $1 }'; }

# The lab's processes outlive the demo: its output goes to a file, not a
# pipe that they would hold open.
"$TOP/scripts/demo" --keep >"$T_TMP/demo.out" 2>&1 || { cat "$T_TMP/demo.out"; fail "the demo failed"; }
cat "$T_TMP/demo.out"
grep -q '^demo: every step worked$' "$T_TMP/demo.out" || fail "no \"every step worked\""
grep -q 'step .*teardown' "$T_TMP/demo.out" && fail "--keep ran the teardown step"

# --- the lab is still up -------------------------------------------------------
for r in $LAB_ROLES; do
	ip netns list | grep -q "^$LAB-$r\\b" || fail "--keep: namespace $LAB-$r is gone"
done
pids=$(for n in $(lab_nss); do ip netns pids "$n"; done)
for p in edge-sni edge-probe edge-failover wireguard-go nginx dnsmasq; do
	for q in $pids; do [ "$(cat "/proc/$q/comm" 2>/dev/null)" = "$p" ] && continue 2; done
	fail "--keep: $p no longer runs in the lab"
done
[ -S "/var/run/wireguard/$TUN_HOME.sock" ] && [ -S "/var/run/wireguard/$TUN_VPS.sock" ] ||
	fail "--keep: no wireguard-go socket"
[ -f "/run/edgekit/tunnel-$TUN_HOME.state" ] && [ -f "/run/edgekit/tunnel-$TUN_VPS.state" ] &&
	[ -d "$LAB_TMP" ] || fail "--keep: no tunnel state files or lab directory"
lx client6 ping -c 1 -W 3 "$V6_SRV1" >/dev/null || fail "--keep: the IPv6 client no longer reaches srv1"
ok "--keep: the $(lab_nss | wc -l) namespaces, edge-sni, the failover pipeline and the tunnel are up"

# --- the printed commands ----------------------------------------------------------
# printed FROM TO: the lines after the one that is FROM, up to the one that
# is TO, the three spaces in front removed.
printed() {
	awk -v a="$1" -v b="$2" '$0 == b { p = 0 } p { sub(/^   /, ""); print } $0 == a { p = 1 }' \
		"$T_TMP/demo.out"
}
mapfile -t explore < <(printed "Explore with, for example:" "Take it down with:")
[ ${#explore[@]} -ge 2 ] || fail "no explore commands printed"
for c in "${explore[@]}"; do
	echo "+ $c"
	out=$(bash -c "$c" 2>"$T_TMP/explore.err") ||
		fail "explore: \"$c\" failed: $out $(cat "$T_TMP/explore.err")"
	echo "$out"
	case $c in
	*" ip route") grep -q '^default via' <<<"$out" || fail "explore: no default route: $out" ;;
	*curl*) [ "$out" = "www on srv1" ] || fail "explore: curl through edge-sni gave \"$out\"" ;;
	esac
done
ok "the explore commands work as printed: the home's routes, and srv1 through edge-sni from the IPv4 client"

mapfile -t down < <(printed "Take it down with:" "")
[ ${#down[@]} -ge 1 ] || fail "no take-down lines printed"
for c in "${down[@]}"; do
	echo "+ $c"
	bash -c "$c" || fail "take-down: \"$c\" failed"
done
[ -z "$(lab_nss)" ] || fail "take-down left namespaces: $(lab_nss | paste -sd' ')"
for q in $pids; do
	wait_for 3 sh -c "! kill -0 $q" || fail "take-down left pid $q ($(cat /proc/$q/comm 2>/dev/null)) running"
done
for f in "/var/run/wireguard/$TUN_VPS.sock" "/var/run/wireguard/$TUN_HOME.sock" \
    "/run/edgekit/tunnel-$TUN_VPS.state" "/run/edgekit/tunnel-$TUN_HOME.state" "$LAB_TMP"; do
	[ ! -e "$f" ] || fail "take-down left $f"
done
ok "the printed take-down leaves no namespace, process, wireguard-go socket, tunnel state or $LAB_TMP"
