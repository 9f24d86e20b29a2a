/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's command server: ZMQ_REP on ipc://RUNDIR/primary.sock.
 * Each handler is registered next to its code against a request of
 * common/verbs.h; it validates, applies and fills the reply.  Any error
 * leaves the switch as it was.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <zmq.h>

#include "classifier.h"
#include "flow_syntax.h"
#include "msg.h"
#include "primary.h"
#include "settings.h"
#include "util.h"
#include "verbs.h"

sl_handler_fn sl_primary_handlers[SL_CMD_SLOTS];

static char *
dupstr(const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	return d;
}

static int
h_hello(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	Sluice__Hello *h = malloc(sizeof(*h));

	(void)req, (void)err, (void)errlen;
	if (h == NULL)
		return -ENOMEM;
	sluice__hello__init(h);
	h->role = dupstr("primary");
	h->pid = getpid();
	h->boot_id = sl_p.shm->boot_id;
	rep->hello = h;
	return 0;
}

static void
fill_port_info(Sluice__PortInfo *pi, unsigned int slot)
{
	const struct sl_port *p = &sl_p.shm->ports[slot];
	const struct sl_port_priv *pp = &sl_p.ports[slot];
	struct rte_eth_link link;
	struct rte_ether_addr mac;
	char macs[RTE_ETHER_ADDR_FMT_SIZE] = "";

	pi->name = dupstr(p->name);
	pi->devargs = dupstr(pp->devargs);
	pi->ofport = p->ofport;
	pi->n_rxq = p->n_rxq;
	pi->n_txq = p->n_txq;
	pi->mtu = p->mtu;
	pi->driver = dupstr(pp->driver);
	pi->bridged = p->bridged;
	pi->tx_shared = p->tx_shared;
	pi->port_id = p->port_id;
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0) {
		pi->link_up = link.link_status == RTE_ETH_LINK_UP;
		pi->link_speed = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
		pi->link_full_duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	}
	/* net_tap asks about its interface by name in our namespace; once the
	 * interface lives in another, ask there. */
	if (pp->kernel_if[0] != '\0') {
		int up = sl_tap_link_up(pp->kernel_if);

		if (up >= 0)
			pi->link_up = up == 1;
	}
	if (rte_eth_macaddr_get(p->port_id, &mac) == 0)
		rte_ether_format_addr(macs, sizeof(macs), &mac);
	pi->mac = dupstr(macs);
	pi->rx_csum_offload = pp->rx_csum;
	if (pp->pool != NULL) {
		pi->mempool = dupstr(pp->pool->name);
		pi->mbuf_buf_size = rte_pktmbuf_data_room_size(pp->pool);
	}
	sl_port_info_settings(pi, &sl_port_settings, &pp->cfg);
}

static int
h_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	unsigned int i;

	(void)req, (void)err, (void)errlen;
	for (i = 0; i < SL_MAX_PORTS; i++) {
		Sluice__PortInfo *pi;

		if (sl_p.shm->ports[i].state != SL_PORT_ACTIVE)
			continue;
		pi = REPLY_APPEND(rep, ports, n_ports, Sluice__PortInfo, SLUICE__PORT_INFO__INIT);
		if (pi == NULL)
			return -ENOMEM;
		fill_port_info(pi, i);
	}
	if (sl_reply_options(rep, &sl_options, &sl_p.options) < 0)
		return -ENOMEM;
	if (sl_ct_show_line(&rep->message) < 0)
		return -ENOMEM;
	return h_hello(req, rep, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, SHOW, h_show)

static int
h_add_port(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	if (req->add_port->port == NULL) {
		snprintf(err, errlen, "add-port: no port given");
		return -EINVAL;
	}
	return sl_port_add(req->add_port->port, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, ADD_PORT, h_add_port)

static int
h_del_port(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	char msg[SL_DEVARGS_MAX + 128];
	int rc = sl_port_del(req->del_port->name, msg, sizeof(msg), err, errlen);

	if (rc == 0)
		rep->message = dupstr(msg);
	return rc;
}
SL_REQ_HANDLER(sl_primary_handlers, DEL_PORT, h_del_port)

static int
h_detach(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	char msg[SL_DEVARGS_MAX + 256];
	int rc = sl_dev_detach(req->detach->devargs, msg, sizeof(msg));

	if (rc < 0) {
		snprintf(err, errlen, "%s", msg);
		return rc;
	}
	rep->message = dupstr(msg);
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DETACH, h_detach)

static int
h_set_port(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	return sl_port_set(req->set_port->name, req->set_port->n_settings,
			   req->set_port->settings, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, SET_PORT, h_set_port)

static int
h_add_flows(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return sl_flows_add(req->add_flows->n_flows, req->add_flows->flows, &rep->n_changed, err,
			    errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, ADD_FLOWS, h_add_flows)

static int
h_del_flows(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return sl_flows_del(req->del_flows->n_flows, req->del_flows->flows,
			    req->del_flows->strict, &rep->n_changed, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, DEL_FLOWS, h_del_flows)

static int
h_replace_flows(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return sl_flows_replace(req->replace_flows->n_flows, req->replace_flows->flows,
				&rep->n_changed, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, REPLACE_FLOWS, h_replace_flows)

static int
h_mod_flows(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return sl_flows_mod(req->mod_flows->n_flows, req->mod_flows->flows,
			    req->mod_flows->strict, &rep->n_changed, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, MOD_FLOWS, h_mod_flows)

/* The selector of a dump-flows or dump-aggregate request: its one match, or none. */
static int
request_selector(const Sluice__FlowMod *fm, struct sl_flow *sel, char *err, size_t errlen)
{
	if (fm == NULL || fm->n_flows == 0)
		return sl_flows_selector(NULL, sel, err, errlen);
	if (fm->n_flows > 1) {
		snprintf(err, errlen, "one match at most, not %zu", fm->n_flows);
		return -EINVAL;
	}
	return sl_flows_selector(fm->flows[0], sel, err, errlen);
}

static int
h_dump_flows(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	const struct sl_ftable *t = &sl_p.flows;
	bool strict = req->dump_flows != NULL && req->dump_flows->strict;
	uint64_t now = sl_now_ms();
	struct sl_flow sel;
	char text[2048];
	int rc;

	rc = request_selector(req->dump_flows, &sel, err, errlen);
	if (rc < 0)
		return rc;
	rep->flows = calloc(t->n ? t->n : 1, sizeof(*rep->flows));
	if (rep->flows == NULL)
		return -ENOMEM;
	SL_FTABLE_FOREACH(i, t) {
		const struct sl_flow *f = sl_ftable_rule(t, i);
		const struct sl_pflow *pf = sl_pflow_of(i);
		Sluice__FlowInfo *fi;

		if (!sl_flow_selects(&sel, f, strict))
			continue;
		fi = malloc(sizeof(*fi));
		if (fi == NULL)
			return -ENOMEM;
		sluice__flow_info__init(fi);
		rep->flows[rep->n_flows++] = fi;
		sl_flow_format(f, text, sizeof(text));
		fi->text = dupstr(text);
		sl_flow_counters_sum(pf->id, &fi->n_packets, &fi->n_bytes);
		fi->duration_ms = now - pf->created_ms;
		fi->priority = f->priority;
		fi->cookie = f->cookie;
		fi->idle_timeout = sl_pflow_idle_timeout(f, pf);
		fi->hard_timeout = sl_pflow_hard_timeout(f, pf);
		/* A packet counted since the last look is use now. */
		fi->idle_age_ms = fi->n_packets != pf->seen_packets ? 0 : now - pf->used_ms;
		fi->hard_age_ms = now - pf->modified_ms;
	}
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DUMP_FLOWS, h_dump_flows)

static int
h_dump_aggregate(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	const struct sl_ftable *t = &sl_p.flows;
	Sluice__AggregateInfo *ai = malloc(sizeof(*ai));
	struct sl_flow sel;
	int rc;

	if (ai == NULL)
		return -ENOMEM;
	sluice__aggregate_info__init(ai);
	rep->aggregate = ai;
	rc = request_selector(req->dump_aggregate, &sel, err, errlen);
	if (rc < 0)
		return rc;
	SL_FTABLE_FOREACH(i, t) {
		uint64_t packets, bytes;

		if (!sl_flow_selects(&sel, sl_ftable_rule(t, i), req->dump_aggregate->strict))
			continue;
		sl_flow_counters_sum(sl_pflow_of(i)->id, &packets, &bytes);
		ai->packet_count += packets;
		ai->byte_count += bytes;
		ai->flow_count++;
	}
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DUMP_AGGREGATE, h_dump_aggregate)

static int
add_port_stats(Sluice__Reply *rep, unsigned int slot, bool xstats)
{
	Sluice__PortStats *ps;

	ps = REPLY_APPEND(rep, port_stats, n_port_stats, Sluice__PortStats,
			  SLUICE__PORT_STATS__INIT);
	if (ps == NULL)
		return -ENOMEM;
	return sl_port_stats_fill(ps, slot, xstats);
}

static int
h_dump_ports(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	const char *name = req->dump_ports->name;
	unsigned int i;
	int slot;

	if (name != NULL && name[0] != '\0') {
		slot = sl_port_find(name);
		if (slot < 0) {
			snprintf(err, errlen, "unknown port \"%s\"", name);
			return -ENOENT;
		}
		return add_port_stats(rep, slot, req->dump_ports->xstats);
	}
	for (i = 0; i < SL_MAX_PORTS; i++)
		if (sl_p.shm->ports[i].state == SL_PORT_ACTIVE &&
		    add_port_stats(rep, i, req->dump_ports->xstats) < 0)
			return -ENOMEM;
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DUMP_PORTS, h_dump_ports)

static int
h_worker_event(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)req, (void)rep, (void)err, (void)errlen;
	/* Liveness is checked from shared memory; an event just hurries it. */
	sl_workers_check();
	return 0;
}

void
sl_option_apply(int id, uint64_t v)
{
	struct sl_shm *shm = sl_p.shm;

	/* A switch over the enum: -Wswitch names an option left without a way in. */
	switch ((enum sl_option_id)id) {
	case SL_OPT_EMC_INSERT_INV_PROB:
		__atomic_store_n(&shm->emc_inv_prob, (uint32_t)v, __ATOMIC_RELAXED);
		break;
	case SL_OPT_MAC_AGING_TIME:
		__atomic_store_n(&shm->mac_aging_s, (uint32_t)v, __ATOMIC_RELAXED);
		break;
	case SL_OPT_PMD_MAXSLEEP:
		__atomic_store_n(&shm->idle_sleep_us, (uint32_t)v, __ATOMIC_RELAXED);
		break;
	case SL_OPT_PMD_CPU_MASK:
	case SL_OPT_PMD_RXQ_ASSIGN:
	case SL_OPT_PMD_RXQ_ISOLATE:
	case SL_OPT_PMD_AUTO_LB:
	case SL_OPT_PMD_AUTO_LB_LOAD_THRESHOLD:
	case SL_OPT_PMD_AUTO_LB_IMPROVEMENT_THRESHOLD:
	case SL_OPT_PMD_AUTO_LB_REBAL_INTERVAL:
		sl_pmd_option_apply(id); /* polling.c: reads sl_p.options */
		break;
	case SL_OPT_CONTROLLER_RATE_LIMIT:
	case SL_OPT_CONTROLLER_BURST_LIMIT:
		break; /* packet_in.c reads sl_p.options at each drain */
	case SL_OPT_COUNT:
		break;
	}
}

static int
h_set_option(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	char kv[SL_VALUE_MAX + 128];
	struct sl_values next = sl_p.options;
	int id;

	(void)rep;
	snprintf(kv, sizeof(kv), "%s=%s", req->set_option->key, req->set_option->value);
	id = sl_values_set_kv(&sl_options, &next, kv, err, errlen);
	if (id < 0)
		return id;
	if (sl_values_check_all(&sl_options, &next, err, errlen) < 0)
		return -EINVAL;
	if (sl_pmd_option_check(id, &next, err, errlen) < 0)
		return -EBUSY;
	sl_p.options = next;
	sl_option_apply(id, sl_values_u64(&sl_options, &next, id));
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, SET_OPTION, h_set_option)

static int
h_mempool_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	return sl_mempools_fill_reply(rep);
}
SL_REQ_HANDLER(sl_primary_handlers, MEMPOOL_SHOW, h_mempool_show)

static int
h_shutdown(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)req, (void)rep, (void)err, (void)errlen;
	sl_p.quit = true;
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, SHUTDOWN, h_shutdown)

static int
h_worker_restart(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	if (req->worker_restart->id >= SL_MAX_WORKERS ||
	    !sl_p.shm->workers[req->worker_restart->id].enabled) {
		snprintf(err, errlen, "no worker %u", req->worker_restart->id);
		return -ENOENT;
	}
	/* Processes are sluiced's to start; the primary says whether the slot
	 * has a running worker to hand over from, and on which lcore. */
	if (__atomic_load_n(&sl_p.shm->workers[req->worker_restart->id].state,
			    __ATOMIC_ACQUIRE) != SL_WORKER_RUNNING) {
		snprintf(err, errlen, "worker %u is not running: nothing to hand over",
			 req->worker_restart->id);
		return -ESRCH;
	}
	return sl_worker_info_add(rep, req->worker_restart->id);
}
SL_REQ_HANDLER(sl_primary_handlers, WORKER_RESTART, h_worker_restart)

/* Handlers that take sl_state_lock themselves, for less than all they do. */
static bool
locks_itself(const Sluice__Request *req)
{
	return req->cmd_case == SLUICE__REQUEST__CMD_ADD_PORT ||
	       req->cmd_case == SLUICE__REQUEST__CMD_DEL_PORT;
}

static void
handle_one(void)
{
	Sluice__Request *req;
	Sluice__Reply *rep;
	char err[1024] = "", shown[1024];
	int rc;

	rc = sl_msg_recv_request(sl_p.rep_sock, ZMQ_DONTWAIT, &req, err, sizeof(err));
	if (rc == -EAGAIN)
		return;
	if (rc < 0) {
		PLOG(WARNING, "refused a request: %s", err);
		sl_msg_reply_error(sl_p.rep_sock, -rc, "%s", err);
		return;
	}
	rep = malloc(sizeof(*rep));
	if (rep == NULL) {
		sl_msg_reply_error(sl_p.rep_sock, ENOMEM, "out of memory");
		sluice__request__free_unpacked(req, NULL);
		return;
	}
	sluice__reply__init(rep);
	sl_notices_begin();
	if (req->internal_case == SLUICE__REQUEST__INTERNAL_HELLO) {
		rc = h_hello(req, rep, err, sizeof(err));
	} else if (req->internal_case == SLUICE__REQUEST__INTERNAL_WORKER_EVENT) {
		sl_state_wrlock();
		rc = h_worker_event(req, rep, err, sizeof(err));
		sl_state_unlock();
	} else if ((size_t)req->cmd_case >= SL_CMD_SLOTS || sl_primary_handlers[req->cmd_case] == NULL) {
		rc = -ENOTSUP;
		snprintf(err, sizeof(err), "the primary does not handle \"%s\"",
			 sl_request_name(req));
	} else if (req->show == NULL) {
		/* protobuf allows a oneof member without its message */
		rc = -EINVAL;
		snprintf(err, sizeof(err), "%s: empty request", sl_request_name(req));
	} else {
		/* Reads on sl-reads see no change half made; flow requests touch
		 * nothing they read, and run beside them (reads.c); add-port and
		 * del-port lock around what they see, not around the device's
		 * attach or detach (ports.c). */
		bool lock = !sl_request_is(req, SL_VERB_FLOWS) && !locks_itself(req);

		if (lock)
			sl_state_wrlock();
		rc = sl_primary_handlers[req->cmd_case](req, rep, err, sizeof(err));
		if (lock)
			sl_state_unlock();
	}
	if (rc < 0) {
		/* A failed request answers with the error only, never half a result. */
		/* Errors quote the client's words (a flow's text): printable. */
		sl_printable(err[0] ? err : strerror(-rc), shown, sizeof(shown));
		sl_reply_free_built(rep);
		sl_msg_reply_error(sl_p.rep_sock, -rc, "%s", shown);
		PLOG(INFO, "%s: %s", sl_request_name(req), shown);
	} else {
		sl_notices_attach(rep);
		sl_msg_send_reply(sl_p.rep_sock, rep);
		sl_reply_free_built(rep);
	}
	sluice__request__free_unpacked(req, NULL);
}

void
sl_server_poll(int timeout_ms)
{
	zmq_pollitem_t pi = { .socket = sl_p.rep_sock, .events = ZMQ_POLLIN };

	if (zmq_poll(&pi, 1, timeout_ms) > 0 && (pi.revents & ZMQ_POLLIN))
		handle_one();
}

int
sl_server_init(void)
{
	for (size_t i = 0; i < SL_N_VERBS; i++)
		if ((sl_verbs[i].flags & SL_VERB_PRIMARY) && sl_primary_handlers[sl_verbs[i].cmd] == NULL) {
			PLOG(ERR, "internal error: no handler for %s", sl_verbs[i].name);
			return -1;
		}
	sl_values_init(&sl_p.options, &sl_options);
	for (size_t i = 0; i < sl_options.n; i++)
		sl_option_apply((int)i, sl_values_u64(&sl_options, &sl_p.options, (int)i));
	char ep[600], path[600];
	int linger = 0, rc;
	mode_t old_mask;
	int64_t maxsz = SL_MSG_MAX;

	sl_p.zctx = zmq_ctx_new();
	sl_p.rep_sock = zmq_socket(sl_p.zctx, ZMQ_REP);
	if (sl_p.rep_sock == NULL)
		return -1;
	zmq_setsockopt(sl_p.rep_sock, ZMQ_LINGER, &linger, sizeof(linger));
	/* Oversized messages are dropped by ZeroMQ before we ever allocate them. */
	zmq_setsockopt(sl_p.rep_sock, ZMQ_MAXMSGSIZE, &maxsz, sizeof(maxsz));
	snprintf(path, sizeof(path), "%s/primary.sock", sl_p.rundir);
	unlink(path);
	sl_endpoint(ep, sizeof(ep), sl_p.rundir, "primary.sock");
	/* Only our own user (sluiced) talks to the primary: the socket is born 0600. */
	old_mask = umask(0177);
	rc = zmq_bind(sl_p.rep_sock, ep);
	umask(old_mask);
	if (rc != 0) {
		PLOG(ERR, "bind %s: %s", ep, zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

void
sl_server_close(void)
{
	char path[600];

	sl_reads_stop();
	zmq_close(sl_p.rep_sock);
	zmq_ctx_term(sl_p.zctx);
	snprintf(path, sizeof(path), "%s/primary.sock", sl_p.rundir);
	unlink(path);
}
