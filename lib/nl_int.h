/* SPDX-License-Identifier: ISC */
#ifndef EDGE_NL_INT_H
#define EDGE_NL_INT_H

/*
 * Internals shared by nl.c (socket, batches, the reply reader), nl_link.c
 * (links, addresses) and nl_route.c (routes, rules).  Not for tools.
 */
#include <libmnl/libmnl.h>

#include "nl.h"

/* Called for every data message of a reply or dump; non-zero stops the
 * calls (the rest of the reply is still read) and is returned. */
typedef int (*nl_data_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send one request built in a caller's buffer and read every reply to it.
 * A dump (NLM_F_DUMP) is read to NLMSG_DONE; anything else gets NLM_F_ACK
 * and is read to its ACK.  Returns 0, the kernel's negative errno, the
 * callback's non-zero value, or -EINTR when the kernel flagged the dump as
 * inconsistent (NLM_F_DUMP_INTR; the caller may start over).
 */
int	nl_talk(struct nl *nl, struct nlmsghdr *nlh, nl_data_cb cb, void *arg);

/* Fills a request message (family header and attributes) from an object. */
typedef int (*nl_build_fn)(struct nlmsghdr *nlh, uint16_t cmd,
	    const void *obj);
/* Append a built message to a batch; a failed build leaves the batch as
 * it was. */
int	nl_batch_build(struct nl_batch *b, uint16_t cmd, uint16_t flags,
	    nl_build_fn build, const void *obj);
/* Build one request and send it, waiting for its acknowledgement. */
int	nl_build_talk(struct nl *nl, uint16_t cmd, uint16_t flags,
	    nl_build_fn build, const void *obj);

/* Fill tb[0..max] with the attributes found from offset (the family
 * header's size) or in a nest; unknown types are skipped.  -EINVAL when
 * the message is shorter than its family header. */
int	nl_attrs(const struct nlmsghdr *nlh, size_t offset,
	    const struct nlattr **tb, unsigned max);
void	nl_attrs_nested(const struct nlattr *nest, const struct nlattr **tb,
	    unsigned max);

/* Attribute payloads, checked for length: 0 / false when too short. */
uint8_t		nl_attr_u8(const struct nlattr *a);
uint16_t	nl_attr_u16(const struct nlattr *a);
uint32_t	nl_attr_u32(const struct nlattr *a);
/* Copy a string attribute, truncated to fit and terminated; "" if NULL. */
void		nl_attr_str(const struct nlattr *a, char *buf, size_t size);
/* Copy an address of family's length; false when the length is wrong. */
bool		nl_attr_addr(const struct nlattr *a, int family,
		    union edge_addr *out);
/* 4 or 16, or 0 for an unknown family. */
size_t		nl_addr_len(int family);

/* Request buffers on the stack hold any message the builders make. */
#define NL_REQ_SIZE	NL_MSG_MAX

#endif
