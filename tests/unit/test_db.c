/* SPDX-License-Identifier: BSD-3-Clause */
/* sluiced's config DB: file format, atomic save, validation of ports and options. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "db_fixture.h"
#include "flow_syntax.h"

TestSuite(db, .init = setup, .fini = teardown);

static void
write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static char *
read_file(const char *p)
{
	static char buf[8192];
	FILE *f = fopen(p, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
add_flow(struct sl_db *db, const char *text)
{
	struct sl_flow f;

	memset(&f, 0, sizeof(f));
	cr_assert_eq(sl_flow_parse(text, SL_PARSE_FLOW, sl_db_resolve_port, db, &f, err,
				   sizeof(err)), 0, "%s: %s", text, err);
	cr_assert(sl_ftable_add(&db->flows, &f) >= 0);
}

Test(db, missing_file_loads_as_empty_db)
{
	struct sl_db db;

	cr_assert_eq(sl_db_load(&db, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db.n_ports, 0);
	cr_assert_eq(db.flows.n, 0);
	cr_assert_eq(db.options.given, 0);
	sl_db_fini(&db);
}

Test(db, save_then_load_gives_the_same_config)
{
	struct sl_db db, back;
	struct sl_db_port *p;
	char tmp[160];

	cr_assert_eq(sl_db_init(&db, path), 0);
	add_port(&db, "p0", "net_null0", 0);
	add_port(&db, "uplink", "net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap", 7);
	cr_assert_eq(sl_db_port_setting(sl_db_port_find(&db, "uplink"), "mtu=9000", true, err,
					 sizeof(err)), SL_PS_MTU);
	add_flow(&db, "priority=100,in_port=p0,actions=output:uplink");
	add_flow(&db, "in_port=uplink,dl_type=0x0800,nw_dst=10.0.0.0/24,actions=output:1");
	cr_assert_geq(sl_db_option_set(&db, "emc-insert-inv-prob=100", true, err, sizeof(err)), 0);
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), 0, "%s", err);

	snprintf(tmp, sizeof(tmp), "%s/.sluice.db.tmp", dir);
	cr_assert_neq(access(tmp, F_OK), 0, "the temp file is gone after a save");

	cr_assert_eq(sl_db_load(&back, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.n_ports, 2);
	p = sl_db_port_find(&back, "uplink");
	cr_assert_not_null(p);
	cr_assert_eq(p->ofport, 7);
	cr_assert_str_eq(p->settings.v[SL_PS_MTU], "9000");
	cr_assert_str_eq(p->settings.v[SL_PS_N_RXQ], "1");
	cr_assert_eq(p->settings.given, UINT64_C(1) << SL_PS_MTU, "only what was given is kept");
	cr_assert_str_eq(p->devargs, "net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap");
	cr_assert_eq(sl_db_port_find(&back, "p0")->ofport, 1, "lowest free ofport was picked");
	cr_assert_eq(back.flows.n, 2);
	cr_assert_eq(sl_ftable_diff(&db.flows, &back.flows), 0);
	cr_assert_str_eq(sl_db_option_get(&back, "emc-insert-inv-prob"), "100");
	sl_db_fini(&back);
	sl_db_fini(&db);
}

Test(db, failed_save_leaves_the_old_file_intact)
{
	static const char old[] = "sluice-db 1\nport p0 ofport=1 n_rxq=1 mtu=1500 devargs=net_null0\n";
	struct sl_db db;
	char tmp[160];

	write_file(path, old);
	cr_assert_eq(sl_db_load(&db, path, err, sizeof(err)), 0, "%s", err);
	add_port(&db, "p1", "net_null1", 0);
	/* A directory where the temp file must go makes the save fail, even for root. */
	snprintf(tmp, sizeof(tmp), "%s/.sluice.db.tmp", dir);
	cr_assert_eq(mkdir(tmp, 0755), 0);
	cr_assert_lt(sl_db_save(&db, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, ".sluice.db.tmp"), NULL, "message names the file: %s", err);
	cr_assert_str_eq(read_file(path), old);
	sl_db_fini(&db);
}

Test(db, save_into_a_missing_directory_fails_cleanly)
{
	struct sl_db db;
	char p[160];

	snprintf(p, sizeof(p), "%s/nodir/sluice.db", dir);
	cr_assert_eq(sl_db_init(&db, p), 0);
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), -ENOENT);
	sl_db_fini(&db);
}

Test(db, corrupt_line_is_reported_with_its_number)
{
	struct sl_db db;

	write_file(path, "sluice-db 1\n# comment\n\nport p0 ofport=1 n_rxq=1 mtu=1500 devargs=net_null0\n"
			 "flow in_port=1,actions=output:1\nfrobnicate everything\n");
	cr_assert_lt(sl_db_load(&db, path, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, ":6:"), NULL, "%s", err);
	cr_assert_neq(strstr(err, path), NULL, "%s", err);
}

Test(db, bad_flow_line_is_an_error)
{
	struct sl_db db;

	write_file(path, "sluice-db 1\nflow in_port=1,actions=output:1\nflow nw_src=1.2.3.4.5,actions=drop\n");
	cr_assert_lt(sl_db_load(&db, path, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, ":3:"), NULL, "%s", err);
}

Test(db, missing_or_unknown_header_is_an_error)
{
	struct sl_db db;

	write_file(path, "port p0 ofport=1 n_rxq=1 mtu=1500 devargs=net_null0\n");
	cr_assert_lt(sl_db_load(&db, path, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, "not a sluice DB"), NULL, "%s", err);
	write_file(path, "sluice-db 99\n");
	cr_assert_lt(sl_db_load(&db, path, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, "\"sluice-db 99\""), NULL, "%s", err);
	write_file(path, "sluice-db 1junk\n");
	cr_assert_lt(sl_db_load(&db, path, err, sizeof(err)), 0, "a header with junk is refused");
	write_file(path, "");
	cr_assert_lt(sl_db_load(&db, path, err, sizeof(err)), 0, "an empty file is not an empty DB");
}

/* A saved DB, cut at every byte or with any byte changed, is refused whole. */
Test(db, a_cut_or_changed_db_is_refused)
{
	struct sl_db db, back;
	char *full, *copy;
	size_t len;
	FILE *f;

	cr_assert_eq(sl_db_init(&db, path), 0);
	add_port(&db, "p0", "net_null0", 12);
	add_port(&db, "p1", "net_null1", 1);
	add_flow(&db, "priority=100,in_port=p0,actions=output:12");
	add_flow(&db, "in_port=p1,actions=NORMAL");
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), 0, "%s", err);
	f = fopen(path, "r");
	full = calloc(1, 65536);
	len = fread(full, 1, 65535, f);
	fclose(f);
	cr_assert(strstr(full, "\nend ") != NULL, "%s", full);
	for (size_t cut = 0; cut < len; cut++) {
		FILE *w = fopen(path, "w");

		fwrite(full, 1, cut, w);
		fclose(w);
		cr_assert_lt(sl_db_load(&back, path, err, sizeof(err)), 0,
			     "cut at %zu of %zu loaded", cut, len);
	}
	copy = strdup(full);
	*strstr(copy, "output:12") = 'O'; /* a change by hand, end line left as it was */
	write_file(path, copy);
	cr_assert_lt(sl_db_load(&back, path, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, "does not verify"), NULL, "%s", err);
	/* A NUL byte no longer cuts a line silently. */
	{
		FILE *w = fopen(path, "w");

		fwrite(full, 1, 30, w);
		fputc('\0', w);
		fwrite(full + 31, 1, len - 31, w);
		fclose(w);
	}
	cr_assert_lt(sl_db_load(&back, path, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, "NUL"), NULL, "%s", err);
	write_file(path, full);
	cr_assert_eq(sl_db_load(&back, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_ftable_diff(&db.flows, &back.flows), 0);
	sl_db_fini(&back);
	sl_db_fini(&db);
	free(copy);
	free(full);
}

/* A symlink planted at the temp file's name is replaced, never written through. */
Test(db, save_does_not_follow_a_planted_symlink)
{
	struct sl_db db;
	char tmp[160], victim[160], buf[16] = "";
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.sluice.db.tmp", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	write_file(victim, "precious");
	cr_assert_eq(symlink(victim, tmp), 0);
	cr_assert_eq(sl_db_init(&db, path), 0);
	add_port(&db, "p0", "net_null0", 1);
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), 0, "%s", err);
	f = fopen(victim, "r");
	cr_assert(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	cr_assert_str_eq(buf, "precious");
	sl_db_fini(&db);
}

Test(db, duplicate_port_in_file_is_an_error)
{
	struct sl_db db;

	write_file(path, "sluice-db 1\nport p0 ofport=1 n_rxq=1 mtu=1500 devargs=net_null0\n"
			 "port p1 ofport=1 n_rxq=1 mtu=1500 devargs=net_null1\n");
	cr_assert_lt(sl_db_load(&db, path, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, ":3: ofport 1 is already port \"p0\""), NULL, "%s", err);
}

static struct sl_db_port
port(const char *name, const char *devargs, uint32_t ofport)
{
	struct sl_db_port p;

	sl_db_port_init(&p, name, devargs);
	p.ofport = ofport;
	return p;
}

Test(db, port_check_applies_defaults_and_refuses_conflicts)
{
	struct sl_db db;
	struct sl_db_port p = port("p1", "net_null1", 0);

	cr_assert_eq(sl_db_init(&db, path), 0);
	add_port(&db, "p0", "net_null0,size=64", 1);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), 0);
	cr_assert_eq(p.ofport, 2);
	cr_assert_str_eq(p.settings.v[SL_PS_MTU], "1500");
	cr_assert_str_eq(p.settings.v[SL_PS_N_RXQ], "1");

	p = port("p0", "net_null5", 0);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), -EEXIST);
	p = port("p2", "net_null0", 0);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), -EEXIST, "same device");
	p = port("p2", "net_null2", 1);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), -EEXIST, "same ofport");
	p = port("p2", "net_null2", 0);
	cr_assert_lt(sl_db_port_setting(&p, "mtu=67", true, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_port_setting(&p, "mtu=9711", true, err, sizeof(err)), 0);
	cr_assert(strstr(err, "68..9702") != NULL, "%s", err);
	cr_assert_eq(sl_db_port_setting(&p, "mtu=9702", true, err, sizeof(err)), SL_PS_MTU);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), 0);
	sl_db_fini(&db);
}

/* The port named after the bridge is its local port: ofport LOCAL, kept across a save. */
Test(db, the_bridge_port_is_local_and_comes_back_so)
{
	struct sl_db db, back;
	struct sl_db_port p;

	cr_assert_eq(sl_db_init(&db, path), 0);
	add_port(&db, "br0", "net_tap0,iface=sl-br0", 0);
	cr_assert_eq(sl_db_port_find(&db, "br0")->ofport, SL_OFPP_LOCAL);
	add_port(&db, "p1", "net_null1", 0);
	cr_assert_eq(sl_db_port_find(&db, "p1")->ofport, 1, "LOCAL takes no ordinary number");
	add_flow(&db, "in_port=br0,actions=output:p1");
	add_flow(&db, "in_port=p1,actions=LOCAL");
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), 0, "%s", err);
	cr_assert(strstr(read_file(path), "port br0 ofport=65534 ") != NULL, "%s", read_file(path));
	cr_assert(strstr(read_file(path), "in_port=LOCAL,actions=output:1") != NULL, "%s",
		  read_file(path));
	cr_assert_eq(sl_db_load(&back, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_db_port_find(&back, "br0")->ofport, SL_OFPP_LOCAL);
	cr_assert_eq(sl_ftable_diff(&db.flows, &back.flows), 0);
	sl_db_fini(&back);

	/* Only br0 is LOCAL, and br0 is nothing else. */
	p = port("p2", "net_null2", SL_OFPP_LOCAL);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), -ERANGE);
	cr_assert(strstr(err, "only the port named \"br0\" has it") != NULL, "%s", err);
	p = port("p2", "net_null2", 65280);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), -ERANGE);
	cr_assert(strstr(err, "ofport 65280 out of range 1..65279") != NULL, "%s", err);
	sl_db_fini(&db);

	cr_assert_eq(sl_db_init(&db, path), 0);
	p = port("br0", "net_null3", 3);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), -ERANGE);
	cr_assert(strstr(err, "its ofport is LOCAL (65534), not 3") != NULL, "%s", err);
	p = port("br0", "net_null3", SL_OFPP_LOCAL);
	cr_assert_eq(sl_db_port_check(&db, &p, err, sizeof(err)), 0, "%s", err);
	sl_db_fini(&db);

	/* A file that gives an ordinary port LOCAL's number is refused. */
	write_file(path, "sluice-db 1\nport p0 ofport=65534 n_rxq=1 mtu=1500 devargs=net_null0\n");
	cr_assert_neq(sl_db_load(&back, path, err, sizeof(err)), 0);
	cr_assert(strstr(err, "only the port named") != NULL, "%s", err);
}

Test(db, port_names_that_flow_syntax_would_misread_are_refused)
{
	cr_assert_eq(sl_port_name_check("p0", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("42", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("0x2", err, sizeof(err)), 0, "a leading digit reads as a number");
	cr_assert_lt(sl_port_name_check("normal", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("a b", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("ring:1", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("abcdefghijklmnopqrstuvwxyz0123456", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("p\x1b[2J", err, sizeof(err)), 0);
	cr_assert(strstr(err, "\\x1b") != NULL, "control bytes are shown escaped: %s", err);
}

/* Found by fuzz_request: "0:" was accepted, and flow syntax then read "in_port=0:" as a number. */
Test(db, port_names_with_a_leading_digit_are_refused)
{
	struct sl_db db;
	struct sl_flow f;
	uint16_t of = 0;

	cr_assert_lt(sl_port_name_check("0:", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("0x1f", err, sizeof(err)), 0);
	cr_assert_lt(sl_port_name_check("2a", err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, "\"2a\""), NULL, "%s", err);
	cr_assert_eq(sl_port_name_check("a2", err, sizeof(err)), 0);
	/* What is accepted, flows can name. */
	cr_assert_eq(sl_db_init(&db, path), 0);
	add_port(&db, "a2", "net_null0", 5);
	cr_assert_eq(sl_flow_parse("in_port=a2,actions=output:a2", SL_PARSE_FLOW,
				   sl_db_resolve_port, &db, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.match.key.in_port, 5);
	cr_assert_eq(sl_db_resolve_port(&db, "a2", &of), 0);
	sl_db_fini(&db);
}

/* Found by fuzz_db: "option k=v " was saved as is and loaded back as "v". */
Test(db, option_values_come_back_from_the_file_as_they_were_set)
{
	struct sl_db db, back;

	cr_assert_eq(sl_db_init(&db, path), 0);
	cr_assert_lt(sl_db_option_set(&db, "pmd-maxsleep=5 ", true, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_option_set(&db, "pmd-maxsleep=5\t", true, err, sizeof(err)), 0);
	cr_assert_geq(sl_db_option_set(&db, "pmd-maxsleep=5", true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_db_load(&back, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(sl_db_option_get(&back, "pmd-maxsleep"), "5");
	sl_db_fini(&back);
	sl_db_fini(&db);

	/* A NUL in the file no longer hides the rest of a line: the file is refused. */
	{
		static const char text[] = "sluice-db 1\noption pmd-maxsleep=5 \0x\n";
		FILE *f = fopen(path, "w");

		cr_assert_not_null(f);
		cr_assert_eq(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
		fclose(f);
	}
	cr_assert_lt(sl_db_load(&db, path, err, sizeof(err)), 0);
	cr_assert_neq(strstr(err, "NUL"), NULL, "%s", err);
}

Test(db, port_settings_are_validated_before_they_apply)
{
	struct sl_db_port p = port("p0", "net_null0", 1);

	cr_assert_lt(sl_db_port_setting(&p, "mtu=67", false, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_port_setting(&p, "mtu=abc", false, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_port_setting(&p, "mtu=0x2000", false, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_port_setting(&p, "ofport=3", false, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_port_setting(&p, "noequals", false, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_port_setting(&p, "x=1", false, err, sizeof(err)), 0);
	cr_assert(strstr(err, "unknown port setting \"x\" (known: mtu, n_rxq") != NULL, "%s", err);
	cr_assert_eq(sl_db_port_setting(&p, "mtu=9000", false, err, sizeof(err)), SL_PS_MTU);
	cr_assert_str_eq(p.settings.v[SL_PS_MTU], "1500", "validation alone changes nothing");
	cr_assert_eq(p.settings.given, 0);
	cr_assert_eq(sl_db_port_setting(&p, "mtu=09000", true, err, sizeof(err)), SL_PS_MTU);
	cr_assert_str_eq(p.settings.v[SL_PS_MTU], "9000", "kept in canonical form");
	cr_assert_eq(sl_db_port_setting(&p, "n_rxq=4", true, err, sizeof(err)), SL_PS_N_RXQ);
	cr_assert_str_eq(p.settings.v[SL_PS_N_RXQ], "4");
	cr_assert_lt(sl_db_port_setting(&p, "n_rxq=65", true, err, sizeof(err)), 0);
}

Test(db, delete_port_and_resolve_names)
{
	struct sl_db db;
	uint16_t of = 0;

	cr_assert_eq(sl_db_init(&db, path), 0);
	add_port(&db, "p0", "net_null0", 3);
	add_port(&db, "p1", "net_null1", 0);
	cr_assert_eq(sl_db_resolve_port(&db, "p0", &of), 0);
	cr_assert_eq(of, 3);
	cr_assert_eq(sl_db_port_del(&db, "p0"), 0);
	cr_assert_eq(sl_db_resolve_port(&db, "p0", &of), -ENOENT);
	cr_assert_eq(sl_db_port_del(&db, "p0"), -ENOENT);
	cr_assert_eq(sl_db_free_ofport(&db), 2);
	sl_db_fini(&db);
}

Test(db, options_are_set_and_replaced)
{
	struct sl_db db;

	cr_assert_eq(sl_db_init(&db, path), 0);
	cr_assert_lt(sl_db_option_set(&db, "bad key=1", true, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_option_set(&db, "pmd-maxsleep=", true, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_option_set(&db, "pmd-maxsleep=10001", true, err, sizeof(err)), 0);
	cr_assert_lt(sl_db_option_set(&db, "nope=1", true, err, sizeof(err)), 0);
	cr_assert(strstr(err, "emc-insert-inv-prob") != NULL, "the known options are listed: %s", err);
	cr_assert_eq(db.options.given, 0, "refusals change nothing");
	cr_assert_eq(sl_db_option_set(&db, "pmd-maxsleep=50", true, err, sizeof(err)), SL_OPT_PMD_MAXSLEEP);
	cr_assert_eq(sl_db_option_set(&db, "pmd-maxsleep=100", true, err, sizeof(err)), SL_OPT_PMD_MAXSLEEP);
	cr_assert_str_eq(sl_db_option_get(&db, "pmd-maxsleep"), "100");
	cr_assert_null(sl_db_option_get(&db, "mac-aging-time"), "not given: default");
	cr_assert_null(sl_db_option_get(&db, "nope"));
	sl_db_fini(&db);
}

/* Meters: "meter" lines before the flows, read back; deleting one takes its flows along. */
Test(db, meters_round_trip_and_take_their_flows_when_deleted)
{
	struct sl_db db, back;
	struct sl_meter_spec m;
	struct sl_flow f;

	cr_assert_eq(sl_db_init(&db, path), 0);
	cr_assert_eq(sl_meter_parse("meter=1,pktps,burst,stats,bands=type=drop,rate=1000,burst_size=100",
				    SL_METER_PARSE_MOD, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_db_meter_set(&db, &m), 0);
	cr_assert_eq(sl_meter_parse("meter=2 kbps bands=type=drop rate=10", SL_METER_PARSE_MOD, &m,
				    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_db_meter_set(&db, &m), 0);
	cr_assert_eq(sl_flow_parse("in_port=1,actions=meter:1,output:2", SL_PARSE_FLOW, NULL, NULL, &f,
				   err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_ftable_add(&db.flows, &f), 0);
	cr_assert_eq(sl_flow_parse("in_port=2,actions=meter:2,output:1", SL_PARSE_FLOW, NULL, NULL, &f,
				   err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_ftable_add(&db.flows, &f), 0);
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), 0, "%s", err);
	cr_assert(strstr(read_file(path),
			 "meter meter=1 pktps burst stats bands=type=drop rate=1000 burst_size=100\n"
			 "meter meter=2 kbps bands=type=drop rate=10\n"
			 "flow priority=32768,in_port=1,actions=meter:1,output:2\n") != NULL,
		  "%s", read_file(path));
	cr_assert_eq(sl_db_load(&back, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.n_meters, 2);
	cr_assert(sl_meter_spec_equal(sl_db_meter_find(&back, 2), &m));

	cr_assert_eq(sl_db_meters_del(&back, 1), 1, "one flow used meter 1");
	cr_assert_eq(back.n_meters, 1);
	cr_assert_null(sl_db_meter_find(&back, 1));
	cr_assert_eq(back.flows.n, 1);
	cr_assert(sl_actions_use_meter(&sl_ftable_rule(&back.flows, sl_ftable_next(&back.flows, 0))->actions, 2));
	cr_assert_eq(sl_db_meters_del(&back, SL_METER_ALL), 1);
	cr_assert_eq(back.n_meters, 0);
	cr_assert_eq(back.flows.n, 0);
	sl_db_fini(&back);
	sl_db_fini(&db);

	write_file(path, "sluice-db 1\nmeter meter=3 pktps bands=type=drop rate=5\n"
			 "meter meter=3 kbps bands=type=drop rate=5\n");
	cr_assert_lt(sl_db_load(&back, path, err, sizeof(err)), 0);
	cr_assert(strstr(err, ":3: meter 3 given twice") != NULL, "%s", err);
	write_file(path, "sluice-db 1\nmeter meter=3 pktps bands=type=dscp_remark rate=5 prec_level=1\n");
	cr_assert_lt(sl_db_load(&back, path, err, sizeof(err)), 0);
	cr_assert(strstr(err, "only drop bands") != NULL, "%s", err);
}

Test(db, groups_and_timed_flows_are_saved_and_loaded_back)
{
	struct sl_db db, back;
	struct sl_group g;
	char text[SL_GROUP_TEXT_MAX];

	cr_assert_eq(sl_db_init(&db, path), 0);
	add_port(&db, "p0", "net_null0", 2);
	cr_assert_eq(sl_group_parse("group_id=7,type=ff,bucket=watch_port:p0,actions=output:p0",
				    SL_GROUP_PARSE_MOD, sl_db_resolve_port, &db, &g, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(sl_db_group_set(&db, &g), 0);
	add_flow(&db, "cookie=0x9,idle_timeout=5,hard_timeout=60,in_port=1,actions=group:7");
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), 0, "%s", err);
	cr_assert(strstr(read_file(path),
			 "group group_id=7,type=ff,bucket=watch_port:2,actions=output:2\n"
			 "flow cookie=0x9,idle_timeout=5,hard_timeout=60,priority=32768,in_port=1,"
			 "actions=group:7\n") != NULL,
		  "%s", read_file(path));
	cr_assert_eq(sl_db_load(&back, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.n_groups, 1);
	sl_group_format(&back.groups[0], text, sizeof(text));
	cr_assert_str_eq(text, "group_id=7,type=ff,bucket=watch_port:2,actions=output:2");
	cr_assert_eq(sl_ftable_diff(&db.flows, &back.flows), 0);
	cr_assert_eq((*sl_ftable_rule(&back.flows, sl_ftable_next(&back.flows, 0))).idle_timeout, 5);
	cr_assert_eq(sl_db_groups_del(&back, SL_GROUP_ALL_ID), 1);
	sl_db_fini(&back);
	sl_db_fini(&db);
}
