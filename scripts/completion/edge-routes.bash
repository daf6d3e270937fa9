# SPDX-License-Identifier: ISC
# bash completion for edge-routes(8): the verb first, then its options
# (interface names for -d, emitters for -e, route types for -T, table
# names for -t) and list files.

_edge_routes()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local verb=${COMP_WORDS[1]} opts

	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "sync diff dump flush aggregate -h
		    --help -V --version" -- "$cur"))
		return
	fi
	case $prev in
	-d|--dev)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return ;;
	-e|--emit)
		COMPREPLY=($(compgen -W "ip bird nft exabgp" -- "$cur"))
		return ;;
	-T|--type)
		COMPREPLY=($(compgen -W "unicast blackhole unreachable prohibit" -- "$cur"))
		return ;;
	-t|--table)
		COMPREPLY=($(compgen -W "main default $(awk '$1 ~ /^[0-9]+$/ &&
		    $1 != 0 && $1 != 253 && $1 != 254 && $1 != 255 { print $1 }' \
		    /etc/iproute2/rt_tables 2>/dev/null)" -- "$cur"))
		return ;;
	-o|--output)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-g|--via|-M|--max-delete|-m|--metric|-P|--protocol|-N|--nft-table|\
	-S|--nft-set|-i|--interval)
		return ;;
	esac
	case $verb in
	sync)	opts="-4 -6 -A -E -F -n -v -d -e -g -M -m -o -P -T -t -N -S -i
		    --ipv4 --ipv6 --no-aggregate --allow-empty --force --dry-run
		    --verbose --dev --emit --via --max-delete --metric --output
		    --protocol --type --table --nft-table --nft-set --interval" ;;
	diff)	opts="-4 -6 -A -v -d -g -m -P -T -t --ipv4 --ipv6
		    --no-aggregate --verbose --dev --via --metric --protocol
		    --type --table" ;;
	dump)	opts="-4 -6 -P -t --ipv4 --ipv6 --protocol --table" ;;
	flush)	opts="-4 -6 -n -v -P -t --ipv4 --ipv6 --dry-run --verbose
		    --protocol --table" ;;
	aggregate)
		opts="-4 -6 -A --ipv4 --ipv6 --no-aggregate" ;;
	*)	return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	case $verb in
	sync|diff|aggregate)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}
complete -F _edge_routes edge-routes
