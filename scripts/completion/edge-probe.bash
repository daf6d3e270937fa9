# SPDX-License-Identifier: ISC
# bash completion for edge-probe(8): options, then targets ("type address
# [option value ...]"): types, per-target options, interface names for
# "dev" and "wg"; the "report" verb and its options.

_edge_probe()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local types="icmp tcp tls http dns wg"
	local topts="dev src mark timeout name group sni host expect query qtype peer age"
	local i w state=opts

	COMPREPLY=()
	if [[ ${COMP_WORDS[1]} == report ]] && ((COMP_CWORD > 1)); then
		case $prev in
		-b)	return ;;
		-s)	compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
			return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-b -s" -- "$cur"))
		else
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return
	fi

	# Walk the words before the cursor: options first (the first other
	# word ends them), then types, addresses and target options.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $state in
		opts)	case $w in
			-c|--count|-f|--file|-i|--interval|-o|--output|\
			-P|--prometheus|-p|--pace|-R|--report|-S|--icmp-socket|\
			-t|--timeout|-W|--window)
				state=optarg ;;
			-*)	;;
			*)	state=addr ;;
			esac ;;
		optarg)	state=opts ;;
		addr)	state=after ;;
		after)	case " $topts " in
			*" $w "*) state=value ;;
			*)	state=addr ;;
			esac ;;
		value)	state=after ;;
		esac
	done

	case $state in
	optarg)
		case $prev in
		-f|--file|-o|--output|-P|--prometheus)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur")) ;;
		-S|--icmp-socket)
			COMPREPLY=($(compgen -W "auto ping raw" -- "$cur")) ;;
		esac ;;
	opts)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-c -f -h -i -j -n -o -P -p -q -R -S
			    -t -V -v -W --count --file --help --interval --json
			    --dry-run --output --prometheus --pace --quiet
			    --report --timeout --version --verbose --window
			    --icmp-socket" -- "$cur"))
		elif ((COMP_CWORD == 1)); then
			COMPREPLY=($(compgen -W "report $types" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$types" -- "$cur"))
		fi ;;
	addr)
		[[ $prev == wg ]] && COMPREPLY=($(compgen -W \
		    "$(ls /sys/class/net 2>/dev/null)" -- "$cur")) ;;
	after)
		COMPREPLY=($(compgen -W "$topts $types" -- "$cur")) ;;
	value)
		case $prev in
		dev)	COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")) ;;
		qtype)	COMPREPLY=($(compgen -W "A AAAA CNAME MX NS PTR SOA SRV TXT" -- "$cur")) ;;
		esac ;;
	esac
}
complete -F _edge_probe edge-probe
