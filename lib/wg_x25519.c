// SPDX-License-Identifier: ISC
/*
 * The one piece of elliptic-curve arithmetic lib/wg needs: deriving a
 * WireGuard public key from its private key, since wireguard-go reports
 * only the private key of its own interface.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "wg.h"

/*
 * X25519 after RFC 7748 section 5: field elements mod 2^255 - 19 in five
 * 51-bit limbs with 128-bit products, the Montgomery ladder with
 * constant-time swaps, inversion by Fermat (z^(p-2)).  Speed is not a
 * concern: it runs once per key.
 */
#define M51	((UINT64_C(1) << 51) - 1)

typedef unsigned __int128 u128;

static uint64_t
load64_le(const uint8_t *p)
{
	uint64_t r = 0;
	int i;

	for (i = 7; i >= 0; i--)
		r = r << 8 | p[i];
	return r;
}

static void
store64_le(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static void
fe_frombytes(uint64_t h[5], const uint8_t s[32])
{
	/* Bit 255 is dropped, as RFC 7748 asks for u-coordinates. */
	h[0] = load64_le(s) & M51;
	h[1] = (load64_le(s + 6) >> 3) & M51;
	h[2] = (load64_le(s + 12) >> 6) & M51;
	h[3] = (load64_le(s + 19) >> 1) & M51;
	h[4] = (load64_le(s + 24) >> 12) & M51;
}

static void
fe_carry(uint64_t h[5])
{
	uint64_t c;

	c = h[0] >> 51; h[0] &= M51; h[1] += c;
	c = h[1] >> 51; h[1] &= M51; h[2] += c;
	c = h[2] >> 51; h[2] &= M51; h[3] += c;
	c = h[3] >> 51; h[3] &= M51; h[4] += c;
	c = h[4] >> 51; h[4] &= M51; h[0] += 19 * c;
	c = h[0] >> 51; h[0] &= M51; h[1] += c;
}

static void
fe_add(uint64_t h[5], const uint64_t f[5], const uint64_t g[5])
{
	int i;

	for (i = 0; i < 5; i++)
		h[i] = f[i] + g[i];
	fe_carry(h);
}

static void
fe_sub(uint64_t h[5], const uint64_t f[5], const uint64_t g[5])
{
	/* Add 4p first so that no limb goes negative. */
	h[0] = f[0] + ((UINT64_C(1) << 53) - 76) - g[0];
	h[1] = f[1] + ((UINT64_C(1) << 53) - 4) - g[1];
	h[2] = f[2] + ((UINT64_C(1) << 53) - 4) - g[2];
	h[3] = f[3] + ((UINT64_C(1) << 53) - 4) - g[3];
	h[4] = f[4] + ((UINT64_C(1) << 53) - 4) - g[4];
	fe_carry(h);
}

static void
fe_mul(uint64_t h[5], const uint64_t f[5], const uint64_t g[5])
{
	uint64_t g1 = 19 * g[1], g2 = 19 * g[2], g3 = 19 * g[3], g4 = 19 * g[4];
	u128 r0, r1, r2, r3, r4;
	uint64_t c;

	r0 = (u128)f[0] * g[0] + (u128)f[1] * g4 + (u128)f[2] * g3 +
	    (u128)f[3] * g2 + (u128)f[4] * g1;
	r1 = (u128)f[0] * g[1] + (u128)f[1] * g[0] + (u128)f[2] * g4 +
	    (u128)f[3] * g3 + (u128)f[4] * g2;
	r2 = (u128)f[0] * g[2] + (u128)f[1] * g[1] + (u128)f[2] * g[0] +
	    (u128)f[3] * g4 + (u128)f[4] * g3;
	r3 = (u128)f[0] * g[3] + (u128)f[1] * g[2] + (u128)f[2] * g[1] +
	    (u128)f[3] * g[0] + (u128)f[4] * g4;
	r4 = (u128)f[0] * g[4] + (u128)f[1] * g[3] + (u128)f[2] * g[2] +
	    (u128)f[3] * g[1] + (u128)f[4] * g[0];

	r1 += (uint64_t)(r0 >> 51);
	h[0] = (uint64_t)r0 & M51;
	r2 += (uint64_t)(r1 >> 51);
	h[1] = (uint64_t)r1 & M51;
	r3 += (uint64_t)(r2 >> 51);
	h[2] = (uint64_t)r2 & M51;
	r4 += (uint64_t)(r3 >> 51);
	h[3] = (uint64_t)r3 & M51;
	c = (uint64_t)(r4 >> 51);
	h[4] = (uint64_t)r4 & M51;
	h[0] += 19 * c;
	c = h[0] >> 51;
	h[0] &= M51;
	h[1] += c;
}

static void
fe_invert(uint64_t out[5], const uint64_t z[5])
{
	uint64_t r[5] = { 1, 0, 0, 0, 0 };
	int i;

	/* p - 2 = 2^255 - 21: bits 254..0 set except bits 4 and 2. */
	for (i = 254; i >= 0; i--) {
		fe_mul(r, r, r);
		if (i != 4 && i != 2)
			fe_mul(r, r, z);
	}
	memcpy(out, r, sizeof(r));
}

static void
fe_tobytes(uint8_t s[32], const uint64_t f[5])
{
	uint64_t h[5], q, c;

	memcpy(h, f, sizeof(h));
	fe_carry(h);
	fe_carry(h);
	/* Now h < 2^255; subtract p once if h >= p (h + 19 >= 2^255). */
	q = (h[0] + 19) >> 51;
	q = (h[1] + q) >> 51;
	q = (h[2] + q) >> 51;
	q = (h[3] + q) >> 51;
	q = (h[4] + q) >> 51;
	h[0] += 19 * q;
	c = h[0] >> 51; h[0] &= M51; h[1] += c;
	c = h[1] >> 51; h[1] &= M51; h[2] += c;
	c = h[2] >> 51; h[2] &= M51; h[3] += c;
	c = h[3] >> 51; h[3] &= M51; h[4] += c;
	h[4] &= M51;

	store64_le(s, h[0] | h[1] << 51);
	store64_le(s + 8, h[1] >> 13 | h[2] << 38);
	store64_le(s + 16, h[2] >> 26 | h[3] << 25);
	store64_le(s + 24, h[3] >> 39 | h[4] << 12);
}

static void
fe_cswap(uint64_t a[5], uint64_t b[5], uint64_t swap)
{
	uint64_t mask = (uint64_t)0 - swap, t;
	int i;

	for (i = 0; i < 5; i++) {
		t = mask & (a[i] ^ b[i]);
		a[i] ^= t;
		b[i] ^= t;
	}
}

void
wg_x25519(uint8_t out[WG_KEY_LEN], const uint8_t scalar[WG_KEY_LEN],
    const uint8_t point[WG_KEY_LEN])
{
	static const uint64_t a24[5] = { 121665, 0, 0, 0, 0 };
	uint64_t x1[5], x2[5] = { 1 }, z2[5] = { 0 }, x3[5], z3[5] = { 1 };
	uint64_t a[5], aa[5], b[5], bb[5], e[5], c[5], d[5], da[5], cb[5];
	uint64_t swap = 0, bit;
	uint8_t k[WG_KEY_LEN];
	int t;

	memcpy(k, scalar, WG_KEY_LEN);
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	fe_frombytes(x1, point);
	memcpy(x3, x1, sizeof(x3));

	for (t = 254; t >= 0; t--) {
		bit = (k[t >> 3] >> (t & 7)) & 1;
		swap ^= bit;
		fe_cswap(x2, x3, swap);
		fe_cswap(z2, z3, swap);
		swap = bit;

		fe_add(a, x2, z2);
		fe_mul(aa, a, a);
		fe_sub(b, x2, z2);
		fe_mul(bb, b, b);
		fe_sub(e, aa, bb);
		fe_add(c, x3, z3);
		fe_sub(d, x3, z3);
		fe_mul(da, d, a);
		fe_mul(cb, c, b);
		fe_add(x3, da, cb);
		fe_mul(x3, x3, x3);
		fe_sub(z3, da, cb);
		fe_mul(z3, z3, z3);
		fe_mul(z3, z3, x1);
		fe_mul(x2, aa, bb);
		fe_mul(z2, a24, e);
		fe_add(z2, z2, aa);
		fe_mul(z2, z2, e);
	}
	fe_cswap(x2, x3, swap);
	fe_cswap(z2, z3, swap);

	fe_invert(z2, z2);
	fe_mul(x2, x2, z2);
	fe_tobytes(out, x2);

	explicit_bzero(k, sizeof(k));
	explicit_bzero(x2, sizeof(x2));
	explicit_bzero(z2, sizeof(z2));
	explicit_bzero(x3, sizeof(x3));
	explicit_bzero(z3, sizeof(z3));
}

void
wg_pubkey(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN])
{
	static const uint8_t base[WG_KEY_LEN] = { 9 };

	wg_x25519(pub, priv, base);
}

int
wg_genkey(uint8_t priv[WG_KEY_LEN])
{
	ssize_t n;

	do
		n = getrandom(priv, WG_KEY_LEN, 0);
	while (n < 0 && errno == EINTR);
	if (n != WG_KEY_LEN)
		return n < 0 ? -errno : -EIO;
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
	return 0;
}

