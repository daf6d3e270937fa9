/* SPDX-License-Identifier: ISC */
#ifndef EDGE_WG_H
#define EDGE_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "prefix.h"

struct nlmsghdr;

/*
 * WireGuard devices: one model, two transports.
 *
 *  - userspace implementations (wireguard-go, boringtun): the UAPI text
 *    protocol on WG_UAPI_DIR/NAME.sock, keys in hex;
 *  - the kernel: generic netlink family "wireguard" over libmnl.  A get is
 *    a dump whose peers and allowed IPs may span several messages; a set
 *    that does not fit one message is split into several.
 *
 * wg_get()/wg_set() pick the transport as wg(8) does: the UAPI socket when
 * one exists for the name, the kernel otherwise.  Nothing prints; functions
 * return 0 or a negative errno.  Private keys are wiped when a device is
 * freed.
 */

#define WG_KEY_LEN	32
#define WG_KEY_B64_LEN	45	/* 44 characters and the NUL */
#define WG_KEY_HEX_LEN	65
#define WG_UAPI_DIR	"/var/run/wireguard"

/* struct wg_device flags: which fields are meaningful (get) or to be set. */
#define WG_DEVICE_HAS_PRIVATE_KEY	0x01
#define WG_DEVICE_HAS_PUBLIC_KEY	0x02
#define WG_DEVICE_HAS_LISTEN_PORT	0x04
#define WG_DEVICE_HAS_FWMARK		0x08
#define WG_DEVICE_REPLACE_PEERS		0x10	/* set: drop peers not listed */

/* struct wg_peer flags. */
#define WG_PEER_HAS_PRESHARED_KEY	0x01	/* all zeros: none / remove */
#define WG_PEER_HAS_KEEPALIVE		0x02	/* 0: off */
#define WG_PEER_HAS_ENDPOINT		0x04
#define WG_PEER_REMOVE			0x08	/* set: remove this peer */
#define WG_PEER_REPLACE_ALLOWEDIPS	0x10	/* set: list replaces the old */
#define WG_PEER_UPDATE_ONLY		0x20	/* set: don't create */

union wg_endpoint {
	struct sockaddr		sa;		/* sa_family 0: none */
	struct sockaddr_in	in;
	struct sockaddr_in6	in6;
};

struct wg_peer {
	uint32_t		flags;
	uint8_t			public_key[WG_KEY_LEN];
	uint8_t			preshared_key[WG_KEY_LEN];
	union wg_endpoint	endpoint;
	uint16_t		keepalive;	/* seconds, 0: off */
	int64_t			last_handshake_sec;	/* 0: never */
	int64_t			last_handshake_nsec;
	uint64_t		rx_bytes, tx_bytes;
	struct prefix		*allowedips;
	size_t			nallowedips, allowedips_cap;
};

struct wg_device {
	char			name[IFNAMSIZ];
	uint32_t		ifindex;	/* kernel only; 0 otherwise */
	uint32_t		flags;
	uint8_t			private_key[WG_KEY_LEN];
	uint8_t			public_key[WG_KEY_LEN];
	uint16_t		listen_port;
	uint32_t		fwmark;		/* 0: none */
	struct wg_peer		*peers;
	size_t			npeers, peers_cap;
};

/* ---- the model ---- */

/* Zero a device and set its name (truncated to IFNAMSIZ - 1). */
void		 wg_device_init(struct wg_device *d, const char *name);
/* Free the peers and allowed IPs and wipe the keys; d can be reused after
 * wg_device_init(). */
void		 wg_device_free(struct wg_device *d);
/* Append a zeroed peer with this public key.  The pointer is valid until
 * the next wg_peer_add() on the same device.  NULL and errno on failure. */
struct wg_peer	*wg_peer_add(struct wg_device *d, const uint8_t key[WG_KEY_LEN]);
struct wg_peer	*wg_peer_find(const struct wg_device *d,
		    const uint8_t key[WG_KEY_LEN]);
/* 0 or -ENOMEM. */
int		 wg_peer_add_allowedip(struct wg_peer *p, const struct prefix *a);
/* Seconds since the last handshake at wall-clock time now (seconds), or -1
 * for never. */
int64_t		 wg_peer_handshake_age(const struct wg_peer *p, int64_t now);

/* ---- keys ---- */

void	wg_key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN]);
/* Exactly 44 characters of standard base64 ending in one '='. */
bool	wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *s);
void	wg_key_to_hex(char out[WG_KEY_HEX_LEN], const uint8_t key[WG_KEY_LEN]);
bool	wg_key_from_hex(uint8_t key[WG_KEY_LEN], const char *s);
/* Constant time. */
bool	wg_key_is_zero(const uint8_t key[WG_KEY_LEN]);
bool	wg_key_equal(const uint8_t a[WG_KEY_LEN], const uint8_t b[WG_KEY_LEN]);
/* X25519 (RFC 7748): out = scalar * point; the scalar is clamped. */
void	wg_x25519(uint8_t out[WG_KEY_LEN], const uint8_t scalar[WG_KEY_LEN],
	    const uint8_t point[WG_KEY_LEN]);
/* The public key of a private key. */
void	wg_pubkey(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN]);
/* A new clamped private key from getrandom(2): 0 or -errno. */
int	wg_genkey(uint8_t priv[WG_KEY_LEN]);

/* Endpoints: "A.B.C.D:port" or "[X:X::X]:port" (numeric only; names are
 * the caller's to resolve).  Format writes the same forms. */
bool	wg_endpoint_parse(union wg_endpoint *ep, const char *s);
char	*wg_endpoint_ntop(const union wg_endpoint *ep, char *buf, size_t len);
bool	wg_endpoint_equal(const union wg_endpoint *a, const union wg_endpoint *b);

/* ---- transports ---- */

/*
 * Get fills d (initialised by the function; the caller frees with
 * wg_device_free() whatever the result).  The device's public key is
 * derived from its private key when the transport does not report it
 * (wireguard-go).  Set applies d: only the fields flagged are sent.
 */
int	wg_get(const char *name, struct wg_device *d);
int	wg_set(const struct wg_device *d);

/* True when NAME has a live UAPI socket (a userspace implementation). */
bool	wg_uapi_exists(const char *name);
int	wg_uapi_get(const char *name, struct wg_device *d);
int	wg_uapi_set(const struct wg_device *d);
/* The UAPI "set" text for d, as it would be sent (for tests and dry runs).
 * Returns a malloc'd string the caller frees (and should wipe: it holds
 * keys), or NULL and errno. */
char	*wg_uapi_set_text(const struct wg_device *d);
/* Parse a UAPI "get" reply into d (initialised by the caller).  0, or
 * -EPROTO for malformed text, or the reply's negative errno. */
int	wg_uapi_parse(struct wg_device *d, const char *text);

int	wg_genl_get(const char *name, struct wg_device *d);
int	wg_genl_set(const struct wg_device *d);

/*
 * The generic netlink encoding, exposed for tests and for callers with
 * their own socket.  wg_genl_build_set() builds the WG_CMD_SET_DEVICE
 * messages for d, none longer than maxlen bytes, and hands each to emit
 * (which returns 0 or a negative errno that stops the build).  The
 * nlmsghdr carries family as its type and NLM_F_REQUEST|NLM_F_ACK; the
 * caller sets the sequence number.  wg_genl_parse() merges one
 * WG_CMD_GET_DEVICE reply message into d, joining a peer continued from
 * the previous message.  Both return 0 or a negative errno.
 */
typedef int (*wg_genl_emit_cb)(void *arg, struct nlmsghdr *nlh);
int	wg_genl_build_set(const struct wg_device *d, uint16_t family,
	    size_t maxlen, wg_genl_emit_cb emit, void *arg);
int	wg_genl_parse(struct wg_device *d, const struct nlmsghdr *nlh);

#endif
