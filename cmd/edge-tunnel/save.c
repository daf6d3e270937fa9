// SPDX-License-Identifier: ISC
/*
 * SaveConfig = true, and the save verb: the live interface written back to
 * its file, as wg-quick's save_config does it, before down takes the
 * interface away.  From the kernel (or wireguard-go) come the addresses,
 * the private key, listen port and fwmark, every peer, the MTU when the
 * file sets one, and the DNS lines resolvconf holds.  Unlike wg-quick,
 * everything else in the file is kept as written: comments, hooks, Table,
 * edgekit's own keys and its [Wire] and [Bridge] sections, a
 * PrivateKeyFile, and a peer's Endpoint name and Table.  The new file is
 * written beside the old one with mode 0600, flushed to disk, and renamed
 * over it, so a reader sees the old file or the new one, never half.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "log.h"
#include "tunnel.h"

/* Keys of [Interface] whose values come from the live interface. */
static const char *const live_keys[] = {
	"Address", "DNS", "MTU", "PrivateKey", "ListenPort", "FwMark",
};

struct addrs {
	FILE	*f;
};

static int
addr_cb(const struct nl_addr *a, void *arg)
{
	struct addrs *s = arg;
	struct prefix p = { .family = a->family, .len = a->prefixlen,
	    .addr = a->addr };
	char b[PREFIX_STRLEN];

	if (a->scope == RT_SCOPE_LINK || a->scope == RT_SCOPE_HOST)
		return 0;
	fprintf(s->f, "Address = %s\n", prefix_ntop(&p, b, sizeof(b)));
	return 0;
}

/* The key of a "Key = value" line, lowercase-compared by the caller; ""
 * for blank lines and comments, "[" for a section header. */
static void
line_key(const char *line, char *key, size_t len, char *sect, size_t slen)
{
	const char *p = line, *e;
	size_t n;

	key[0] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#' || *p == '\0' || *p == '\n' || *p == '\r')
		return;
	if (*p == '[') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchr(p, ']');
		n = e != NULL ? (size_t)(e - p) : 0;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		snprintf(sect, slen, "%.*s", (int)n, p);
		strlcpy(key, "[", len);
		return;
	}
	if ((e = strchr(p, '=')) == NULL)
		return;
	n = (size_t)(e - p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	snprintf(key, len, "%.*s", (int)n, p);
}

static bool
is_live_key(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(live_keys) / sizeof(live_keys[0]); i++)
		if (strcasecmp(key, live_keys[i]) == 0)
			return true;
	return false;
}

static void
put_dns(FILE *f, const char *held)
{
	char copy[2048], *line, *save = NULL, *w, *ws = NULL;

	strlcpy(copy, held, sizeof(copy));
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "nameserver ", 11) == 0) {
			fprintf(f, "DNS = %s\n", line + 11);
			continue;
		}
		if (strncmp(line, "search ", 7) != 0)
			continue;
		/* wg-quick keeps only the name servers; search domains are
		 * DNS values too, so they are kept here. */
		for (w = strtok_r(line + 7, " \t", &ws); w != NULL;
		    w = strtok_r(NULL, " \t", &ws))
			fprintf(f, "DNS = %s\n", w);
	}
}

static void
put_table(FILE *f, const struct tunnel_peer_extra *x)
{
	if (!x->has_table)
		return;
	if (x->table_mode == TABLE_AUTO)
		fprintf(f, "Table = auto\n");
	else if (x->table_mode == TABLE_OFF)
		fprintf(f, "Table = off\n");
	else
		fprintf(f, "Table = %u\n", x->table);
}

static void
put_peers(FILE *f, const struct tunnel_conf *tc, const struct wg_device *d)
{
	char k[WG_KEY_B64_LEN], b[PREFIX_STRLEN], ep[80];
	uint8_t zero[WG_KEY_LEN] = { 0 };
	size_t i, j, n;

	for (i = 0; i < d->npeers; i++) {
		const struct wg_peer *p = &d->peers[i];
		const struct tunnel_peer_extra *x = NULL;

		for (n = 0; n < tc->wg.npeers; n++)
			if (wg_key_equal(tc->wg.peers[n].public_key,
			    p->public_key))
				x = &tc->px[n];
		fprintf(f, "%s[Peer]\n", i > 0 ? "\n" : "");
		wg_key_to_base64(k, p->public_key);
		fprintf(f, "PublicKey = %s\n", k);
		if (!wg_key_equal(p->preshared_key, zero)) {
			wg_key_to_base64(k, p->preshared_key);
			fprintf(f, "PresharedKey = %s\n", k);
			explicit_bzero(k, sizeof(k));
		}
		if (p->nallowedips > 0) {
			fprintf(f, "AllowedIPs = ");
			for (j = 0; j < p->nallowedips; j++)
				fprintf(f, "%s%s", j > 0 ? ", " : "",
				    prefix_ntop(&p->allowedips[j], b,
				    sizeof(b)));
			fprintf(f, "\n");
		}
		/* A name stays a name: reresolve follows it. */
		if (x != NULL && x->host != NULL)
			fprintf(f, "Endpoint = %s:%s\n", x->host, x->port);
		else if (p->endpoint.sa.sa_family == AF_INET ||
		    p->endpoint.sa.sa_family == AF_INET6)
			fprintf(f, "Endpoint = %s\n", wg_endpoint_ntop(
			    &p->endpoint, ep, sizeof(ep)));
		if (p->keepalive != 0)
			fprintf(f, "PersistentKeepalive = %u\n", p->keepalive);
		if (x != NULL)
			put_table(f, x);
	}
}

/* The [Interface] lines that come from the live interface. */
static int
put_interface(FILE *f, const struct tunnel_conf *tc, const struct wg_device *d,
    bool had_mtu, bool had_fwmark, bool had_keyfile)
{
	struct addrs as = { f };
	struct nl_link l;
	struct nl nl;
	char k[WG_KEY_B64_LEN], held[2048];
	size_t i;
	int rc;

	if ((rc = nl_open(&nl, NETLINK_ROUTE)) < 0)
		return rc;
	if ((rc = nl_link_get(&nl, tc->name, &l)) == 0)
		rc = nl_addr_dump(&nl, AF_UNSPEC, l.ifindex, addr_cb, &as);
	nl_close(&nl);
	if (rc < 0)
		return rc;
	if (tunnel_dns_read(tc->name, held, sizeof(held)) == 1)
		put_dns(f, held);
	else
		/* resolvconf cannot be read back: the file's DNS. */
		for (i = 0; i < tc->ndns; i++)
			fprintf(f, "DNS = %s\n", tc->dns[i]);
	if (had_mtu)
		fprintf(f, "MTU = %u\n", l.mtu);
	if (!had_keyfile && (d->flags & WG_DEVICE_HAS_PRIVATE_KEY)) {
		wg_key_to_base64(k, d->private_key);
		fprintf(f, "PrivateKey = %s\n", k);
		explicit_bzero(k, sizeof(k));
	}
	if (d->listen_port != 0)
		fprintf(f, "ListenPort = %u\n", d->listen_port);
	/* Table = auto's own mark is made again by up: not written. */
	if (had_fwmark || (d->fwmark != 0 && d->fwmark != tc->auto_fwmark))
		fprintf(f, "FwMark = %s%x\n", "0x", d->fwmark);
	return 0;
}

int
tunnel_save(const struct tunnel_conf *tc, char *err, size_t errlen)
{
	struct wg_device d;
	char tmp[4096], dir[4096], *line = NULL, key[128], sect[64] = "";
	bool had_mtu = false, had_fwmark = false, had_keyfile = false;
	bool in_iface = false, in_peer = false, peers_done = false;
	size_t cap = 0;
	FILE *in = NULL, *out = NULL;
	int fd = -1, dfd, rc;

	err[0] = '\0';
	tmp[0] = '\0';
	wg_device_init(&d, tc->name);
	if ((rc = wg_get(tc->name, &d)) < 0) {
		snprintf(err, errlen, "reading %s: %s", tc->name,
		    strerror(-rc));
		goto out;
	}
	if ((in = fopen(tc->path, "re")) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tc->path, strerror(errno));
		goto out;
	}
	/* Which live keys the file sets: MTU and FwMark are written only
	 * then, as wg-quick writes MTU. */
	while (getline(&line, &cap, in) > 0) {
		line_key(line, key, sizeof(key), sect, sizeof(sect));
		if (strcmp(key, "[") == 0)
			in_iface = strcasecmp(sect, "Interface") == 0;
		else if (in_iface && strcasecmp(key, "MTU") == 0)
			had_mtu = true;
		else if (in_iface && strcasecmp(key, "FwMark") == 0)
			had_fwmark = true;
		else if (in_iface && strcasecmp(key, "PrivateKeyFile") == 0)
			had_keyfile = true;
	}
	rewind(in);
	in_iface = false;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", tc->path) >=
	    (int)sizeof(tmp)) {
		rc = -ENAMETOOLONG;
		snprintf(err, errlen, "%s: name too long", tc->path);
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0 || fchmod(fd, 0600) < 0 ||
	    (out = fdopen(fd, "w")) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	while (getline(&line, &cap, in) > 0) {
		size_t n = strlen(line);

		line_key(line, key, sizeof(key), sect, sizeof(sect));
		if (strcmp(key, "[") == 0) {
			in_iface = strcasecmp(sect, "Interface") == 0;
			in_peer = strcasecmp(sect, "Peer") == 0;
			if (in_peer) {
				/* Every [Peer] is replaced by the live
				 * peers, where the first one was. */
				if (!peers_done)
					put_peers(out, tc, &d);
				peers_done = true;
				continue;
			}
			fputs(line, out);
			if (n > 0 && line[n - 1] != '\n')
				fputc('\n', out);
			if (in_iface && (rc = put_interface(out, tc, &d,
			    had_mtu, had_fwmark, had_keyfile)) < 0) {
				snprintf(err, errlen, "reading %s: %s",
				    tc->name, strerror(-rc));
				goto out;
			}
			continue;
		}
		if (in_peer)
			continue;
		if (in_iface && key[0] != '\0' && is_live_key(key))
			continue;
		fputs(line, out);
		if (n > 0 && line[n - 1] != '\n')
			fputc('\n', out);
	}
	if (!peers_done && d.npeers > 0) {
		fputc('\n', out);
		put_peers(out, tc, &d);
	}
	if (ferror(in) || fflush(out) != 0 || fsync(fileno(out)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(out) != 0) {
		out = NULL;
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	out = NULL;
	if (rename(tmp, tc->path) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tc->path, strerror(errno));
		goto out;
	}
	/* The rename itself on disk. */
	strlcpy(dir, tc->path, sizeof(dir));
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (out != NULL)
		fclose(out);
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp[0] != '\0')
		unlink(tmp);
	if (in != NULL)
		fclose(in);
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	wg_device_free(&d);
	return rc;
}
