/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet parser on arbitrary bytes, from a heap buffer of exactly the
 * frame's length: ASan catches any read past it.  The key must also keep
 * the parser's promises: layer offsets inside the frame, a layer's fields
 * zero when it was not parsed, the same key with or without @layers.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "fuzz.h"
#include "packet.h"

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *frame = malloc(size ? size : 1);
	struct sl_flow_key key, again;
	struct sl_layers l;
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	uint16_t in_port = (uint16_t)(size * 2654435761u);
	int rc;

	if (frame == NULL)
		abort();
	memcpy(frame, data, size);
	/* A zero-length frame points one past the buffer, like an empty mbuf. */
	rc = sl_parse(size ? frame : frame + 1, len, in_port, &key, &l);

	FUZZ_CHECK(key.in_port == in_port, "in_port lost");
	FUZZ_CHECK(all_zero(key.pad, sizeof(key.pad)), "padding written");
	if (len < 14) {
		FUZZ_CHECK(rc == -EINVAL, "runt of %u bytes returned %d", len, rc);
		FUZZ_CHECK(l.l3_ofs == 0 && l.l4_ofs == 0 && key.dl_type == 0, "runt has layers");
	} else {
		FUZZ_CHECK(rc == 0, "frame of %u bytes returned %d", len, rc);
		FUZZ_CHECK(memcmp(key.dl_dst, frame, 6) == 0 && memcmp(key.dl_src, frame + 6, 6) == 0,
			   "MAC addresses");
	}
	FUZZ_CHECK(l.l3_ofs <= len && l.l4_ofs <= len, "layer offsets %u/%u past %u bytes",
		   l.l3_ofs, l.l4_ofs, len);
	if (key.dl_type == 0)
		FUZZ_CHECK(l.l3_ofs == 0 && key.vlan_tci == 0,
			   "l3 offset or VLAN tag without an ethertype");
	if (l.l4_ofs == 0) {
		FUZZ_CHECK(key.tp_src == 0 && key.tp_dst == 0, "ports without an L4 header");
	} else {
		/* An L4 header needs an IP header before it and its ports inside the frame. */
		FUZZ_CHECK(key.dl_type == 0x0800 || key.dl_type == 0x86dd, "L4 without IP");
		FUZZ_CHECK(l.l4_ofs >= l.l3_ofs + 20 && l.l4_ofs + 4u <= len, "L4 offset %u",
			   l.l4_ofs);
		if (key.nw_proto == 6 || key.nw_proto == 17 || key.nw_proto == 132)
			FUZZ_CHECK(memcmp(&key.tp_src, frame + l.l4_ofs, 2) == 0 &&
					   memcmp(&key.tp_dst, frame + l.l4_ofs + 2, 2) == 0,
				   "ports are not the L4 header's");
		else
			FUZZ_CHECK(key.nw_proto == 1 || key.nw_proto == 58,
				   "L4 header for protocol %u", key.nw_proto);
	}
	if (key.dl_type != 0x0800 && key.dl_type != 0x86dd && key.dl_type != 0x0806)
		FUZZ_CHECK(key.nw_proto == 0 && all_zero(key.nw_src, 16) && all_zero(key.nw_dst, 16),
			   "L3 fields for dl_type 0x%04x", key.dl_type);
	if (key.dl_type != 0x86dd)
		FUZZ_CHECK(all_zero(key.nw_src + (key.dl_type == 0x0806 ? 10 : 4),
				    key.dl_type == 0x0806 ? 6 : 12) &&
				   all_zero(key.nw_dst + (key.dl_type == 0x0806 ? 10 : 4),
					    key.dl_type == 0x0806 ? 6 : 12),
			   "IPv6-sized addresses for dl_type 0x%04x", key.dl_type);
	if (key.dl_type == 0x8847 || key.dl_type == 0x8848)
		/* The slot holds the outer label stack entry (flow.h): as the frame has it. */
		FUZZ_CHECK(l.l3_ofs + 4u <= len ? memcmp(&key.mpls_lse, frame + l.l3_ofs, 4) == 0
						 : key.mpls_lse == 0,
			   "MPLS label stack entry is not the frame's");
	else if (key.dl_type != 0x86dd)
		FUZZ_CHECK(key.ipv6_label == 0, "flow label for dl_type 0x%04x", key.dl_type);
	else
		FUZZ_CHECK((ntohl(key.ipv6_label) & ~0xfffffu) == 0, "flow label over 20 bits");

	rc = sl_parse(size ? frame : frame + 1, len, in_port, &again, NULL);
	FUZZ_CHECK(memcmp(&key, &again, sizeof(key)) == 0, "key depends on @layers");
	free(frame);
	return 0;
}
