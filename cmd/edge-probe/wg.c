// SPDX-License-Identifier: ISC
/*
 * The wg probe: a WireGuard peer's latest handshake and transfer counters,
 * read through lib/wg (the UAPI socket of a userspace implementation, or
 * the kernel's generic netlink family).  Up while the handshake is younger
 * than the target's age limit.  The read is a local request answered at
 * once, so it is made synchronously; its duration is the latency column.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "probe.h"
#include "wg.h"

void
probe_wg_check(struct probe_slot *s)
{
	struct probe_target *t = s->t;
	struct wg_device d;
	struct wg_peer *p;
	uint8_t key[WG_KEY_LEN];
	char detail[PROBE_DETAILLEN];
	int64_t age;
	uint64_t took;
	int rc;

	if (!wg_key_from_base64(key, t->wg_peer)) {
		probe_done(s, false, 0, "bad-key");
		return;
	}
	rc = wg_get(t->target, &d);
	took = ev_monotonic_us() - s->sent_us;
	if (rc < 0) {
		log_debug("%s: %s: %s", t->name, t->target, strerror(-rc));
		wg_device_free(&d);
		probe_done(s, false, 0, rc == -ENODEV || rc == -ENOENT ?
		    "no-device" : "error");
		return;
	}
	if (!(p = wg_peer_find(&d, key))) {
		wg_device_free(&d);
		probe_done(s, false, 0, "no-peer");
		return;
	}
	age = wg_peer_handshake_age(p, (int64_t)time(NULL));
	if (age < 0)
		snprintf(detail, sizeof(detail), "age=never,rx=%llu,tx=%llu",
		    (unsigned long long)p->rx_bytes,
		    (unsigned long long)p->tx_bytes);
	else
		snprintf(detail, sizeof(detail), "age=%llds,rx=%llu,tx=%llu",
		    (long long)age, (unsigned long long)p->rx_bytes,
		    (unsigned long long)p->tx_bytes);
	wg_device_free(&d);
	probe_done(s, age >= 0 && (uint64_t)age * 1000 <= t->wg_age_ms,
	    (uint32_t)took, detail);
}
