/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genpcap: write a pcap file of Ethernet/IPv4/UDP frames for the benchmark,
 * fast (one buffer per frame, no libpcap needed).
 *
 *   genpcap -o FILE [-n PACKETS] [-f FLOWS] [-s FRAME_SIZE]
 *
 * Frame i belongs to flow (i % FLOWS).  Flow k has source IP 10.0.0.0 + k + 1
 * and UDP source port 1024 + (k % 60000); every frame goes from
 * 02:00:00:00:00:01 to 02:00:00:00:00:02 (-r: the other way), destination
 * 192.0.2.1 port 9.
 * SIZE counts the 4-byte FCS as packet sizes usually do: a "64-byte" packet
 * is stored as 60 bytes, a 1518-byte one as 1514.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: genpcap -o FILE [-n PACKETS] [-f FLOWS] [-s SIZE] [-r]\n\n"
		"Write PACKETS (default 100000) Ethernet/IPv4/UDP frames of SIZE bytes\n"
		"including the 4-byte FCS (default 64; the file holds SIZE-4 bytes per\n"
		"frame) spread round-robin over FLOWS (default 1) distinct flows that\n"
		"differ in source IP (10.0.0.0 + flow + 1) and UDP source port.\n"
		"Destination is always 192.0.2.1:9, MACs 02:00:00:00:00:01 -> :02\n"
		"(-r: :02 -> :01, the other direction, e.g. to teach a switch :02).\n");
}

static unsigned long
num(const char *s, const char *what, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "genpcap: %s: %s is not in %lu..%lu\n", what, s, min, max);
		exit(2);
	}
	return v;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint16_t
ip_csum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += ((uint32_t)h[i] << 8) | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int
main(int argc, char **argv)
{
	static const uint8_t dst_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t src_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	unsigned long n = 100000, flows = 1, size = 64;
	int reverse = 0;
	const char *out = NULL;
	uint8_t frame[9728], rec[16];
	uint32_t ghdr[6];
	FILE *f;
	int c;

	while ((c = getopt(argc, argv, "o:n:f:s:rh")) != -1) {
		switch (c) {
		case 'r':
			reverse = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'n':
			n = num(optarg, "-n", 1, 100000000);
			break;
		case 'f':
			flows = num(optarg, "-f", 1, 16000000);
			break;
		case 's':
			size = num(optarg, "-s", 64, 9728);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (out == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	f = fopen(out, "wb");
	if (f == NULL) {
		fprintf(stderr, "genpcap: %s: %s\n", out, strerror(errno));
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);

	/* pcap global header, native byte order, microsecond timestamps. */
	ghdr[0] = 0xa1b2c3d4;
	ghdr[2] = 0;              /* thiszone */
	ghdr[3] = 0;              /* sigfigs */
	ghdr[4] = 65535;          /* snaplen */
	ghdr[5] = 1;              /* DLT_EN10MB */
	{
		uint16_t ver[2] = { 2, 4 }; /* major, minor */

		memcpy(&ghdr[1], ver, sizeof(ver));
	}
	fwrite(ghdr, sizeof(ghdr), 1, f);

	size_t len = size - 4; /* no FCS in the file */
	uint16_t l3len = (uint16_t)(len - 14);

	memset(frame, 0, sizeof(frame));
	memcpy(frame, reverse ? src_mac : dst_mac, 6);
	memcpy(frame + 6, reverse ? dst_mac : src_mac, 6);
	put16(frame + 12, 0x0800);
	uint8_t *ip = frame + 14, *udp = ip + 20;

	ip[0] = 0x45;
	put16(ip + 2, l3len);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 16, 0xc0000201); /* 192.0.2.1 */
	put16(udp + 2, 9);
	put16(udp + 4, (uint16_t)(l3len - 20));
	for (size_t i = 20 + 8; i < l3len; i++)
		ip[i] = (uint8_t)i;

	for (unsigned long i = 0; i < n; i++) {
		unsigned long k = i % flows;
		uint32_t ts_sec = 1, ts_usec = (uint32_t)(i % 1000000);
		uint32_t caplen = (uint32_t)len;

		put32(ip + 12, 0x0a000000u + (uint32_t)k + 1);
		put16(ip + 10, 0);
		put16(ip + 10, ip_csum(ip));
		put16(udp, (uint16_t)(1024 + k % 60000));
		memcpy(rec, &ts_sec, 4);
		memcpy(rec + 4, &ts_usec, 4);
		memcpy(rec + 8, &caplen, 4);
		memcpy(rec + 12, &caplen, 4);
		fwrite(rec, sizeof(rec), 1, f);
		fwrite(frame, len, 1, f);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "genpcap: %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}
