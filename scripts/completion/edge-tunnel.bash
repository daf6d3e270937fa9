# SPDX-License-Identifier: ISC
# bash completion for edge-tunnel(8): verbs, options, tunnel names (the
# *.conf files with an [Interface] section in /etc/edgekit and
# /etc/wireguard; EDGE_TUNNEL_CONFDIRS overrides the list), interface
# names for "show", paths when the word has a slash.

_edge_tunnel_configs()
{
	local d f
	for d in ${EDGE_TUNNEL_CONFDIRS:-/etc/edgekit /etc/wireguard}; do
		for f in "$d"/*.conf; do
			[[ -r $f ]] || continue
			grep -qis '^[[:space:]]*\[Interface\]' "$f" || continue
			f=${f##*/}
			printf '%s\n' "${f%.conf}"
		done
	done
}

_edge_tunnel()
{
	local cur=${COMP_WORDS[COMP_CWORD]} verb= w i nargs=0
	local verbs="up down sync diff save reresolve strip show"

	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-*)	;;
		*)	if [[ -z $verb ]]; then verb=$w; else nargs=$((nargs + 1)); fi ;;
		esac
	done

	if [[ $cur == -* ]]; then
		case $verb in
		'')	COMPREPLY=($(compgen -W "-n -v -s -k -h -V --dry-run
			    --verbose --script --show-keys --help --version" -- "$cur")) ;;
		show)	COMPREPLY=($(compgen -W "-s -k --script --show-keys" -- "$cur")) ;;
		strip)	;;
		*)	COMPREPLY=($(compgen -W "-n -v --dry-run --verbose" -- "$cur")) ;;
		esac
		return
	fi
	if [[ -z $verb ]]; then
		COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		return
	fi
	((nargs == 0)) || return
	if [[ $cur == */* ]]; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	case $verb in
	show)	COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)
		    $(_edge_tunnel_configs)" -- "$cur")) ;;
	up|down|sync|diff|save|reresolve|strip)
		COMPREPLY=($(compgen -W "$(_edge_tunnel_configs)" -- "$cur")) ;;
	esac
}
complete -F _edge_tunnel edge-tunnel
