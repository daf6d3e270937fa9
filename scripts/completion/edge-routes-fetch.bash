# SPDX-License-Identifier: ISC
# bash completion for edge-routes-fetch (scripts/edge-routes-fetch): the
# list, its options, AWS service names, Google's two lists, files.

_edge_routes_fetch()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local list=${COMP_WORDS[1]} opts=

	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "aws google cloudflare ripestat asn-yaml -h" -- "$cur"))
		return
	fi
	case $prev in
	-s)	COMPREPLY=($(compgen -W "AMAZON EC2 S3 CLOUDFRONT ROUTE53
		    ROUTE53_HEALTHCHECKS API_GATEWAY DYNAMODB GLOBALACCELERATOR" -- "$cur"))
		return ;;
	-r|-a)	return ;;
	esac
	case $list in
	aws)		opts="-s -r" ;;
	google)		opts="-r" ;;
	asn-yaml)	opts="-a" ;;
	ripestat)	((COMP_CWORD == 2)) && return ;;
	cloudflare)	;;
	*)		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -f -- "$cur"))
	[[ $list == google ]] && COMPREPLY+=($(compgen -W "goog cloud" -- "$cur"))
}
complete -F _edge_routes_fetch edge-routes-fetch
