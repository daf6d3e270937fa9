// SPDX-License-Identifier: ISC
/*
 * The wg probe: a WireGuard peer's latest handshake, through lib/wg.
 * Not yet written: lib/wg has not landed.
 */
#include "probe.h"

void
probe_wg_check(struct probe_slot *s)
{
	probe_done(s, false, 0, "unsupported");
}
