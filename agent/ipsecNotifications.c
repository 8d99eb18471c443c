/*
 * The notifications of IPSEC-AGENTX-MIB: a struct ipx_notification (decided by
 * src/notify.c) into an SNMPv2 notification sent through the master agent.
 *
 * The varbinds follow the OBJECTS clause of each NOTIFICATION-TYPE exactly (RFC 2578: all
 * of them, in order), each as instance .0 of its accessible-for-notify object under
 * ipsecNotifyObjects. A value the source did not know is sent as zero, zero-length,
 * unknown(0) or eight zero octets (SPIs), as the MIB describes; nothing is left out, so a
 * receiver can rely on the positions. tests/unit/test-mib.c compares these lists with the
 * MIB as Net-SNMP parses it.
 */
#include <errno.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>

#include "ipsec_agentx/log.h"
#include "groups.h"
#include "oids.h"

/* The objects under ipsecNotifyObjects. */
enum notify_object {
	NO_SOURCE = 1,
	NO_CONN,
	NO_CHILD,
	NO_IKE_SA,
	NO_CHILD_SA,
	NO_CONN_INDEX,
	NO_SA,
	NO_LOCAL_TYPE,
	NO_LOCAL,
	NO_REMOTE_TYPE,
	NO_REMOTE,
	NO_IKE_SPI_I,
	NO_IKE_SPI_R,
	NO_OLD_IKE_SPI_I,
	NO_OLD_IKE_SPI_R,
	NO_IN_SPI,
	NO_OUT_SPI,
	NO_OLD_IN_SPI,
	NO_OLD_OUT_SPI,
	NO_REASON,
	NO_DROP_KIND,
	NO_COUNTER,
	NO_VALUE,
	NO_THRESHOLD,
	NO_WINDOW,
	NO_SECONDS,
	NO_CERT_SUBJECT,
	NO_CERT_DAYS,
};

#define MAX_OBJECTS 17
#define ENDPOINTS   NO_LOCAL_TYPE, NO_LOCAL, NO_REMOTE_TYPE, NO_REMOTE
#define IKE_SA      NO_SOURCE, NO_CONN, NO_IKE_SA, NO_CONN_INDEX, ENDPOINTS
#define CHILD_SA    NO_SOURCE, NO_CONN, NO_CHILD, NO_IKE_SA, NO_CHILD_SA, NO_CONN_INDEX, ENDPOINTS
#define DROPS                                                                                      \
	NO_DROP_KIND, NO_COUNTER, NO_SA, NO_SOURCE, NO_CONN, NO_CHILD, NO_CONN_INDEX, ENDPOINTS,   \
	    NO_IN_SPI, NO_OUT_SPI, NO_VALUE, NO_THRESHOLD, NO_WINDOW

/* The OBJECTS clause of each notification, 0-terminated; index = enum ipx_notify_type. */
static const unsigned char objects[IPX_NOTIFY_MAX + 1][MAX_OBJECTS] = {
    [IPX_NOTIFY_IKE_UP] = {IKE_SA, NO_IKE_SPI_I, NO_IKE_SPI_R},
    [IPX_NOTIFY_IKE_DOWN] = {IKE_SA, NO_IKE_SPI_I, NO_IKE_SPI_R, NO_REASON},
    [IPX_NOTIFY_CHILD_UP] = {CHILD_SA, NO_IN_SPI, NO_OUT_SPI},
    [IPX_NOTIFY_CHILD_DOWN] = {CHILD_SA, NO_IN_SPI, NO_OUT_SPI, NO_REASON},
    [IPX_NOTIFY_IKE_REKEYED] = {IKE_SA, NO_OLD_IKE_SPI_I, NO_OLD_IKE_SPI_R, NO_IKE_SPI_I,
                                NO_IKE_SPI_R},
    [IPX_NOTIFY_CHILD_REKEYED] = {CHILD_SA, NO_OLD_IN_SPI, NO_OLD_OUT_SPI, NO_IN_SPI, NO_OUT_SPI},
    [IPX_NOTIFY_REKEY_RATE] = {NO_SOURCE, NO_CONN, NO_CONN_INDEX, NO_VALUE, NO_THRESHOLD,
                               NO_WINDOW},
    [IPX_NOTIFY_REKEY_OVERDUE] = {NO_SOURCE, NO_CONN, NO_CHILD, NO_IKE_SA, NO_CHILD_SA,
                                  NO_CONN_INDEX, NO_SA, ENDPOINTS, NO_IN_SPI, NO_OUT_SPI,
                                  NO_SECONDS, NO_THRESHOLD, NO_REASON},
    [IPX_NOTIFY_DROPS_HIGH] = {DROPS},
    [IPX_NOTIFY_DROPS_NORMAL] = {DROPS},
    [IPX_NOTIFY_CONN_DOWN] = {NO_SOURCE, NO_CONN, NO_CHILD, NO_CONN_INDEX, NO_SECONDS,
                              NO_THRESHOLD},
    [IPX_NOTIFY_CERT_EXPIRING] = {NO_SOURCE, NO_CERT_SUBJECT, NO_CERT_DAYS, NO_THRESHOLD},
};

static const oid snmptrap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */
static const oid notifications_oid[] = {IPX_OID_NOTIFICATIONS};
static const oid objects_oid[] = {IPX_OID_NOTIFY_OBJECTS};

/* Whether the AgentX session with the master is open (SNMPD_CALLBACK_INDEX_START/STOP). */
static int master_up;
static uint64_t undelivered;

/* The eight octets of an IKE SPI, most significant first (as ikeSaInitiatorSpi). */
static void spi_val(struct ipx_val *v, uint64_t spi)
{
	for (int i = 0; i < 8; i++)
		v->buf[i] = (u_char)(spi >> (56 - 8 * i));
	ipx_val_bytes(v, v->buf, 8);
}

/* Text cut to the SIZE of its object (the C arrays are one longer, for the NUL). */
static void text_val(struct ipx_val *v, const char *s, size_t size, size_t max)
{
	size_t n = strnlen(s, size);

	ipx_val_bytes(v, s, n > max ? max : n);
}

static void u32_val(struct ipx_val *v, uint64_t x)
{
	ipx_val_gauge(v, x > UINT32_MAX ? UINT32_MAX : (unsigned long)x);
}

static void i32_val(struct ipx_val *v, int64_t x)
{
	ipx_val_int(v, x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : (long)x);
}

/* The values the MIB knows; anything else is unknown(0). */
static long reason_val(uint8_t reason)
{
	return reason <= IPX_DOWN_DAEMON ? reason : IPX_DOWN_UNKNOWN;
}

static int object_val(const struct ipx_notification *n, unsigned int obj, struct ipx_val *v)
{
	switch (obj) {
	case NO_SOURCE: u32_val(v, n->source); break;
	case NO_CONN: text_val(v, n->conn, sizeof(n->conn), 63); break;
	case NO_CHILD: text_val(v, n->child, sizeof(n->child), 63); break;
	case NO_IKE_SA: u32_val(v, n->ike_index); break;
	case NO_CHILD_SA: u32_val(v, n->child_index); break;
	case NO_CONN_INDEX: u32_val(v, n->conn_index); break;
	case NO_SA: u32_val(v, n->sa_index); break;
	case NO_LOCAL_TYPE: ipx_val_inet_type(v, &n->local); break;
	case NO_LOCAL: ipx_val_inet_addr(v, &n->local); break;
	case NO_REMOTE_TYPE: ipx_val_inet_type(v, &n->remote); break;
	case NO_REMOTE: ipx_val_inet_addr(v, &n->remote); break;
	case NO_IKE_SPI_I: spi_val(v, n->ike_spi_i); break;
	case NO_IKE_SPI_R: spi_val(v, n->ike_spi_r); break;
	case NO_OLD_IKE_SPI_I: spi_val(v, n->old_ike_spi_i); break;
	case NO_OLD_IKE_SPI_R: spi_val(v, n->old_ike_spi_r); break;
	case NO_IN_SPI: u32_val(v, n->spi_in); break;
	case NO_OUT_SPI: u32_val(v, n->spi_out); break;
	case NO_OLD_IN_SPI: u32_val(v, n->old_spi_in); break;
	case NO_OLD_OUT_SPI: u32_val(v, n->old_spi_out); break;
	case NO_REASON: ipx_val_int(v, reason_val(n->reason)); break;
	case NO_DROP_KIND:
		if (n->drop_kind < IPX_DROP_XFRM_STAT || n->drop_kind > IPX_DROP_SA_INTEGRITY)
			return -1;
		ipx_val_int(v, n->drop_kind);
		break;
	case NO_COUNTER: text_val(v, n->counter, sizeof(n->counter), 47); break;
	case NO_VALUE: u32_val(v, n->value); break;
	case NO_THRESHOLD: u32_val(v, n->threshold); break;
	case NO_WINDOW: u32_val(v, n->window); break;
	case NO_SECONDS: i32_val(v, n->seconds); break;
	case NO_CERT_SUBJECT: text_val(v, n->subject, sizeof(n->subject), 255); break;
	case NO_CERT_DAYS: i32_val(v, n->days_left); break;
	default: return -1;
	}
	return 0;
}

static int add(netsnmp_variable_list **list, const oid *name, size_t len, const struct ipx_val *v)
{
	const void *p = v->ptr;
	size_t n = v->len;

	if (v->type != ASN_OCTET_STR) {
		p = &v->l;
		n = sizeof(v->l);
	}
	return snmp_varlist_add_variable(list, name, len, v->type, p, n) ? 0 : -ENOMEM;
}

/* The varbinds into *out: 0, -EINVAL (a type or value the MIB does not have), -ENOMEM. */
static int build(const struct ipx_notification *n, netsnmp_variable_list **out)
{
	netsnmp_variable_list *list = NULL;
	oid trap[MAX_OID_LEN], name[MAX_OID_LEN];
	size_t tlen = OID_LENGTH(notifications_oid), olen = OID_LENGTH(objects_oid);
	unsigned int type = (unsigned int)n->type;
	int rc = -ENOMEM;

	*out = NULL;
	if (type < 1 || type > IPX_NOTIFY_MAX) {
		ipx_log_warnx("notification of unknown type %u not sent", type);
		return -EINVAL;
	}
	memcpy(trap, notifications_oid, sizeof(notifications_oid));
	trap[tlen++] = type;
	if (!snmp_varlist_add_variable(&list, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
	                               trap, tlen * sizeof(oid)))
		return -ENOMEM;
	memcpy(name, objects_oid, sizeof(objects_oid));
	name[olen + 1] = 0; /* the instance of a scalar */
	for (const unsigned char *o = objects[type]; *o; o++) {
		struct ipx_val v;

		memset(&v, 0, sizeof(v));
		name[olen] = *o;
		if (object_val(n, *o, &v) < 0) {
			ipx_log_warnx("notification %u: bad value for object %u, not sent", type,
			              (unsigned int)*o);
			rc = -EINVAL;
			goto fail;
		}
		if (add(&list, name, olen + 2, &v) < 0)
			goto fail;
	}
	*out = list;
	return 0;
fail:
	snmp_free_varbind(list);
	return rc;
}

netsnmp_variable_list *ipx_notification_varbinds(const struct ipx_notification *n)
{
	netsnmp_variable_list *list;

	return build(n, &list) == 0 ? list : NULL;
}

int ipx_notifications_send(const struct ipx_notification *n)
{
	netsnmp_variable_list *vbs;
	int rc = build(n, &vbs);

	if (rc < 0)
		return rc;
	if (!master_up)
		undelivered++;
	ipx_log_debug("agent", "notification %d (%s%s%s)%s", (int)n->type, n->conn,
	              n->child[0] ? "/" : "", n->child, master_up ? "" : ": no master, lost");
	send_v2trap(vbs);
	snmp_free_varbind(vbs);
	return 0;
}

void ipx_notifications_sink(void *arg, const struct ipx_notification *n)
{
	(void)arg;
	ipx_notifications_send(n);
}

uint64_t ipx_notifications_undelivered(void)
{
	return undelivered;
}

static int on_session(int major, int minor, void *serverarg, void *clientarg)
{
	master_up = minor == SNMPD_CALLBACK_INDEX_START;
	return SNMPERR_SUCCESS;
}

int ipx_notifications_init(void)
{
	static int registered;

	if (registered)
		return 0;
	if (snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START,
	                           on_session, NULL) != SNMPERR_SUCCESS ||
	    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP, on_session,
	                           NULL) != SNMPERR_SUCCESS)
		return -1;
	registered = 1;
	return 0;
}
