# SPDX-License-Identifier: ISC
# bash completion for edge-sni(8): its options (snid's single-dash long
# options as its usage prints them, and the short ones), modes, log
# formats, users for -u, files for -f, -a and -s, directories for
# -unix-directory.

_edge_sni()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	COMPREPLY=()
	case $prev in
	-f|-config|--config|-a|-access-log|--access-log|-s|-stats|--stats)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-m|-mode|--mode)
		COMPREPLY=($(compgen -W "nat46 tcp static unix" -- "$cur"))
		return ;;
	-unix-directory|--unix-directory)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	-F|-log-format|--log-format)
		COMPREPLY=($(compgen -W "tsv json" -- "$cur"))
		return ;;
	-u|-user|--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return ;;
	-l|-listen|--listen|-http-listen|--http-listen|-postgres-listen|\
	--postgres-listen|-P|-nat46-prefix|--nat46-prefix|-c|-backend-cidr|\
	--backend-cidr|-p|-backend-port|--backend-port|-b|-backend|--backend|\
	-H|-default-hostname|--default-hostname|-j|-workers|--workers|\
	-r|-resolver|--resolver|-T|-hello-timeout|--hello-timeout|\
	-C|-connect-timeout|--connect-timeout|-I|-idle-timeout|--idle-timeout|\
	-dns-timeout|--dns-timeout|-negative-ttl|--negative-ttl|\
	-M|-max-conns|--max-conns)
		return ;;
	esac
	COMPREPLY=($(compgen -W "-d -h -n -V -v -f -j -u -r -a -F -s -listen
	    -http-listen -postgres-listen -mode -nat46-prefix -backend-cidr
	    -backend-port -backend -unix-directory -default-hostname -proxy-proto
	    -accept-proxy
	    -hello-timeout -connect-timeout -idle-timeout -dns-timeout
	    -negative-ttl -max-conns" -- "$cur"))
}
complete -F _edge_sni edge-sni
