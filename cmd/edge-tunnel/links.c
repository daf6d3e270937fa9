// SPDX-License-Identifier: ISC
/*
 * VXLAN wires and STP bridges: what to create, change or remove so the
 * live links match the file, and the MTU check down the stack (WireGuard,
 * then VXLAN, then the bridge).
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "plan.h"

static uint32_t
wire_mtu(const struct tunnel_wire *wi, uint32_t tmtu)
{
	return wi->mtu ? wi->mtu : tmtu - tunnel_vxlan_overhead(wi->family);
}

/* Whether the UDP checksum setting of a live wire is what the file says:
 * Checksum = off is no IPv4 checksums, or zero IPv6 checksums sent and
 * accepted. */
static bool
vxlan_no_csum(const struct nl_link *l)
{
	if (l->vxlan.family == AF_INET6)
		return l->vxlan.zero_csum6_tx && l->vxlan.zero_csum6_rx;
	return !l->vxlan.udp_csum;
}

/* Whether a live VXLAN link is the wire; why not in why. */
static bool
vxlan_same(const struct nl_link *l, const struct tunnel_wire *wi,
    char *why, size_t len)
{
	size_t n = wi->family == AF_INET ? 4 : 16;

	if (strcmp(l->kind, "vxlan") != 0 || l->vxlan.id != wi->vni ||
	    l->vxlan.port != wi->port || l->vxlan.family != wi->family ||
	    memcmp(&l->vxlan.local, &wi->local, n) != 0 ||
	    memcmp(&l->vxlan.remote, &wi->remote, n) != 0) {
		snprintf(why, len, "vxlan settings changed");
		return false;
	}
	/* The kernel cannot change it on a running link: recreated. */
	if (vxlan_no_csum(l) != wi->no_csum) {
		snprintf(why, len, "udp checksums %s, the file says %s",
		    vxlan_no_csum(l) ? "off" : "on",
		    wi->no_csum ? "off" : "on");
		return false;
	}
	return true;
}

static bool
in_config_links(const struct tunnel_conf *tc, const char *name)
{
	size_t i;

	for (i = 0; i < tc->nwires; i++)
		if (strcmp(tc->wires[i].name, name) == 0)
			return true;
	for (i = 0; i < tc->nbridges; i++)
		if (strcmp(tc->bridges[i].name, name) == 0)
			return true;
	return false;
}

void
tunnel_plan_links(struct plan *pl, struct nl *nl, const struct tunnel_conf *tc,
    const struct live *lv, uint32_t tmtu, bool down)
{
	struct act *a;
	size_t i;

	/* Links recorded in the state file but gone from the file. */
	for (i = 0; i < lv->nowned; i++) {
		const char *name;
		const struct nl_link *l;

		if (strncmp(lv->owned[i], "link ", 5) != 0)
			continue;
		name = lv->owned[i] + 5;
		if (!down && in_config_links(tc, name))
			continue;
		if ((l = tunnel_live_link(lv, name)) == NULL)
			continue;
		if (strcmp(l->kind, "vxlan") != 0 &&
		    strcmp(l->kind, "bridge") != 0)
			continue;
		tunnel_plan_add(pl, A_LINK_DEL, name, "- link %s (%s)", name,
		    l->kind);
	}
	/* down removes the links recorded above and nothing else: a link
	 * of a configured name that edge-tunnel did not make is not its. */
	if (down)
		return;

	/*
	 * A bridge or wire of a configured name that is there but not
	 * recorded as this tunnel's was made by someone else (a LAN bridge,
	 * another tunnel, ip(8)).  Taking it over would change its settings,
	 * strip its addresses, and remove it on down: refused instead.
	 */
	for (i = 0; i < tc->nwires + tc->nbridges; i++) {
		bool wire = i < tc->nwires;
		const char *name = wire ? tc->wires[i].name :
		    tc->bridges[i - tc->nwires].name;
		unsigned int line = wire ? tc->wires[i].line :
		    tc->bridges[i - tc->nwires].line;
		char key[IFNAMSIZ + 8];

		snprintf(key, sizeof(key), "link %s", name);
		if (tunnel_live_link(lv, name) == NULL ||
		    tunnel_owned(lv, key))
			continue;
		log_warnx("%s:%u: %s %s exists and was not made by edge-tunnel "
		    "for %s; refusing to take it over (remove it or choose "
		    "another Name)", tc->path, line, wire ? "wire" : "bridge",
		    name, tc->name);
		pl->failed = true;
	}
	if (pl->failed)
		return;

	for (i = 0; i < tc->nbridges; i++) {
		const struct tunnel_bridge *b = &tc->bridges[i];
		const struct nl_link *l = tunnel_live_link(lv, b->name);

		if (l != NULL && strcmp(l->kind, "bridge") != 0) {
			log_warnx("%s:%u: %s exists and is not a bridge (%s); "
			    "left alone", tc->path, b->line, b->name,
			    l->kind[0] ? l->kind : "no kind");
			pl->failed = true;
			continue;
		}
		if (l == NULL) {
			a = tunnel_plan_add(pl, A_LINK_ADD, b->name, "+ link %s type "
			    "bridge stp %s forward_delay %u", b->name,
			    b->stp ? "on" : "off", b->forward_delay / 100);
			if (a != NULL) {
				a->u.li.kind = "bridge";
				a->u.li.mtu = b->mtu;
				a->u.li.u.bridge.stp = b->stp;
				a->u.li.u.bridge.forward_delay =
				    b->forward_delay;
				a->u.li.u.bridge.max_age = b->max_age;
			}
		} else if ((l->bridge.stp_state != 0) != b->stp ||
		    (b->forward_delay != 0 &&
		    l->bridge.forward_delay != b->forward_delay)) {
			a = tunnel_plan_add(pl, A_BRIDGE_SET, b->name, "~ bridge %s "
			    "stp %s forward_delay %u", b->name,
			    b->stp ? "on" : "off", b->forward_delay / 100);
			if (a != NULL) {
				a->u.br.stp = b->stp;
				a->u.br.fd = b->forward_delay;
			}
		}
		if (l != NULL && b->max_age != 0 &&
		    l->bridge.max_age != b->max_age &&
		    (a = tunnel_plan_add(pl, A_BRIDGE_MAXAGE, b->name, "~ bridge "
		    "%s max_age %u", b->name, b->max_age / 100)) != NULL)
			a->u.mtu = b->max_age;
		if (l != NULL && b->mtu != 0 && l->mtu != b->mtu &&
		    (a = tunnel_plan_add(pl, A_LINK_MTU, b->name, "~ link %s mtu %u "
		    "(now %u)", b->name, b->mtu, l->mtu)) != NULL)
			a->u.mtu = b->mtu;
	}
	for (i = 0; i < tc->nwires; i++) {
		const struct tunnel_wire *wi = &tc->wires[i];
		const struct nl_link *l = tunnel_live_link(lv, wi->name);
		const struct nl_link *br = wi->bridge[0] ?
		    tunnel_live_link(lv, wi->bridge) : NULL;
		uint32_t mtu = wire_mtu(wi, tmtu);
		char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], why[64];

		if (l != NULL && strcmp(l->kind, "vxlan") != 0) {
			log_warnx("%s:%u: %s exists and is not a VXLAN link; "
			    "left alone", tc->path, wi->line, wi->name);
			pl->failed = true;
			continue;
		}
		if (l != NULL && !vxlan_same(l, wi, why, sizeof(why))) {
			tunnel_plan_add(pl, A_LINK_DEL, wi->name, "- link %s (%s)",
			    wi->name, why);
			l = NULL;
		}
		addr_ntop(wi->family, &wi->local, la, sizeof(la));
		addr_ntop(wi->family, &wi->remote, ra, sizeof(ra));
		if (l == NULL) {
			a = tunnel_plan_add(pl, A_LINK_ADD, wi->name, "+ link %s type "
			    "vxlan id %u local %s remote %s dstport %u mtu %u%s",
			    wi->name, wi->vni, la, ra, wi->port, mtu,
			    wi->no_csum ? " noudpcsum" : "");
			if (a != NULL) {
				a->u.li.kind = "vxlan";
				a->u.li.mtu = mtu;
				a->u.li.u.vxlan.id = wi->vni;
				a->u.li.u.vxlan.family = wi->family;
				a->u.li.u.vxlan.local = wi->local;
				a->u.li.u.vxlan.remote = wi->remote;
				a->u.li.u.vxlan.port = wi->port;
				a->u.li.u.vxlan.no_udp_csum = wi->no_csum;
				a->u.li.u.vxlan.learning = true;
			}
		} else if (l->mtu != mtu &&
		    (a = tunnel_plan_add(pl, A_LINK_MTU, wi->name, "~ link %s mtu %u "
		    "(now %u)", wi->name, mtu, l->mtu)) != NULL)
			a->u.mtu = mtu;
		if (wi->bridge[0] != '\0' && (l == NULL || br == NULL ||
		    l->master != br->ifindex)) {
			a = tunnel_plan_add(pl, A_LINK_MASTER, wi->name, "~ link %s "
			    "master %s", wi->name, wi->bridge);
			if (a != NULL)
				strlcpy(a->other, wi->bridge, sizeof(a->other));
		} else if (wi->bridge[0] == '\0' && l != NULL &&
		    l->master != 0) {
			a = tunnel_plan_add(pl, A_LINK_MASTER, wi->name, "~ link %s "
			    "nomaster", wi->name);
		}
		/* Checksum = off: offload is turned off when the wire is made
		 * and checked on every run (ethtool -K can turn it on).
		 * Checksum = on: a new link has it on; a live one that has it
		 * off (by hand) gets it back. */
		if (wi->no_csum && l == NULL)
			tunnel_plan_add(pl, A_CSUM_OFF, wi->name,
			    "~ link %s checksum offload off", wi->name);
		else if (wi->no_csum && tunnel_offload_csum_get(wi->name) > 0)
			tunnel_plan_add(pl, A_CSUM_OFF, wi->name,
			    "~ link %s checksum offload off (now on)",
			    wi->name);
		else if (!wi->no_csum && l != NULL &&
		    tunnel_offload_csum_get(wi->name) == 0)
			tunnel_plan_add(pl, A_CSUM_ON, wi->name,
			    "~ link %s checksum offload on (now off)",
			    wi->name);
		if ((l == NULL || !(l->flags & IFF_UP)))
			tunnel_plan_add(pl, A_LINK_UP, wi->name, "~ link %s up",
			    wi->name);
	}
	for (i = 0; i < tc->nbridges; i++) {
		const struct tunnel_bridge *b = &tc->bridges[i];
		const struct nl_link *l = tunnel_live_link(lv, b->name);

		if (l != NULL && strcmp(l->kind, "bridge") != 0)
			continue;
		tunnel_plan_addrs(pl, nl, b->name, l, b->addrs, b->naddrs);
		if (l == NULL || !(l->flags & IFF_UP))
			tunnel_plan_add(pl, A_LINK_UP, b->name, "~ link %s up",
			    b->name);
	}
}

/*
 * A bridge port with a larger MTU than a wire of the same bridge would
 * hand the wire frames it must drop.  Reported, not changed.
 */
int
tunnel_check_stack_mtu(const struct tunnel_conf *tc, const struct live *lv,
    uint32_t tmtu)
{
	size_t i, j;
	int problems = 0;

	for (i = 0; i < tc->nwires; i++) {
		const struct tunnel_wire *wi = &tc->wires[i];
		const struct nl_link *br, *wl;
		uint32_t mtu = wire_mtu(wi, tmtu);

		if (mtu + tunnel_vxlan_overhead(wi->family) > tmtu) {
			log_warnx("%s:%u: wire %s MTU %u does not fit tunnel "
			    "%s (MTU %u): full frames are dropped", tc->path,
			    wi->line, wi->name, mtu, tc->name, tmtu);
			problems++;
		}
		if (wi->bridge[0] == '\0' ||
		    (br = tunnel_live_link(lv, wi->bridge)) == NULL ||
		    (wl = tunnel_live_link(lv, wi->name)) == NULL)
			continue;
		for (j = 0; j < lv->nlinks; j++) {
			const struct nl_link *p = &lv->links[j].l;

			if (p->master != br->ifindex || p->mtu <= mtu)
				continue;
			log_warnx("bridge %s: port %s has MTU %u, more than "
			    "wire %s carries (%u): its full frames are dropped",
			    wi->bridge, p->name, p->mtu, wi->name, mtu);
			problems++;
		}
	}
	return problems;
}

