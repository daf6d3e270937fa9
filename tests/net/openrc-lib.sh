# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# The real openrc-run, without installing OpenRC.  Debian's openrc package
# conflicts with nothing here (apt-get -s install shows no removal), but
# its postinst adds every enabled sysvinit script to OpenRC runlevels and
# insserv's reorders /etc/rc?.d, and its /etc/init.d/rc, rcS and agetty
# would sit beside a systemd that reads /etc/init.d: not what a test may
# do to the machine.  So the packages are downloaded (apt-get download,
# not installed), unpacked once into a cache, and put in place only inside
# a private mount namespace, by overlays on /usr and /etc:
#
#   openrc_root          the unpacked tree (usr/, etc/): its path, or
#                        return 1 when the packages cannot be had
#   openrc_holder NS DIR...   a process in NS with a private mount
#                        namespace where /usr and /etc are overlaid with
#                        the tree and then DIR... (each holding usr/ or
#                        etc/ parts, the first wins), /run is empty but for
#                        /run/openrc as OpenRC makes it at boot, and a
#                        "net" service that does nothing; its pid in
#                        OPENRC_PID
#   openrc_in CMD...     run CMD in the holder's namespaces (through
#                        ${RUN_PRE[@]} when the caller sets it, e.g. to
#                        start it with a signal ignored)

openrc_root() {
	local cache=${EDGEKIT_CACHE:-/var/cache/edgekit} ver dir tmp p
	ver=$(apt-cache policy openrc 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 1
	dir=$cache/openrc-$ver
	if [ ! -x "$dir/usr/sbin/openrc-run" ]; then
		tmp=$(mktemp -d "$T_TMP/openrc.XXXXXX")
		for p in openrc librc1 libeinfo1 insserv; do
			(cd "$tmp" && { apt-get download -q "$p" >/dev/null 2>&1 ||
			    apt-get -o APT::Sandbox::User=root download -q "$p" \
			    >/dev/null 2>&1; }) || return 1
		done
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp/usr/sbin" "$dir.tmp/usr/lib" "$dir.tmp/etc"
		for p in "$tmp"/*.deb; do
			dpkg-deb -x "$p" "$tmp/x" || return 1
		done
		# Debian's /lib and /sbin are /usr/lib and /usr/sbin.
		cp -a "$tmp/x/lib/." "$dir.tmp/usr/lib/"
		cp -a "$tmp/x/usr/lib/." "$dir.tmp/usr/lib/" 2>/dev/null
		cp -a "$tmp/x/sbin/." "$dir.tmp/usr/sbin/"
		cp -a "$tmp/x/etc/." "$dir.tmp/etc/"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

openrc_holder() {
	local ns=$1 root lower_usr lower_etc d
	shift
	root=$(openrc_root) || return 1
	mkdir -p "$T_TMP/openrc-net/etc/init.d"
	cat >"$T_TMP/openrc-net/etc/init.d/net" <<-'EOF'
	#!/sbin/openrc-run
	# the network, as netifrc would provide it: already there
	depend() { provide net; }
	start() { return 0; }
	EOF
	chmod 755 "$T_TMP/openrc-net/etc/init.d/net"
	lower_usr= lower_etc=
	for d in "$@" "$T_TMP/openrc-net" "$root"; do
		[ -d "$d/usr" ] && lower_usr=$lower_usr$d/usr:
		[ -d "$d/etc" ] && lower_etc=$lower_etc$d/etc:
	done
	bg OPENRC_PID "$ns" unshare -m sh -c '
	    mount -t overlay overlay -o "lowerdir=$0" /usr &&
	    mount -t overlay overlay -o "lowerdir=$1" /etc &&
	    mount -t tmpfs tmpfs /run && mkdir -p /run/openrc && cd /run/openrc &&
	    mkdir started starting stopping inactive wasinactive failed \
		hotplugged daemons options exclusive scheduled tmp &&
	    touch softlevel && touch /run/openrc.ready && exec sleep 100000' \
		"${lower_usr}/usr" "${lower_etc}/etc"
	wait_for 5 openrc_in test -e /run/openrc.ready || return 1
}

openrc_in() {
	${RUN_PRE[@]+"${RUN_PRE[@]}"} nsenter -t "$OPENRC_PID" -m -n "$@"
}
