#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The bash completion files, as installed: each loads in a plain bash,
# registers a function for its tool, and completes verbs, options, option
# values, tunnel names from the configuration directories, interface names
# and files.  When the tools are built, what the completion offers is held
# against each tool's own usage (-h): every documented verb and option is
# offered, every offered short option is documented, and the tool accepts
# every long option offered.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/glue-lib.sh"

R=$T_TMP/root
glue_install "$R" || { cat "$T_TMP/install.log"; fail "make install failed"; }
CDIR=$R/usr/share/bash-completion/completions

# comp TOOL WORD... : COMPREPLY, one a line, for the command line
# "TOOL WORD..." with the cursor at the end of the last WORD.  The file is
# sourced in a subshell of this one, not a new bash: the load test below
# covers a fresh bash, and forks are cheaper than bash's start.
comp() {
	local tool=$1
	shift
	(
		set +eu
		source "$CDIR/$tool" || exit 3
		spec=$(complete -p "$tool") || exit 4
		fn=${spec#*-F }; fn=${fn%% *}
		COMP_WORDS=("$tool" "$@"); COMP_CWORD=$#
		COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
		"$fn" "$tool" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		for w in "${COMPREPLY[@]}"; do [ -n "$w" ] && printf '%s\n' "$w"; done
	) | sort -u
}

# want WHAT REPLY WORD...: every WORD is in REPLY.
want() {
	local what=$1 reply=$2 w
	shift 2
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$reply" ||
			fail "$what: \"$w\" not offered; got: $(echo $reply)"
	done
}

# only WHAT REPLY WORD...: REPLY is exactly the WORDs.
only() {
	local what=$1 reply=$2
	shift 2
	[ "$(printf '%s\n' "$@" | sort -u)" = "$reply" ] ||
		fail "$what: expected \"$*\", got \"$(echo $reply)\""
}

# --- each file loads and registers its function -------------------------
for t in edge-tunnel edge-routes edge-sni edge-probe edge-failover edge-routes-fetch; do
	spec=$(bash --norc --noprofile -c "source '$CDIR/$t' && complete -p $t" 2>&1) ||
		fail "$t: completion does not load: $spec"
	[[ $spec == "complete -F _"*" $t" ]] || fail "$t: registered as: $spec"
done
ok "six completion files load; complete -p names a function for each"

# --- edge-tunnel ---------------------------------------------------------
mkdir -p "$T_TMP/etc1" "$T_TMP/etc2"
printf '[Interface]\nPrivateKey = x\n' >"$T_TMP/etc1/wga.conf"
printf '# not a tunnel\n[Listener]\nListen = 443\n' >"$T_TMP/etc1/sni.conf"
printf '  [interface]\n' >"$T_TMP/etc2/wgb.conf"
export EDGE_TUNNEL_CONFDIRS="$T_TMP/etc1 $T_TMP/etc2"
only "edge-tunnel <tab>" "$(comp edge-tunnel '')" \
	up down sync diff save reresolve strip show
only "edge-tunnel up <tab>" "$(comp edge-tunnel up '')" wga wgb
only "edge-tunnel -n reresolve w<tab>" "$(comp edge-tunnel -n reresolve w)" wga wgb
only "edge-tunnel up wga <tab>" "$(comp edge-tunnel up wga '')"
want "edge-tunnel show <tab>" "$(comp edge-tunnel show '')" lo wga wgb
want "edge-tunnel <tab> paths" "$(comp edge-tunnel down "$T_TMP/etc1/w")" \
	"$T_TMP/etc1/wga.conf"
want "edge-tunnel -<tab>" "$(comp edge-tunnel -)" -n -v -h -V --dry-run
only "edge-tunnel show -<tab>" "$(comp edge-tunnel show -)" -s -k --script --show-keys
unset EDGE_TUNNEL_CONFDIRS
ok "edge-tunnel: verbs, tunnel names (only files with [Interface]), interfaces, paths, options"

# --- edge-routes ---------------------------------------------------------
only "edge-routes <tab>" "$(comp edge-routes '' | grep -v '^-')" \
	sync diff dump flush aggregate
want "edge-routes sync -d <tab>" "$(comp edge-routes sync -d '')" lo
only "edge-routes sync -e <tab>" "$(comp edge-routes sync -e '')" ip bird nft exabgp
only "edge-routes sync -T b<tab>" "$(comp edge-routes sync -T b)" blackhole
want "edge-routes diff -t <tab>" "$(comp edge-routes diff -t '')" main default
only "edge-routes dump -<tab>" "$(comp edge-routes dump -)" \
	-4 -6 -P -t --ipv4 --ipv6 --protocol --table
want "edge-routes sync <tab> files" "$(comp edge-routes sync -t 100 "$T_TMP/etc1/s")" \
	"$T_TMP/etc1/sni.conf"
only "edge-routes dump <tab>" "$(comp edge-routes dump '')"
ok "edge-routes: verbs, per-verb options, -d interfaces, -e, -T, -t, list files"

# --- edge-sni --------------------------------------------------------------
only "edge-sni -mode <tab>" "$(comp edge-sni -mode '')" nat46 tcp static unix
only "edge-sni -F <tab>" "$(comp edge-sni -F '')" tsv json
want "edge-sni -u r<tab>" "$(comp edge-sni -u r)" root
want "edge-sni -f <tab>" "$(comp edge-sni -f "$T_TMP/etc1/s")" "$T_TMP/etc1/sni.conf"
want "edge-sni -<tab>" "$(comp edge-sni -)" -f -d -n -listen -mode -backend-cidr
only "edge-sni -listen <tab>" "$(comp edge-sni -listen '')"
ok "edge-sni: options, modes, log formats, users, files"

# --- edge-probe -------------------------------------------------------------
only "edge-probe <tab>" "$(comp edge-probe '')" report icmp tcp tls http dns wg
want "edge-probe icmp ADDR <tab>" "$(comp edge-probe icmp 192.0.2.1 '')" \
	dev src mark timeout name group icmp tcp wg
only "edge-probe icmp ADDR <tab> (no value)" "$(comp edge-probe icmp 192.0.2.1 name '')"
want "edge-probe icmp ADDR dev <tab>" "$(comp edge-probe icmp 192.0.2.1 dev '')" lo
want "edge-probe ... wg <tab>" "$(comp edge-probe -i 1 icmp 192.0.2.1 dev lo wg '')" lo
only "edge-probe -i 1 tcp A:22 t<tab>" "$(comp edge-probe -i 1 tcp 192.0.2.1:22 t)" \
	timeout tcp tls
only "edge-probe -S <tab>" "$(comp edge-probe -S '')" auto ping raw
only "edge-probe dns A qtype AA<tab>" "$(comp edge-probe dns 192.0.2.53 qtype AA)" AAAA
want "edge-probe -<tab>" "$(comp edge-probe -)" -c -f -i -n -W --icmp-socket
only "edge-probe report -<tab>" "$(comp edge-probe report -)" -b -s
ok "edge-probe: options, report, target types and options, interfaces for dev and wg"

# --- edge-failover -----------------------------------------------------------
only "edge-failover <tab>" "$(comp edge-failover '')" status flush
only "edge-failover flush -<tab>" "$(comp edge-failover flush -)" -f -h --file --help
only "edge-failover status -<tab>" "$(comp edge-failover status -)" \
	-f -S -h --file --state --help
want "edge-failover -f <tab>" "$(comp edge-failover -v -f "$T_TMP/etc1/s")" \
	"$T_TMP/etc1/sni.conf"
want "edge-failover -<tab>" "$(comp edge-failover -)" -f -i -n -S -s --input
ok "edge-failover: status, flush, options, files"

# --- edge-routes-fetch ---------------------------------------------------------
lists="aws google cloudflare ripestat asn-yaml"
if [ -x "$TOP/scripts/edge-routes-fetch" ]; then
	lists=$("$TOP/scripts/edge-routes-fetch" -h | awk '$1 == "usage:" { print $3 }')
	while read -r l; do
		uo=$("$TOP/scripts/edge-routes-fetch" -h | awk -v l="$l" '$3 == l' |
			grep -o '\[-[a-z]' | tr -d '[' | sort)
		co=$(comp edge-routes-fetch "$l" -)
		[ "$uo" = "$co" ] || fail "edge-routes-fetch $l: options offered: $(echo $co); in its usage: $(echo $uo)"
	done <<<"$lists"
fi
# shellcheck disable=SC2086
only "edge-routes-fetch <tab>" "$(comp edge-routes-fetch '' | grep -v '^-')" $lists
only "edge-routes-fetch aws -<tab>" "$(comp edge-routes-fetch aws -)" -s -r
want "edge-routes-fetch aws -s E<tab>" "$(comp edge-routes-fetch aws -s E)" EC2
want "edge-routes-fetch google <tab>" "$(comp edge-routes-fetch google -r europe-west3 g)" goog
want "edge-routes-fetch cloudflare <tab>" "$(comp edge-routes-fetch cloudflare "$T_TMP/etc1/s")" \
	"$T_TMP/etc1/sni.conf"
ok "edge-routes-fetch: lists, their options, services, goog/cloud, files"

# --- against each tool's own usage -------------------------------------------
# contexts TOOL: the command-line prefixes whose options differ.
contexts() {
	case $1 in
	edge-tunnel)	printf '%s\n' "" show ;;
	edge-routes)	printf '%s\n' sync diff dump flush aggregate ;;
	edge-probe)	printf '%s\n' "" report ;;
	edge-failover)	printf '%s\n' "" status flush ;;
	*)		printf '%s\n' "" ;;
	esac
}

checked=
for t in edge-tunnel edge-routes edge-sni edge-probe edge-failover; do
	glue_have "$t" || { echo "$t not built: usage checks skipped"; continue; }
	usage=$("$BIN/$t" -h 2>&1) || fail "$t -h failed"
	u=$(usage_parse "$t" <<<"$usage")
	offered="" tried=""
	while IFS= read -r ctx; do
		# shellcheck disable=SC2086
		o=$(comp "$t" $ctx -)
		offered+=$'\n'$o
		# edge-routes' verbs share one option table, as do
		# edge-tunnel's; "report" and "status" have their own.
		case $t:$ctx in
		edge-routes:*)	run=sync ;;
		edge-tunnel:*)	run= ;;
		*)		run=$ctx ;;
		esac
		for opt in $(grep -e '^--' -e '^-[a-z][a-z-][a-z-]*' <<<"$o"); do
			case " $tried " in *" $run:$opt "*) continue ;; esac
			tried+=" $run:$opt"
			# shellcheck disable=SC2086
			err=$("$BIN/$t" $run "$opt=1" -h </dev/null 2>&1 >/dev/null) || true
			if [[ $err == *"unrecognized option"* || $err == *"invalid option"* ||
			    $err == *"unknown option"* || $err == *ambiguous* ]]; then
				fail "$t${ctx:+ $ctx}: completion offers $opt, the tool says: $err"
			fi
		done
	done < <(contexts "$t")
	shorts=$(grep -x -- '-[A-Za-z0-9]' <<<"$offered" | sort -u)
	ushorts=$(sed -n 's/^short //p' <<<"$u" | sort -u)
	[ "$shorts" = "$ushorts" ] ||
		fail "$t: short options offered: $(echo $shorts); in its usage: $(echo $ushorts)"
	for l in $(sed -n 's/^long //p' <<<"$u"); do
		grep -qxF -- "$l" <<<"$offered" || fail "$t: $l is in its usage, not offered"
	done
	verbs=$(sed -n 's/^verb //p' <<<"$u" | sort -u)
	if [ -n "$verbs" ]; then
		cv=$(comp "$t" '' | grep -v '^-' | grep -vx -e icmp -e tcp -e tls -e http -e dns -e wg)
		[ "$cv" = "$verbs" ] ||
			fail "$t: verbs offered: $(echo $cv); in its usage: $(echo $verbs)"
	fi
	if grep -q '^type ' <<<"$u"; then
		ty=$(sed -n 's/^type //p' <<<"$u" | sort -u)
		ct=$(comp "$t" '' | grep -v -e '^-' -e '^report$')
		[ "$ty" = "$ct" ] || fail "$t: types offered: $(echo $ct); in its usage: $(echo $ty)"
		to=$(sed -n 's/^topt //p' <<<"$u" | sort -u)
		co=$(comp "$t" icmp 192.0.2.1 '' | grep -vxF -f <(echo "$ty"))
		[ "$to" = "$co" ] ||
			fail "$t: target options offered: $(echo $co); in its usage: $(echo $to)"
	fi
	checked+=" $t"
done
if [ -n "$checked" ]; then
	ok "held against the tools' usage:$checked"
else
	echo "no tool built: completion not held against the tools' usage"
fi
