/*
 * A summary of an X.509 certificate (what ipsecCertTable shows), parsed with OpenSSL from
 * the DER that charon's list-certs hands out (the "data" of each "list-cert" event).
 *
 * Every text is what `swanctl --list-certs` of strongSwan 5.9.8 prints for the same
 * certificate (tests/unit/fixtures/cert-*.swanctl.txt), so that an NMS shows what the
 * operator sees on the box:
 *  - DNs: "C=CH, O=strongSwan, CN=moon", attributes in encoded order, ", " between them
 *    (also inside a multi-valued RDN), no escaping; strongSwan's attribute names (E, T, G,
 *    I, N, D, STREET, UID, DC, ...), the OID's bytes in hex ("55:04:2c") for the others;
 *    the value's bytes as they are, each one outside ASCII 0x20-0x7e (UTF-8 sequences,
 *    BMPString NULs, controls) as '?'; at most 511 characters, cut as strongSwan cuts: an
 *    attribute that does not fit ends the text with "(invalid ID_DER_ASN1_DN)", itself cut
 *    to what fits.
 *  - serial: the integer's magnitude in lower-case hex bytes joined by ':', "00" for zero
 *    (swanctl shows a negative serial's magnitude too).
 *  - altNames: DNS names, email addresses, URIs, IP addresses (inet_ntop form), directory
 *    names (as DNs) and UPN otherNames, in certificate order, ", "-separated; other kinds
 *    are left out, as swanctl leaves them out. A list longer than the field is cut.
 *  - key: "RSA" (also RSA-PSS keys) or "ECDSA" with OpenSSL's bit count, "ED25519" 256,
 *    "ED448" 456; any other key (DSA, X25519, ...: strongSwan loads none of them) "" and 0.
 */
#ifndef IPX_CERT_H
#define IPX_CERT_H

#include <stddef.h>
#include <stdint.h>

#define IPX_CERT_DN_LEN 512
struct ipx_cert_info {
	char subject[IPX_CERT_DN_LEN]; /* as strongSwan prints DNs: "C=CH, O=strongSwan, CN=moon" */
	char issuer[IPX_CERT_DN_LEN];
	char serial[130];              /* lower-case hex with colons, as swanctl prints it */
	int64_t not_before, not_after; /* seconds since the epoch, UTC */
	char key_type[16];             /* "RSA", "ECDSA", "ED25519", "ED448", or "" */
	uint32_t key_bits;
	uint8_t is_ca;               /* basicConstraints CA:TRUE */
	char subject_alt_names[512]; /* SANs, ", "-separated, as swanctl prints "altNames:" */
};

/*
 * Parses DER; returns 0, -EBADMSG for anything OpenSSL cannot parse as an X.509 certificate
 * (including trailing garbage, a validity time OpenSSL cannot read, and a subjectAltName or
 * basicConstraints extension that does not decode or appears twice), -EINVAL for NULL/empty
 * input, -ENOMEM. Never reads past len. OUT is written only on success.
 */
int ipx_cert_parse_der(const uint8_t *der, size_t len, struct ipx_cert_info *out);

/*
 * Whole days from NOW until not_after, rounded down; negative once expired (-1 from one
 * second after not_after on). Saturates instead of overflowing. C must not be NULL.
 */
int64_t ipx_cert_days_left(const struct ipx_cert_info *c, int64_t now);

#endif
