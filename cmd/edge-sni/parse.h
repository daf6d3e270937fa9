/* SPDX-License-Identifier: ISC */
#ifndef EDGE_SNI_PARSE_H
#define EDGE_SNI_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * The parsers edge-sni runs on the first bytes of a connection.  All are
 * pure functions over "every byte read so far": they never consume, never
 * allocate, and are called again with the longer buffer when they answer
 * SNI_MORE.
 */

/* The longest ClientHello (all records) read before giving up. */
#define SNI_HELLO_MAX	16384
/* A validated host name, without trailing dot, plus NUL. */
#define SNI_NAME_MAX	254

enum sni_result {
	SNI_MORE,	/* need more bytes */
	SNI_FOUND,	/* name set */
	SNI_NONE,	/* a complete, valid request without a name */
	SNI_BAD,	/* not this protocol, malformed, or too long */
	SNI_BADNAME,	/* a name is there but fails validation */
};

const char	*sni_result_str(enum sni_result r);

/*
 * Validate and normalise a host name: 1-253 characters after one trailing
 * dot is stripped, letters, digits, hyphens and dots only, no empty label,
 * labels of at most 63 characters not starting or ending with a hyphen,
 * not an IP address literal (a last label
 * of digits only).  Writes the lowercased name to out (SNI_NAME_MAX bytes).
 */
bool	sni_name_valid(const char *s, size_t len, char out[SNI_NAME_MAX]);

/*
 * TLS: buf holds the first len bytes of the connection.  A ClientHello may
 * span several records and any number of segments; the whole handshake
 * message must arrive within SNI_HELLO_MAX bytes.  Only the first
 * host_name entry of the server_name extension counts.
 */
enum sni_result	sni_tls_hello(const uint8_t *buf, size_t len,
		    char name[SNI_NAME_MAX]);

/* A TLS fatal alert record (unrecognized_name) to send before closing. */
extern const uint8_t	sni_tls_alert[7];

/*
 * HTTP/1.x: the Host header of a request.  SNI_FOUND once the Host line
 * is complete (a port is dropped), SNI_NONE when the header block ends
 * without one, SNI_BAD when it is not an HTTP request or the header block
 * passes max bytes.
 */
enum sni_result	sni_http_host(const uint8_t *buf, size_t len, size_t max,
		    char name[SNI_NAME_MAX]);

/*
 * PROXY protocol v1 and v2 from a front balancer.  On SNI_FOUND, *hdrlen
 * is the header's length, and src/dst hold the original addresses; *local
 * is set for v2 LOCAL and v1 UNKNOWN (the addresses are then not set, the
 * connection's own ones stand).  SNI_BAD for anything else.
 */
struct sni_proxy {
	size_t			hdrlen;
	bool			local;
	struct sockaddr_storage	src, dst;
};

enum sni_result	sni_proxy_parse(const uint8_t *buf, size_t len,
		    struct sni_proxy *p);

/* The longest v2 header sni_proxy_v2() writes (TCP over IPv6). */
#define SNI_PROXY_V2_MAX	(16 + 36)

/*
 * Write a PROXY v2 PROXY header for src -> dst into out.  Both must be the
 * same family (an IPv4-mapped IPv6 address counts as IPv4).  Returns its
 * length, or 0 when the families cannot be expressed (then a LOCAL header
 * of 16 bytes is written instead and 16 returned).
 */
size_t	sni_proxy_v2(const struct sockaddr *src, const struct sockaddr *dst,
	    uint8_t out[SNI_PROXY_V2_MAX]);

/*
 * PostgreSQL: the 8-byte SSLRequest (or GSSENCRequest) a client sends
 * before TLS.  SNI_FOUND for SSLRequest, SNI_NONE for GSSENCRequest (the
 * caller answers 'N' and expects an SSLRequest next), SNI_BAD for a plain
 * startup message or anything else.
 */
#define SNI_PG_REQLEN	8
enum sni_result	sni_pg_request(const uint8_t *buf, size_t len);
extern const uint8_t	sni_pg_sslrequest[SNI_PG_REQLEN];

#endif
