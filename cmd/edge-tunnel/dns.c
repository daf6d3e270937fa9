// SPDX-License-Identifier: ISC
/*
 * DNS = through resolvconf(8), as wg-quick does it: the interface's
 * nameserver and search lines are handed to "resolvconf -a IFACE -m 0 -x"
 * on its standard input and taken back with "resolvconf -d IFACE -f".
 * IFACE is the interface's name behind the prefix Debian's resolvconf
 * orders tunnels by (the first "word*" line of
 * /etc/resolvconf/interface-order, "tun." there; none with openresolv).
 * What resolvconf holds is read back with "resolvconf -l IFACE"
 * (openresolv) or from Debian resolvconf's interface directory, so diff
 * can see drift.  The program is $EDGE_TUNNEL_RESOLVCONF when set, else
 * resolvconf from PATH; it runs through posix_spawn, never a shell.
 */
#define _GNU_SOURCE
#include <sys/types.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "tunnel.h"

#define INTERFACE_ORDER	"/etc/resolvconf/interface-order"
#define DEBIAN_IFACEDIR	"/etc/resolvconf/run/interface"

static const char *
program(void)
{
	const char *p = getenv("EDGE_TUNNEL_RESOLVCONF");

	return p != NULL && p[0] != '\0' ? p : "resolvconf";
}

/* wg-quick's resolvconf_iface_prefix. */
static void
iface_name(const char *ifname, char *buf, size_t len)
{
	char line[256], prefix[64] = "";
	FILE *f;
	size_t n, i;

	if ((f = fopen(INTERFACE_ORDER, "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			n = strlen(line);
			if (n < 2 || n >= sizeof(prefix) || line[n - 1] != '*')
				continue;
			for (i = 0; i < n - 1; i++)
				if (!isalnum((unsigned char)line[i]) &&
				    line[i] != '-')
					break;
			if (i < n - 1)
				continue;
			line[n - 1] = '\0';
			snprintf(prefix, sizeof(prefix), "%s.", line);
			break;
		}
		fclose(f);
	}
	snprintf(buf, len, "%s%s", prefix, ifname);
}

static bool
is_addr(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

void
tunnel_dns_text(const struct tunnel_conf *tc, char *buf, size_t len)
{
	size_t i;
	bool search = false;

	buf[0] = '\0';
	/* As wg-quick: addresses are name servers, anything else a search
	 * domain, all search domains on one line. */
	for (i = 0; i < tc->ndns; i++) {
		if (!is_addr(tc->dns[i]))
			continue;
		strlcat(buf, "nameserver ", len);
		strlcat(buf, tc->dns[i], len);
		strlcat(buf, "\n", len);
	}
	for (i = 0; i < tc->ndns; i++) {
		if (is_addr(tc->dns[i]))
			continue;
		strlcat(buf, search ? " " : "search ", len);
		strlcat(buf, tc->dns[i], len);
		search = true;
	}
	if (search)
		strlcat(buf, "\n", len);
}

/* Keep only the nameserver and search lines of what resolvconf holds. */
static void
keep_lines(const char *in, char *buf, size_t len)
{
	const char *p = in, *e;
	char line[512];
	size_t n;

	buf[0] = '\0';
	while (*p != '\0') {
		e = strchr(p, '\n');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			if (strncmp(line, "nameserver ", 11) == 0 ||
			    strncmp(line, "search ", 7) == 0) {
				strlcat(buf, line, len);
				strlcat(buf, "\n", len);
			}
		}
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* Run argv with in (may be NULL) on its standard input and, when out is
 * not NULL, its standard output collected there.  Returns the exit
 * status or -errno. */
static int
run(const char *const argv[], const char *in, char *out, size_t outlen)
{
	int ip[2] = { -1, -1 }, op[2] = { -1, -1 }, nullfd = -1, rc;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (out != NULL)
		out[0] = '\0';
	if (in != NULL) {
		/* A few lines: they fit the pipe, so write them first. */
		if (pipe2(ip, O_CLOEXEC) < 0)
			return -errno;
		if (write(ip[1], in, strlen(in)) != (ssize_t)strlen(in)) {
			rc = -errno;
			goto out;
		}
		close(ip[1]);
		ip[1] = -1;
	}
	if (out != NULL && pipe2(op, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	/* Reading back, "nothing held" is an answer, not an error: its
	 * message is not passed on. */
	if (out != NULL && (nullfd = open("/dev/null", O_WRONLY |
	    O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = spawn_io(argv, NULL, ip[0], op[1], nullfd, &pid)) < 0)
		goto out;
	if (op[1] >= 0) {
		close(op[1]);
		op[1] = -1;
		for (;;) {
			char drop[512];

			if (got + 1 < outlen)
				n = read(op[0], out + got, outlen - got - 1);
			else
				n = read(op[0], drop, sizeof(drop));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (got + 1 < outlen)
				got += (size_t)n;
		}
		out[got] = '\0';
	}
	rc = spawn_reap(pid);
out:
	if (nullfd >= 0)
		close(nullfd);
	if (ip[0] >= 0)
		close(ip[0]);
	if (ip[1] >= 0)
		close(ip[1]);
	if (op[0] >= 0)
		close(op[0]);
	if (op[1] >= 0)
		close(op[1]);
	return rc;
}

int
tunnel_dns_read(const char *ifname, char *buf, size_t len)
{
	const char *argv[] = { program(), "-l", NULL, NULL };
	char name[IFNAMSIZ + 64], path[256], *raw;
	FILE *f;
	size_t n;
	int rc;

	buf[0] = '\0';
	iface_name(ifname, name, sizeof(name));
	argv[2] = name;
	if ((raw = malloc(8192)) == NULL)
		return 0;
	rc = run(argv, NULL, raw, 8192);
	if (rc == 0) {
		keep_lines(raw, buf, len);
		free(raw);
		return 1;
	}
	/* openresolv: exit 2 and nothing held for that name. */
	if (rc == 2 && raw[0] == '\0' && access(DEBIAN_IFACEDIR, F_OK) < 0) {
		free(raw);
		return 1;
	}
	/* Debian's resolvconf has no -l: its own directory, as wg-quick
	 * reads it for SaveConfig. */
	if (access(DEBIAN_IFACEDIR, F_OK) == 0) {
		snprintf(path, sizeof(path), "%s/%s", DEBIAN_IFACEDIR, name);
		if ((f = fopen(path, "re")) == NULL) {
			free(raw);
			return errno == ENOENT ? 1 : 0;
		}
		n = fread(raw, 1, 8191, f);
		raw[n] = '\0';
		fclose(f);
		keep_lines(raw, buf, len);
		free(raw);
		return 1;
	}
	free(raw);
	return 0;
}

int
tunnel_dns_set(const struct tunnel_conf *tc, char *err, size_t errlen)
{
	const char *argv[] = { program(), "-a", NULL, "-m", "0", "-x", NULL };
	char name[IFNAMSIZ + 64], text[4096];
	int rc;

	iface_name(tc->name, name, sizeof(name));
	argv[2] = name;
	tunnel_dns_text(tc, text, sizeof(text));
	rc = run(argv, text, NULL, 0);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", argv[0], strerror(-rc));
	else if (rc != 0)
		snprintf(err, errlen, "%s -a %s exited %d", argv[0], name, rc);
	return rc == 0 ? 0 : rc < 0 ? rc : -EIO;
}

int
tunnel_dns_unset(const char *ifname, char *err, size_t errlen)
{
	const char *argv[] = { program(), "-d", NULL, "-f", NULL };
	char name[IFNAMSIZ + 64];
	int rc;

	iface_name(ifname, name, sizeof(name));
	argv[2] = name;
	rc = run(argv, NULL, NULL, 0);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", argv[0], strerror(-rc));
	else if (rc != 0)
		snprintf(err, errlen, "%s -d %s exited %d", argv[0], name, rc);
	return rc == 0 ? 0 : rc < 0 ? rc : -EIO;
}
