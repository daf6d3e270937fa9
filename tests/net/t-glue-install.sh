#!/bin/bash
# SPDX-License-Identifier: ISC
#
# make install DESTDIR=... puts every file where the Makefile and README
# say: tools and scripts/edge-* in SBINDIR, man pages, one bash completion
# file per tool named after it, the cron examples under DOCDIR, systemd
# units by default, OpenRC or sysvinit scripts in INITDIR when INIT asks;
# every directory is overridable; the installed files name the tools by
# their installed path; bad INIT values are refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/glue-lib.sh"
source "$(dirname "$0")/doc-lib.sh"

tools="edge-tunnel edge-routes edge-sni edge-probe edge-failover"
units="edge-tunnel@.service edge-tunnel-reresolve@.service
    edge-tunnel-reresolve@.timer edge-sni.service edge-failover.service
    edge-routes@.service edge-routes@.timer"
rcs="edge-tunnel edge-sni edge-failover"

# mode FILE: its permission bits, e.g. 644.
mode() { stat -c %a "$1"; }

has() {	# FILE MODE
	[ -f "$1" ] || fail "not installed: ${1#"$R"}"
	[ "$(mode "$1")" = "$2" ] || fail "${1#"$R"}: mode $(mode "$1"), not $2"
}

# --- the defaults: PREFIX=/usr/local, systemd units --------------------
R=$T_TMP/r1
glue_install "$R" || { cat "$T_TMP/install.log"; fail "make install failed"; }
for c in $tools edge-routes-fetch; do
	has "$R/usr/share/bash-completion/completions/$c" 644
done
for u in $units; do
	has "$R/lib/systemd/system/$u" 644
done
has "$R/usr/local/share/doc/edgekit/examples/edgekit.cron" 644
has "$R/usr/local/share/man/man7/edgekit.7" 644
for m in "$TOP"/man/*.[1-9]; do
	has "$R/usr/local/share/man/man${m##*.}/${m##*/}" 644
done
for t in "$TOP"/bin/edge-*; do
	[ -e "$t" ] || continue
	has "$R/usr/local/sbin/${t##*/}" 755
done
for s in "$TOP"/scripts/edge-*; do
	[ -f "$s" ] && [ -x "$s" ] || continue
	has "$R/usr/local/sbin/${s##*/}" 755
done
# SBINDIR holds programs only (scripts/ has other files named edge-*).
for f in "$R"/usr/local/sbin/*; do
	[ -x "$f" ] && head -c 2 "$f" | grep -q '#!\|.E' ||
		fail "${f#"$R"} is not a program"
done
# Where Debian keeps these: what systemd's and bash-completion's
# pkg-config files say, when they are here.
want=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || true)
[ -z "$want" ] || [ -f "$R$want/edge-failover.service" ] ||
	fail "units not in $want (systemd.pc's systemdsystemunitdir)"
want=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || true)
[ -z "$want" ] || [ -f "$R$want/edge-failover" ] ||
	fail "completion not in $want (bash-completion.pc's completionsdir)"
manpath 2>/dev/null | tr : '\n' | grep -qx /usr/local/share/man ||
	! command -v manpath >/dev/null || fail "/usr/local/share/man is not in man's path"
[ -e "$R/etc/init.d" ] && fail "rc scripts installed without INIT asking"
ok "defaults: tools, scripts, man pages, completion, cron example, units, where Debian looks for them"

# No placeholder is left; units, rc scripts and cron name the installed tools.
if grep -rl '@[A-Z]*@' "$R"/lib "$R"/usr/local/share/doc; then
	fail "placeholders left in installed files"
fi
grep -q '^ExecStart=/usr/local/sbin/edge-tunnel up %i$' \
	"$R/lib/systemd/system/edge-tunnel@.service" ||
	fail "edge-tunnel@.service does not name /usr/local/sbin/edge-tunnel"
grep -q '^PATH=/usr/local/sbin:' "$R/usr/local/share/doc/edgekit/examples/edgekit.cron" ||
	fail "the cron example's PATH lacks SBINDIR"
ok "installed files name /usr/local/sbin"

# --- everything overridden; INIT=sysvinit plus systemd -----------------
R=$T_TMP/r2
glue_install "$R" PREFIX=/usr SYSTEMDUNITDIR=/usr/lib/systemd/system \
	BASHCOMPDIR=/usr/share/bash-completion/completions-test \
	INITDIR=/etc/rc.d/init.d DOCDIR=/usr/share/doc/edgekit-test \
	INIT="systemd sysvinit" ||
	{ cat "$T_TMP/install.log"; fail "make install (overridden) failed"; }
for u in $units; do has "$R/usr/lib/systemd/system/$u" 644; done
for r in $rcs; do
	has "$R/etc/rc.d/init.d/$r" 755
	head -n 1 "$R/etc/rc.d/init.d/$r" | grep -q '^#!/bin/sh$' ||
		fail "$r: not the sysvinit script"
	grep -q '=/usr/sbin/\?$\|=/usr/sbin/edge-' "$R/etc/rc.d/init.d/$r" ||
		fail "$r does not name /usr/sbin"
	grep -q '/usr/local' "$R/etc/rc.d/init.d/$r" && fail "$r names /usr/local"
done
for c in $tools; do has "$R/usr/share/bash-completion/completions-test/$c" 644; done
has "$R/usr/share/doc/edgekit-test/examples/edgekit.cron" 644
grep -q '^ExecStart=/usr/sbin/edge-sni ' "$R/usr/lib/systemd/system/edge-sni.service" ||
	fail "PREFIX=/usr: edge-sni.service does not name /usr/sbin/edge-sni"
[ -e "$R/lib" ] && fail "something went to /lib despite SYSTEMDUNITDIR"
[ -e "$R/usr/local" ] && fail "something went to /usr/local despite PREFIX"
ok "PREFIX, SYSTEMDUNITDIR, BASHCOMPDIR, INITDIR, DOCDIR honoured; sysvinit scripts"

# --- INIT=openrc only: no units ----------------------------------------
R=$T_TMP/r3
glue_install "$R" INIT=openrc ||
	{ cat "$T_TMP/install.log"; fail "make install INIT=openrc failed"; }
for r in $rcs; do
	has "$R/etc/init.d/$r" 755
	head -n 1 "$R/etc/init.d/$r" | grep -q '^#!/sbin/openrc-run$' ||
		fail "$r: not the OpenRC script"
done
[ -e "$R/lib/systemd" ] && fail "INIT=openrc installed systemd units"
ok "INIT=openrc: OpenRC scripts only"

R=$T_TMP/r4
glue_install "$R" INIT= || { cat "$T_TMP/install.log"; fail "INIT= failed"; }
[ -e "$R/lib" ] || [ -e "$R/etc" ] && fail "INIT= installed service files"
has "$R/usr/share/bash-completion/completions/edge-tunnel" 644
ok "INIT= (none): no service files"

# --- refused ------------------------------------------------------------
for bad in "openrc sysvinit" "upstart"; do
	R=$T_TMP/bad
	if glue_install "$R" INIT="$bad"; then
		fail "INIT=\"$bad\" was accepted"
	fi
	grep -q "INIT" "$T_TMP/install.log" || fail "INIT=\"$bad\": no message"
	[ -e "$R" ] && fail "INIT=\"$bad\": installed something"
done
ok "INIT=\"openrc sysvinit\" and INIT=upstart refused, nothing installed"

# --- the README's make install lines, as written (DESTDIR: this test's) ---
n=$(doc_list README | awk -F'\t' '$2 == "Installing" && $3 ~ /^make install/ { print $1 }')
[ -n "$n" ] || fail "README: no make install lines"
k=0
while IFS= read -r line; do
	k=$((k + 1))
	mapfile -t w < <(unit_words "$line")
	[ "${w[0]} ${w[1]}" = "make install" ] || fail "README: \"$line\" is not make install"
	args=()
	for a in "${w[@]:2}"; do
		case $a in DESTDIR=*) ;; *) args+=("$a") ;; esac
	done
	R=$T_TMP/readme$k
	glue_install "$R" "${args[@]}" </dev/null ||
		{ cat "$T_TMP/install.log"; fail "README: $line"; }
	case " ${args[*]} " in
	*" INIT=openrc "*) has "$R/etc/init.d/edge-failover" 755 ;;
	*" INIT= "*) [ -e "$R/etc" ] || [ -e "$R/lib" ] && fail "README: $line installed service files" ;;
	*sysvinit*) has "$R/lib/systemd/system/edge-failover.service" 644
		has "$R/etc/init.d/edge-failover" 755
		has "$R/usr/sbin/edge-routes-fetch" 755 ;;
	esac
	echo "README: $line"
done < <(doc_block README "$n")
[ $k -eq 3 ] || fail "README: $k make install lines, this test knows 3"
ok "the README's $k make install lines install what they say"
