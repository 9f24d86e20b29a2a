/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal pcapng writer (libpcap 1.10 reads pcapng but cannot write it):
 * one section header, one interface description per interface (named,
 * Ethernet, nanosecond timestamps), one enhanced packet block per packet.
 * Blocks are written in host byte order, as the format allows.
 */
#ifndef SL_PCAPNG_H
#define SL_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

/* Direction for sl_pcapng_packet()'s @flags (epb_flags bits 0-1). */
#define SL_PCAPNG_INBOUND 1u
#define SL_PCAPNG_OUTBOUND 2u

/* Write the section header block naming @app; 0 or -errno. */
int sl_pcapng_section(FILE *f, const char *app);

/* Describe the next interface (ids count from 0 in call order); 0 or -errno. */
int sl_pcapng_interface(FILE *f, const char *name, uint32_t snaplen);

/* Write one packet of interface @ifid, timestamp in ns since the epoch; 0 or -errno. */
int sl_pcapng_packet(FILE *f, uint32_t ifid, uint64_t ts_ns, const void *data, uint32_t caplen,
		     uint32_t origlen, uint32_t flags);

#endif /* SL_PCAPNG_H */
