// SPDX-License-Identifier: ISC
/*
 * Carrying out a plan: one kernel request per step, each undoable when a
 * failed up is rolled back; the userspace WireGuard fallback; hooks; the
 * state file recording what this interface owns.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "log.h"
#include "plan.h"
#include "spawn.h"

/* ---- carrying it out ---- */

static int
hook_run(const struct tunnel_conf *tc, const char *cmd)
{
	char *s = NULL, *out;
	size_t len = 0;
	FILE *f;
	const char *p;
	int rc;

	/* %i is the interface name, as in wg-quick. */
	if ((f = open_memstream(&s, &len)) == NULL)
		return -1;
	for (p = cmd; *p; p++) {
		if (p[0] == '%' && p[1] == 'i') {
			fputs(tc->name, f);
			p++;
		} else
			fputc(*p, f);
	}
	fclose(f);
	out = s;
	/* In bash, as wg-quick runs them (its hooks are bash: wg-quick(8)'s
	 * own example uses process substitution); /bin/sh only where there
	 * is no bash in PATH. */
	{
		const char *argv[] = { "bash", "-c", out, NULL };

		rc = spawn_wait(argv, NULL);
		if (rc == -ENOENT) {
			log_debug("no bash in PATH: hook run by /bin/sh");
			rc = spawn_sh_wait(out, NULL);
		}
	}
	free(out);
	return rc;
}

static int
ifindex_of(struct nl *nl, const char *name)
{
	return name[0] ? nl_ifindex(nl, name) : 0;
}

static int
create_wg(struct nl *nl, const char *name)
{
	struct nl_link_info li;
	const char *impl, *argv[3];
	pid_t pid;
	int rc, i, st;

	memset(&li, 0, sizeof(li));
	li.kind = "wireguard";
	if ((rc = nl_link_add(nl, name, &li)) == 0)
		return 0;
	if (rc == -EEXIST)
		return rc;
	/* No kernel module: a userspace implementation, as wg-quick. */
	impl = getenv("WG_QUICK_USERSPACE_IMPLEMENTATION");
	if (impl == NULL || impl[0] == '\0')
		impl = "wireguard-go";
	log_debug("%s: the kernel cannot make a wireguard link (%s); "
	    "starting %s", name, strerror(-rc), impl);
	argv[0] = impl;
	argv[1] = name;
	argv[2] = NULL;
	if ((rc = spawn(argv, NULL, &pid)) < 0) {
		log_warnx("%s: cannot start %s: %s", name, impl,
		    strerror(-rc));
		return rc;
	}
	for (i = 0; i < 500; i++) {
		if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) {
			pid = 0;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				log_warnx("%s: %s failed", name, impl);
				return -EIO;
			}
		}
		if (wg_uapi_exists(name) && nl_ifindex(nl, name) > 0)
			return 0;
		usleep(10000);
	}
	log_warnx("%s: %s did not make the interface", name, impl);
	return -ETIMEDOUT;
}

static int
write_sysctl(const char *path, const char *value)
{
	int fd, rc = 0;
	ssize_t n;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
tunnel_apply_one(struct nl *nl, const struct tunnel_conf *tc, struct act *a,
    char *err, size_t errlen)
{
	int idx, rc = 0;

	err[0] = '\0';
	switch (a->type) {
	case A_HOOK:
		rc = hook_run(tc, a->u.hook);
		if (rc != 0) {
			snprintf(err, errlen, "hook exited %d", rc);
			return rc < 0 ? rc : -ECHILD;
		}
		return 0;
	case A_WG_CREATE:
		return create_wg(nl, a->ifname);
	case A_WG_SET:
		if (a->u.wg == NULL)
			return 0;
		return wg_set(a->u.wg);
	case A_SYSCTL:
		return write_sysctl(a->sysctl_path[0] != '\0' ?
		    a->sysctl_path : a->u.sysctl.path, a->u.sysctl.value);
	case A_NAT_APPLY:
		return tunnel_nat_apply(tc, err, errlen);
	case A_NAT_DEL:
		return tunnel_nat_delete(tc->name);
	case A_SAVE:
		return tunnel_save(tc, err, errlen);
	case A_DNS_SET:
		return tunnel_dns_set(tc, err, errlen);
	case A_DNS_DEL:
		return tunnel_dns_unset(tc->name, err, errlen);
	case A_STATE_DEL: {
		char path[256];

		tunnel_state_path(tc->name, path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	case A_ROUTE_ADD:
	case A_ROUTE_DEL:
		if (a->other[0] != '\0') {
			if ((idx = ifindex_of(nl, a->other)) < 0)
				return idx;
			a->u.route.oif = (uint32_t)idx;
		}
		return a->type == A_ROUTE_ADD ?
		    nl_route_add(nl, &a->u.route, false) :
		    nl_route_del(nl, &a->u.route);
	case A_RULE_ADD:
		return nl_rule_add(nl, &a->u.rule);
	case A_RULE_DEL:
		return nl_rule_del(nl, &a->u.rule);
	case A_LINK_ADD:
		return nl_link_add(nl, a->ifname, &a->u.li);
	default:
		break;
	}
	if ((idx = nl_ifindex(nl, a->ifname)) < 0)
		return idx;
	switch (a->type) {
	case A_LINK_DEL:
		rc = nl_link_del(nl, (uint32_t)idx);
		break;
	case A_LINK_MTU:
		rc = nl_link_set_mtu(nl, (uint32_t)idx, a->u.mtu);
		break;
	case A_LINK_UP:
		rc = nl_link_set_up(nl, (uint32_t)idx, true);
		break;
	case A_LINK_MASTER: {
		int m = a->other[0] ? nl_ifindex(nl, a->other) : 0;

		if (m < 0)
			return m;
		rc = nl_link_set_master(nl, (uint32_t)idx, (uint32_t)m);
		break;
	}
	case A_CSUM_OFF:
		return tunnel_offload_csum_off(a->ifname);
	case A_CSUM_ON:
		return tunnel_offload_csum_on(a->ifname);
	case A_BRIDGE_MAXAGE:
		rc = nl_bridge_set_max_age(nl, (uint32_t)idx, a->u.mtu);
		break;
	case A_BRIDGE_SET:
		rc = nl_bridge_set(nl, (uint32_t)idx, a->u.br.stp, a->u.br.fd);
		break;
	case A_ADDR_ADD:
		a->u.addr.ifindex = (uint32_t)idx;
		rc = nl_addr_add(nl, &a->u.addr);
		break;
	case A_ADDR_DEL:
		a->u.addr.ifindex = (uint32_t)idx;
		rc = nl_addr_del(nl, &a->u.addr);
		break;
	default:
		rc = -EINVAL;
	}
	return rc;
}

bool
tunnel_batchable(enum act_type t)
{
	return t == A_ADDR_ADD || t == A_ADDR_DEL || t == A_ROUTE_ADD ||
	    t == A_ROUTE_DEL || t == A_RULE_ADD || t == A_RULE_DEL;
}

struct batch_ctx {
	struct act	*v;
	size_t		*map;		/* batch message -> step */
	int		 nfailed;
};

static void
batch_err(void *arg, size_t idx, int err, const char *msg)
{
	struct batch_ctx *c = arg;

	(void)msg;
	c->v[c->map[idx]].err = err;
	c->v[c->map[idx]].done = false;
	c->nfailed++;
}

/* An interface index, remembering the last name asked: the steps of a
 * run mostly name the same link. */
static int
cached_ifindex(struct nl *nl, const char *name, char last[IFNAMSIZ],
    int *lastidx)
{
	if (last[0] != '\0' && strcmp(last, name) == 0)
		return *lastidx;
	*lastidx = nl_ifindex(nl, name);
	strlcpy(last, name, IFNAMSIZ);
	return *lastidx;
}

int
tunnel_apply_batch(struct nl *nl, struct act *v, size_t n)
{
	struct batch_ctx c = { v, NULL, 0 };
	struct nl_batch *b;
	char last[IFNAMSIZ] = "";
	size_t i, nmsg = 0;
	int idx = 0, lastidx = 0, rc = 0;

	if ((c.map = calloc(n, sizeof(*c.map))) == NULL)
		return -ENOMEM;
	if ((b = nl_batch_new(nl)) == NULL) {
		free(c.map);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct act *a = &v[i];

		a->err = 0;
		switch (a->type) {
		case A_ADDR_ADD:
		case A_ADDR_DEL:
			if ((idx = cached_ifindex(nl, a->ifname, last,
			    &lastidx)) < 0)
				break;
			a->u.addr.ifindex = (uint32_t)idx;
			rc = nl_addr_msg(b, a->type == A_ADDR_ADD ?
			    RTM_NEWADDR : RTM_DELADDR, a->type == A_ADDR_ADD ?
			    NLM_F_CREATE | NLM_F_EXCL : 0, &a->u.addr);
			break;
		case A_ROUTE_ADD:
		case A_ROUTE_DEL:
			if (a->other[0] != '\0') {
				if ((idx = cached_ifindex(nl, a->other, last,
				    &lastidx)) < 0)
					break;
				a->u.route.oif = (uint32_t)idx;
			}
			idx = 0;
			rc = nl_route_msg(b, a->type == A_ROUTE_ADD ?
			    RTM_NEWROUTE : RTM_DELROUTE, a->type ==
			    A_ROUTE_ADD ? NLM_F_CREATE | NLM_F_EXCL : 0,
			    &a->u.route);
			break;
		case A_RULE_ADD:
		case A_RULE_DEL:
			idx = 0;
			rc = nl_rule_msg(b, a->type == A_RULE_ADD ?
			    RTM_NEWRULE : RTM_DELRULE, a->type == A_RULE_ADD ?
			    NLM_F_CREATE | NLM_F_EXCL : 0, &a->u.rule);
			break;
		default:
			rc = -EINVAL;
		}
		if (idx < 0 || rc < 0) {
			/* Not sent: the link is gone, or it did not build. */
			a->err = idx < 0 ? idx : rc;
			c.nfailed++;
			idx = 0;
			rc = 0;
			continue;
		}
		c.map[nmsg++] = i;
		a->done = true;
	}
	if (nmsg > 0 && (rc = nl_batch_commit(b, batch_err, &c)) < 0) {
		/* Outcomes unknown: a rollback tries every step. */
		for (i = 0; i < nmsg; i++)
			v[c.map[i]].done = true;
	}
	nl_batch_free(b);
	free(c.map);
	return rc < 0 ? rc : c.nfailed;
}

/* Undo one done action of a failed up, best effort. */
void
tunnel_undo_one(struct nl *nl, const struct tunnel_conf *tc, struct act *a)
{
	int idx;

	switch (a->type) {
	case A_WG_CREATE:
	case A_LINK_ADD:
		if ((idx = nl_ifindex(nl, a->ifname)) > 0)
			nl_link_del(nl, (uint32_t)idx);
		break;
	case A_ADDR_ADD:
		nl_addr_del(nl, &a->u.addr);
		break;
	case A_ROUTE_ADD:
		nl_route_del(nl, &a->u.route);
		break;
	case A_RULE_ADD:
		nl_rule_del(nl, &a->u.rule);
		break;
	case A_NAT_APPLY:
		tunnel_nat_delete(tc->name);
		break;
	case A_DNS_SET: {
		char err[256];

		tunnel_dns_unset(tc->name, err, sizeof(err));
		break;
	}
	default:
		break;
	}
}

/* Whether this run made the object of key: a done step adding it. */
static bool
made_here(const struct plan *pl, enum act_type type, const char *key)
{
	char k[400];
	size_t i;

	for (i = 0; i < pl->n; i++) {
		const struct act *a = &pl->v[i];

		if (a->type != type || !a->done)
			continue;
		if (type == A_RULE_ADD)
			tunnel_rule_key(&a->u.rule, false, k, sizeof(k));
		else if (type == A_ROUTE_ADD)
			tunnel_route_key(&a->u.route, a->other, k, sizeof(k));
		else
			snprintf(k, sizeof(k), "link %s", a->ifname);
		if (strcmp(k, key) == 0)
			return true;
	}
	return false;
}

/*
 * Record what this interface owns beyond its link: rules, routes not on
 * its link, wires and bridges.  Owned means made by edge-tunnel for this
 * interface: recorded by an earlier run, or made by this one.  An object
 * the file wants that was already there is used but not recorded, so down
 * leaves it as it found it.
 */
int
tunnel_state_write(const struct tunnel_conf *tc, const struct want *w,
    const struct live *lv, const struct plan *pl)
{
	char path[256], tmp[300], k[400];
	size_t i;
	FILE *f;
	int fd;

	/* Shared with edge-failover, whose state "edge-failover status" may
	 * read unprivileged; the files themselves are 0600. */
	if (mkdir(TUNNEL_STATE_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	tunnel_state_path(tc->name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return -errno;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -errno;
	}
	for (i = 0; i < w->nrules; i++) {
		tunnel_rule_key(&w->rules[i], false, k, sizeof(k));
		if (tunnel_owned(lv, k) || made_here(pl, A_RULE_ADD, k))
			fprintf(f, "%s\n", k);
	}
	for (i = 0; i < w->nroutes; i++) {
		if (strcmp(w->route_oif[i], tc->name) == 0)
			continue;
		tunnel_route_key(&w->routes[i], w->route_oif[i], k, sizeof(k));
		if (tunnel_owned(lv, k) || made_here(pl, A_ROUTE_ADD, k))
			fprintf(f, "%s\n", k);
	}
	for (i = 0; i < tc->nwires + tc->nbridges; i++) {
		snprintf(k, sizeof(k), "link %s", i < tc->nwires ?
		    tc->wires[i].name : tc->bridges[i - tc->nwires].name);
		if (tunnel_owned(lv, k) || made_here(pl, A_LINK_ADD, k))
			fprintf(f, "%s\n", k);
	}
	/* resolvconf holds a record under the interface's name. */
	if (tc->ndns > 0)
		fprintf(f, "dns\n");
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

