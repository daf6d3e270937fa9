# SPDX-License-Identifier: ISC
# bash completion for edge-failover(8): the daemon's options, the
# "status" and "flush" verbs, files for -f, -i and -S.

_edge_failover()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	COMPREPLY=()
	case $prev in
	-f|--file|-i|--input|-S|--state)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	if ((COMP_CWORD > 1)); then
		case ${COMP_WORDS[1]} in
		status)	COMPREPLY=($(compgen -W "-f -S -h --file --state --help" -- "$cur"))
			return ;;
		flush)	COMPREPLY=($(compgen -W "-f -h --file --help" -- "$cur"))
			return ;;
		esac
	fi
	if ((COMP_CWORD == 1)) && [[ $cur != -* ]]; then
		COMPREPLY=($(compgen -W "status flush" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W "-f -h -i -n -S -s -V -v --file --help
	    --input --dry-run --state --syslog --version --verbose" -- "$cur"))
}
complete -F _edge_failover edge-failover
