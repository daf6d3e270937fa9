#!/bin/bash
# SPDX-License-Identifier: ISC
#
# lib/nl against the real kernel: the "nl" Check suite (tests/unit/check_nl.c:
# links, addresses, rules, 10,000 routes in table 1000 dumped back and
# deleted, a batch with one bad route among 1,000).  Each of its tests makes
# its own network namespace, so it needs root: this harness reports the
# suite as skipped without, instead of tests/run's unit loop counting tests
# that never ran.  Run here in a namespace of its own as well, so nothing
# it does can reach the host even if a test's unshare were skipped.
source "$(dirname "$0")/lib.sh"

[ -x "$TOP/tests/unit/check-all" ] || skip "tests/unit/check-all is not built (make first)"
ns_make NS nl
nsx "$NS" env CK_RUN_SUITE=nl CK_VERBOSITY=normal "$TOP/tests/unit/check-all" ||
	fail "the nl suite failed"
ok "lib/nl against the kernel"
