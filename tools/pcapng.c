/* SPDX-License-Identifier: BSD-3-Clause */
/* pcapng blocks as the spec (draft-ietf-opsawg-pcapng) lays them out. */
#include <errno.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_ETHERNET 1

#define OPT_END 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2

static inline uint32_t
pad4(uint32_t n)
{
	return (n + 3) & ~3u;
}

/* Size of an option holding @len bytes of value. */
static inline uint32_t
opt_size(uint32_t len)
{
	return 4 + pad4(len);
}

static int
put(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -EIO;
}

static int
put_u32(FILE *f, uint32_t v)
{
	return put(f, &v, 4);
}

static int
put_zeros(FILE *f, uint32_t n)
{
	static const uint8_t zero[4];

	return n ? put(f, zero, n) : 0;
}

static int
put_opt(FILE *f, uint16_t code, const void *val, uint16_t len)
{
	uint16_t hdr[2] = { code, len };
	int rc = put(f, hdr, sizeof(hdr));

	if (rc == 0 && len)
		rc = put(f, val, len);
	if (rc == 0)
		rc = put_zeros(f, pad4(len) - len);
	return rc;
}

int
sl_pcapng_section(FILE *f, const char *app)
{
	uint16_t app_len = strlen(app);
	uint32_t len = 28 + opt_size(app_len) + opt_size(0);
	struct {
		uint32_t type, len, magic;
		uint16_t major, minor;
		int64_t section_len;
	} __attribute__((packed)) h = { BT_SHB, len, BYTE_ORDER_MAGIC, 1, 0, -1 };
	int rc = put(f, &h, sizeof(h));

	if (rc == 0)
		rc = put_opt(f, OPT_SHB_USERAPPL, app, app_len);
	if (rc == 0)
		rc = put_opt(f, OPT_END, NULL, 0);
	return rc == 0 ? put_u32(f, len) : rc;
}

int
sl_pcapng_interface(FILE *f, const char *name, uint32_t snaplen)
{
	static const uint8_t tsresol = 9; /* 10^-9 s */
	uint16_t name_len = strlen(name);
	uint32_t len = 20 + opt_size(name_len) + opt_size(1) + opt_size(0);
	struct {
		uint32_t type, len;
		uint16_t linktype, reserved;
		uint32_t snaplen;
	} h = { BT_IDB, len, LINKTYPE_ETHERNET, 0, snaplen };
	int rc = put(f, &h, sizeof(h));

	if (rc == 0)
		rc = put_opt(f, OPT_IF_NAME, name, name_len);
	if (rc == 0)
		rc = put_opt(f, OPT_IF_TSRESOL, &tsresol, 1);
	if (rc == 0)
		rc = put_opt(f, OPT_END, NULL, 0);
	return rc == 0 ? put_u32(f, len) : rc;
}

int
sl_pcapng_packet(FILE *f, uint32_t ifid, uint64_t ts_ns, const void *data, uint32_t caplen,
		 uint32_t origlen, uint32_t flags)
{
	uint32_t len = 32 + pad4(caplen) + (flags ? opt_size(4) + opt_size(0) : 0);
	uint32_t h[7] = { BT_EPB, len, ifid, (uint32_t)(ts_ns >> 32), (uint32_t)ts_ns, caplen,
			  origlen };
	int rc = put(f, h, sizeof(h));

	if (rc == 0)
		rc = put(f, data, caplen);
	if (rc == 0)
		rc = put_zeros(f, pad4(caplen) - caplen);
	if (rc == 0 && flags) {
		rc = put_opt(f, OPT_EPB_FLAGS, &flags, 4);
		if (rc == 0)
			rc = put_opt(f, OPT_END, NULL, 0);
	}
	return rc == 0 ? put_u32(f, len) : rc;
}
