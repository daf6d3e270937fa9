#!/bin/bash
# SPDX-License-Identifier: ISC
#
# edge-tunnel hooks run in bash, as wg-quick's do: PreUp, PostUp, PreDown
# and PostDown written with bash-only syntax ([[ ]], process substitution,
# $BASH_VERSION) run in order with %i replaced, and the PostUp of
# wg-quick(8)'s own example form (wg set %i private-key <(...)) sets the
# key.  With no bash in PATH they fall back to /bin/sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tunnel-lib.sh"

ns_make A a
tun_name IA a
tun_key KA PA
tun_key KB PB
tun_key KC PC
LOG=$T_TMP/hooks.log
printf '%s\n' "$KC" > "$T_TMP/key"
chmod 600 "$T_TMP/key"

CA=$(tun_conf "$IA" <<CONF
[Interface]
PrivateKey = $KA
Address = 10.77.0.1/24
PreUp = [[ -n "%i" && ! -e /sys/class/net/%i ]] && echo "preup %i \$0" >> $LOG
PostUp = [[ -e /sys/class/net/%i ]] && echo "postup %i \${BASH_VERSION%%.*}" >> $LOG
PostUp = wg set %i private-key <(cat $T_TMP/key)
PreDown = read -r k < <(wg show %i public-key) && echo "predown \$k" >> $LOG
PostDown = [[ ! -e /sys/class/net/%i ]] && echo "postdown %i" >> $LOG

[Peer]
PublicKey = $PB
AllowedIPs = 10.77.0.2/32
CONF
)
et "$A" up "$CA" 2> "$T_TMP/err" || fail "up with bash hooks: $(cat "$T_TMP/err")"
[ "$(nsx "$A" wg show "$IA" public-key)" = "$PC" ] ||
	fail "PostUp's wg set ... <(...) did not set the key"
et "$A" down "$CA" 2> "$T_TMP/err" || fail "down: $(cat "$T_TMP/err")"
printf '%s\n' "preup $IA bash" "postup $IA ${BASH_VERSION%%.*}" "predown $PC" \
	"postdown $IA" > "$T_TMP/want"
diff -u "$T_TMP/want" "$LOG" || fail "hooks did not run as bash, in order"
ok "PreUp, PostUp, PreDown, PostDown ran in bash ([[ ]], <(...)), in order"

# No bash in PATH: /bin/sh runs them ($0 is sh).
mkdir "$T_TMP/nobash"
: > "$LOG"
sed -i '/^\(PreUp\|PostUp\|PreDown\|PostDown\) = /d' "$CA"
sed -i "s|^Address = .*|&\nPostUp = echo \"postup %i \$0\" >> $LOG|" "$CA"
nsx "$A" env PATH="$T_TMP/nobash" \
	WG_QUICK_USERSPACE_IMPLEMENTATION="$(command -v wireguard-go)" \
	"$ET" up "$CA" 2> "$T_TMP/err" || fail "up without bash: $(cat "$T_TMP/err")"
grep -qx "postup $IA sh" "$LOG" || fail "without bash: $(cat "$LOG")"
et "$A" down "$CA" 2>/dev/null || fail "down"
ok "without bash in PATH the hooks run in /bin/sh"
