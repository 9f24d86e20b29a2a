/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flows of Open vSwitch's own test suite (tools/ovs-flows/corpus.txt,
 * each accepted by ovs-ofctl 3.1's parse-flow): how many sluice accepts,
 * and that every one it refuses is refused as "not supported: WHAT" (a
 * word of OVS's language that sluice lacks), never as unknown or bad.
 * Every accepted flow also survives print -> parse unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "flow_syntax.h"
#include "../../tools/ovs-flows/corpus_ports.h"

#ifndef SL_OVS_CORPUS
#error "SL_OVS_CORPUS must name tools/ovs-flows/corpus.txt"
#endif

/*
 * What sluice accepts today, so that it never goes back; issue 16's goal is
 * 300.  The flows still refused are mostly ct's nat, tunnels, sample, ND
 * fields and controller(pause): build/tools/sluice-ovs-refusals prints
 * them grouped by message.
 */
#define SL_CORPUS_MIN_ACCEPTED 368

/*
 * Where sluice refuses on purpose what ovs-ofctl lets through: a resubmit
 * that can only loop (OVS finds out per packet), a field written without
 * its prerequisite (ovs-ofctl checks that only for OpenFlow 1.1+), two
 * protocol words that contradict each other (OVS keeps the last), and port
 * 0 (sluice numbers ports from 1).  Timeouts come with the flow-management
 * half of issue 16.
 */
static const char *const deliberate[] = { "resubmit loops", "missing prerequisite",
					  "conflicts with", "out of range 1..65279",
					  "timeouts are not supported" };

static bool
is_deliberate(const char *err)
{
	for (size_t i = 0; i < sizeof(deliberate) / sizeof(deliberate[0]); i++)
		if (strstr(err, deliberate[i]) != NULL)
			return true;
	return false;
}

Test(ovs_corpus, ovs_flows_accepted_or_not_supported)
{
	FILE *fp = fopen(SL_OVS_CORPUS, "r");
	unsigned int total = 0, accepted = 0, bad = 0;

	/* Ports named in the corpus: p1, p2, ... */
	char line[4096], err[256], text[8192];

	cr_assert_not_null(fp, "cannot open %s", SL_OVS_CORPUS);
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct sl_flow f, g;
		int rc;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		total++;
		rc = sl_flow_parse(line, SL_PARSE_FLOW, sl_corpus_resolve, NULL, &f, err, sizeof(err));
		if (rc == 0) {
			accepted++;
			sl_flow_format(&f, text, sizeof(text));
			rc = sl_flow_parse(text, SL_PARSE_FLOW, sl_corpus_resolve, NULL, &g, err, sizeof(err));
			cr_expect_eq(rc, 0, "printed \"%s\" (from \"%s\") does not parse: %s", text,
				     line, err);
			cr_expect(rc != 0 || memcmp(&f, &g, sizeof(f)) == 0,
				  "\"%s\" printed as \"%s\" parses differently", line, text);
			continue;
		}
		if (strstr(err, "not supported: ") == NULL && !is_deliberate(err)) {
			bad++;
			cr_log_error("refused without \"not supported\": \"%s\": %s", line, err);
		} else {
			fprintf(stderr, "refused: %s\n", err);
		}
	}
	fclose(fp);
	fprintf(stderr, "ovs corpus: %u of %u flows accepted\n", accepted, total);
	cr_expect_eq(bad, 0, "%u flows refused for another reason than \"not supported\"", bad);
	cr_expect_geq(accepted, SL_CORPUS_MIN_ACCEPTED, "accepted %u of %u, goal %u", accepted,
		      total, SL_CORPUS_MIN_ACCEPTED);
}
