/* Hand-made IKE rows for the unit tests of the IKE store and the notifier. */
#ifndef IPX_TEST_IKE_ROWS_H
#define IPX_TEST_IKE_ROWS_H

#include <stdint.h>

#include "ipsec_agentx/ike.h"

#define LOCAL4  "192.0.2.1"
#define REMOTE4 "192.0.2.2"

/* An address from its text (IPv4 or IPv6); family 0 if it is neither. */
void set_addr(struct ipx_addr *a, const char *text);
/* An ESTABLISHED IKEv2 SA LOCAL4:4500 <-> REMOTE4:4500, SPIs 0x1000 + uid and 0x2000 + uid. */
struct ipx_ike_sa mk_ike(uint32_t uid, const char *name);
/* An INSTALLED ESP tunnel CHILD_SA, reqid 1. */
struct ipx_child_sa mk_child(uint32_t uid, uint32_t ike_uid, const char *name, uint32_t spi_in,
                             uint32_t spi_out);
/* An IKEv2 connection x child. */
struct ipx_ike_conn mk_conn(const char *name, const char *child);

#endif
