// SPDX-License-Identifier: ISC
/*
 * edge-tunnel: WireGuard tunnels and everything around them (addresses,
 * MTU, routes, policy rules, NAT, VXLAN wires and bridges) from one file,
 * idempotently.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tunnel.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: edge-tunnel [-nv] up | down | sync | diff | save CONFIG\n"
	    "       edge-tunnel [-nv] reresolve CONFIG\n"
	    "       edge-tunnel strip CONFIG\n"
	    "       edge-tunnel show [-sk] INTERFACE | CONFIG\n"
	    "       edge-tunnel -h | -V\n"
	    "CONFIG is NAME (/etc/edgekit/NAME.conf, /etc/wireguard/NAME.conf)"
	    " or a path.\n");
}

static int
load(const char *arg, struct tunnel_conf *tc)
{
	char path[4096], ifname[IFNAMSIZ], err[1024];

	if (tunnel_conf_path(arg, path, sizeof(path), ifname, err,
	    sizeof(err)) < 0 ||
	    tunnel_conf_load(tc, path, ifname, err, sizeof(err)) < 0) {
		/* Never a key in err: the parser leaves key values out. */
		log_warnx("%s", err);
		tunnel_conf_free(tc);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run",	no_argument,	NULL, 'n' },
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "script",	no_argument,	NULL, 's' },
		{ "show-keys",	no_argument,	NULL, 'k' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	struct tunnel_opts o;
	struct tunnel_conf tc;
	const char *verb;
	bool script = false, keys = false;
	char err[512];
	int ch, rc, verbose = 0;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "nvskhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			o.dry_run = true;
			break;
		case 'v':
			verbose++;
			break;
		case 's':
			script = true;
			break;
		case 'k':
			keys = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("edge-tunnel %s\n", EDGEKIT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	log_init("edge-tunnel", 1, verbose);
	o.verbose = verbose;
	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	verb = argv[0];

	if (strcmp(verb, "show") == 0) {
		char path[4096], ifname[IFNAMSIZ];

		/* A name is an interface; a path names one by its file. */
		if (strchr(argv[1], '/') != NULL) {
			if (tunnel_conf_path(argv[1], path, sizeof(path),
			    ifname, err, sizeof(err)) < 0) {
				log_warnx("%s", err);
				return 2;
			}
		} else if (strlcpy(ifname, argv[1], sizeof(ifname)) >=
		    sizeof(ifname)) {
			log_warnx("%s: interface name too long", argv[1]);
			return 2;
		}
		return tunnel_show(ifname, script, keys);
	}

	if (load(argv[1], &tc) < 0)
		return 2;
	if (strcmp(verb, "strip") == 0) {
		rc = tunnel_strip(&tc);
	} else if (strcmp(verb, "reresolve") == 0) {
		rc = tunnel_reresolve(&tc, &o);
	} else if (strcmp(verb, "up") == 0 || strcmp(verb, "down") == 0 ||
	    strcmp(verb, "sync") == 0 || strcmp(verb, "diff") == 0 ||
	    strcmp(verb, "save") == 0) {
		enum tunnel_verb v = verb[0] == 'u' ? VERB_UP :
		    verb[0] == 'd' && verb[1] == 'o' ? VERB_DOWN :
		    strcmp(verb, "save") == 0 ? VERB_SAVE :
		    verb[0] == 's' ? VERB_SYNC : VERB_DIFF;

		if (v != VERB_DOWN && v != VERB_SAVE && tunnel_resolve(&tc, NULL, err,
		    sizeof(err)) > 0) {
			/* An unresolved name keeps its peer without an
			 * endpoint, as a roaming peer; reresolve finds it
			 * later. */
			log_warnx("%s", err);
		}
		rc = tunnel_run(&tc, v, &o);
		if (rc < 0)
			rc = 1;
		else if (v == VERB_DIFF)
			rc = rc > 0 ? 1 : 0;
		else
			rc = 0;
	} else {
		log_warnx("unknown verb \"%s\"", verb);
		usage(stderr);
		rc = 2;
	}
	tunnel_conf_free(&tc);
	return rc;
}
