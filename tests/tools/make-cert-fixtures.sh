#!/bin/sh
# Makes the X.509 fixtures of tests/unit/fixtures/ (cert-*.der) for tests/unit/test-cert.c,
# and beside each one what swanctl printed for it (cert-*.swanctl.txt), from a throw-away
# charon of this host. Run as root from the top of the tree (see the fixtures' README.md):
#   tests/tools/make-cert-fixtures.sh tests/unit/fixtures
# Needs strongswan-pki, strongswan-swanctl, strongswan-charon, openssl and unshare. charon
# runs in private network and mount namespaces (its pid file and IKE sockets stay out of
# the host's way), with a VICI socket in a temporary directory; it is stopped at the end.
# Dates and serials are fixed, so making them again changes only keys and signatures.
set -eu
export TZ=UTC # pki reads --not-before/--not-after, swanctl prints validity, in local time
export LC_ALL=C
out=$(cd "$1" && pwd)
W=$(mktemp -d /tmp/ipx-certs.XXXXXX)
charon_pid=
cleanup()
{
	if [ -n "$charon_pid" ]; then
		kill "$charon_pid" 2>/dev/null || true
		wait "$charon_pid" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$W/strongswan.conf" <<EOF
charon {
	load_modular = yes
	port = 0
	port_nat_t = 0
	install_routes = no
	plugins {
		include /etc/strongswan.d/charon/*.conf
		vici {
			socket = unix://$W/charon.vici
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
	filelog {
		charon {
			path = $W/charon.log
			default = 1
		}
	}
}
swanctl {
	socket = unix://$W/charon.vici
}
EOF
export STRONGSWAN_CONF="$W/strongswan.conf"

# pki and swanctl report the plugins Debian lists but does not ship on stderr: keep it
# aside, show it only when they fail.
pki_() { pki "$@" 2>"$W/pki$1.err" || { cat "$W/pki$1.err" >&2; exit 1; }; }
# pki --self/--issue with dates as 2026-01-01_00:00:00
pkid() { pki_ "$@" --dateform '%Y-%m-%d_%T'; }

# The subject Name of a DER PKCS#10 request, as hex (for pki --dn asn1dn:#HEX, which puts
# those exact bytes in the certificate).
name_hex()
{
	openssl asn1parse -inform der -in "$1" |
		sed -n 's/^ *\([0-9]*\):d=2 *hl= *\([0-9]*\) *l= *\([0-9]*\) *cons: SEQUENCE.*/\1 \2 \3/p' |
		head -n 1 >name.pos
	read -r offset header length <name.pos
	dd if="$1" bs=1 skip="$offset" count=$((header + length)) 2>/dev/null |
		od -An -tx1 -v | tr -d ' \n'
}

cd "$W"
# --- keys ------------------------------------------------------------------------------
pki_ --gen --type rsa --size 3072 >ca-rsa.key
pki_ --gen --type ecdsa --size 256 >ca-ecdsa.key
pki_ --gen --type rsa --size 2048 >rsa.key
pki_ --gen --type ecdsa --size 384 >ecdsa.key
pki_ --gen --type ed25519 >ed25519.key
pki_ --gen --type ed448 >ed448.key
pki_ --gen --type ecdsa --size 256 >odd.key
openssl pkey -inform der -in odd.key -out odd.pem
openssl genpkey -algorithm X25519 -out x25519.pem
openssl pkey -in x25519.pem -pubout -out x25519.pub

# --- certificates made by pki ----------------------------------------------------------
# The root CA (RSA 3072) and an ECDSA P-256 intermediate, valid past 2049 (GeneralizedTime).
pkid --self --in ca-rsa.key --type rsa --ca --serial 01 \
	--dn "C=CH, O=strongSwan Test, CN=strongSwan Test Root CA" \
	--not-before 2026-01-01_00:00:00 --not-after 2036-01-01_00:00:00 >cert-ca-rsa.der
pki_ --pub --in ca-ecdsa.key --type ecdsa |
	pkid --issue --cacert cert-ca-rsa.der --cakey ca-rsa.key --ca --pathlen 0 --serial 00ff \
		--dn "C=CH, O=strongSwan Test, OU=Intermediate, CN=strongSwan Test ECDSA CA" \
		--not-before 2026-01-01_00:00:00 --not-after 2055-06-30_12:34:56 >cert-ca-ecdsa.der
# End entities: RSA with every kind of SAN pki makes and a 20-byte serial whose top bit is
# set (DER adds a 00 byte), valid until a leap day; ECDSA P-384 with serial 0; Ed25519.
pki_ --pub --in rsa.key --type rsa |
	pkid --issue --cacert cert-ca-rsa.der --cakey ca-rsa.key \
		--serial 8f0102030405060708090a0b0c0d0e0f10111213 \
		--dn "C=CH, O=strongSwan Test, OU=Lab, CN=moon.strongswan.org" \
		--san moon.strongswan.org --san 192.0.2.1 --san 2001:db8::1 \
		--san moon@strongswan.org \
		--not-before 2026-01-01_00:00:00 --not-after 2028-02-29_12:00:00 >cert-rsa.der
pki_ --pub --in ecdsa.key --type ecdsa |
	pkid --issue --cacert cert-ca-ecdsa.der --cakey ca-ecdsa.key --serial 00 \
		--dn "C=CH, O=strongSwan Test, CN=sun.strongswan.org" \
		--san sun.strongswan.org --san 198.51.100.7 \
		--not-before 2026-06-15_08:30:00 --not-after 2029-06-15_08:30:00 >cert-ecdsa.der
pki_ --pub --in ed25519.key --type priv |
	pkid --issue --cacert cert-ca-ecdsa.der --cakey ca-ecdsa.key --serial 7fffffffffffffff \
		--dn "C=CH, O=strongSwan Test, CN=carol@strongswan.org" --san carol@strongswan.org \
		--not-before 2026-01-01_00:00:00 --not-after 2031-01-01_00:00:00 >cert-ed25519.der
# Ed448, self-signed but no CA, from before the epoch to RFC 5280's "no expiry" date.
pkid --self --in ed448.key --type priv --serial 0448 --dn "CN=ed448.strongswan.org" \
	--san ed448.strongswan.org \
	--not-before 1965-06-01_00:00:00 --not-after 9999-12-31_23:59:59 >cert-ed448.der
# Expired since 2021.
pki_ --pub --in rsa.key --type rsa |
	pkid --issue --cacert cert-ca-rsa.der --cakey ca-rsa.key --serial 7f \
		--dn "C=CH, O=strongSwan Test, CN=expired.strongswan.org" \
		--not-before 2019-01-01_00:00:00 --not-after 2021-01-01_00:00:00 >cert-expired.der
# A redundant leading zero in the serial (00 00 00 00 01): DER forbids it, OpenSSL refuses
# the certificate, strongSwan takes it.
pkid --self --in odd.key --type ecdsa --serial 0000000001 --dn "CN=padded serial" \
	--not-before 2026-01-01_00:00:00 --not-after 2027-01-01_00:00:00 >cert-serial-padded.der
# More SANs than fit in 511 characters.
long_san_list()
{
	set --
	i=1
	while [ $i -le 30 ]; do
		set -- "$@" --san "host$i.long-san-list.strongswan.org"
		i=$((i + 1))
	done
	pkid --self --in odd.key --type ecdsa --serial 30 --dn "CN=long SAN list" "$@" \
		--not-before 2026-01-01_00:00:00 --not-after 2027-01-01_00:00:00
}
long_san_list >cert-san-long.der

# --- odd subject names: made by openssl req, copied byte for byte by pki ------------------
# Commas, quotes, a multi-valued RDN, UTF-8, a tab and DEL, leading space, attributes
# strongSwan names differently from OpenSSL (E, T, G, I, STREET, N, ...) or not at all
# (generationQualifier, businessCategory: printed as the OID's bytes in hex), an OID
# nobody knows.
cat >req.cnf <<'EOF'
oid_section = oids
[oids]
testAttr = 1.2.3.4.5
[req]
distinguished_name = dn
prompt = no
[dn]
EOF
tab=$(printf '\t')
del=$(printf '\177')
openssl req -new -key odd.pem -config req.cnf -utf8 -multivalue-rdn -outform der -out dn.csr \
	-subj "/C=CH/O=Foo, Inc./OU=R&D+CN=Zürich \"x\" <y>;#z=w\/s/emailAddress=a@b.c/CN= lead space/CN=t${tab}b${del}/DC=org/serialNumber=42/title=Dr/GN=Given/initials=I/pseudonym=ps/street=Main 1/postalCode=8000/dnQualifier=q/generationQualifier=III/description=desc/businessCategory=bc/name=nm/UID=uid/testAttr=unknown oid"
# Every subject attribute but C as a BMPString (UCS-2: a NUL before each ASCII byte).
cat >bmp.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
string_mask = MASK:0x800
utf8 = yes
[dn]
CN = bmp ü name
O = Org
EOF
openssl req -new -key odd.pem -config bmp.cnf -outform der -out bmp.csr
# Long names around strongSwan's 512-byte print buffer: 7 x "OU=<60 x>, " is 455
# characters; an 8th "OU=" + 53 characters ends at 511 (fits), + 54 does not; with a 9th
# attribute after 52 characters, its ", " does not fit; after 49, its "OU=" does not.
x60=$(printf '%060d' 0 | tr 0 x)
long() { # N: the subject of a request with 7 x 60-character OUs and one of N characters
	last=$(printf "%0${1}d" 0 | tr 0 y)
	s=
	i=1
	while [ $i -le 7 ]; do
		s="$s/OU=$x60"
		i=$((i + 1))
	done
	echo "$s/OU=$last${2:-}"
}
openssl req -new -key odd.pem -config req.cnf -outform der -out dn-511.csr -subj "$(long 53)"
openssl req -new -key odd.pem -config req.cnf -outform der -out dn-512.csr -subj "$(long 54)"
openssl req -new -key odd.pem -config req.cnf -outform der -out dn-sep.csr -subj "$(long 52 /CN=z)"
openssl req -new -key odd.pem -config req.cnf -outform der -out dn-type.csr -subj "$(long 49 /OU=z)"
for n in dn dn-bmp:bmp dn-511 dn-512 dn-sep dn-type; do
	cert=${n%%:*}
	csr=${n#*:}
	pkid --self --in odd.key --type ecdsa --serial 02 --dn "asn1dn:#$(name_hex "$csr.csr")" \
		--not-before 2026-03-01_10:00:00 --not-after 2049-12-31_23:59:59 >"cert-$cert.der"
done
# An empty subject (the identity is in a critical SAN, as RFC 5280 wants).
pkid --self --in odd.key --type ecdsa --serial 03 --dn "asn1dn:#3000" --san empty.strongswan.org \
	--not-before 2026-03-01_10:00:00 --not-after 2049-12-31_23:59:59 >cert-dn-empty.der

# --- what pki cannot make: openssl re-signs a pki certificate, keeping its dates ----------
# cert-dn: a negative serial (-5) and SANs of every GeneralName type: DNS, URI, IPv6, email,
# directoryName, a UPN otherName, registeredID, IPv4.
cat >ext.cnf <<'EOF'
[ext]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:weird.example.org, URI:https://weird.example.org/x, IP:2001:db8:0:0:0:0:0:1, email:weird@example.org, dirName:dirsect, otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.org, RID:1.2.3.4, IP:10.1.2.3
[dirsect]
C = DE
CN = dir name
EOF
openssl x509 -inform der -in cert-dn.der -key odd.pem -preserve_dates -set_serial -5 -clrext \
	-extfile ext.cnf -extensions ext -outform der -out cert-dn.der.new
mv cert-dn.der.new cert-dn.der
# An X25519 key: neither strongSwan nor ipsecCertTable knows it as a certificate key.
pkid --self --in odd.key --type ecdsa --serial 04 --dn "C=CH, O=strongSwan Test, CN=x25519" \
	--not-before 2026-01-01_00:00:00 --not-after 2027-01-01_00:00:00 >cert-x25519.der
openssl x509 -inform der -in cert-x25519.der -key odd.pem -force_pubkey x25519.pub \
	-preserve_dates -outform der -out cert-x25519.der.new
mv cert-x25519.der.new cert-x25519.der

# --- charon, and what swanctl prints for each certificate, loaded alone -------------------
unshare --mount --net --propagation private \
	sh -c 'mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon' >charon.out 2>&1 &
charon_pid=$!
i=0
until swanctl --stats >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		cat charon.out >&2
		echo "make-cert-fixtures: charon did not come up" >&2
		exit 1
	fi
	sleep 0.1
done
version=$(swanctl --version --daemon 2>/dev/null | head -n 1 | sed 's/ (.*//')

for der in cert-*.der; do
	name=${der%.der}
	rm -rf sw
	mkdir -p sw/x509 sw/x509ca sw/private
	case $name in
	cert-ca-rsa) cp "$der" sw/x509ca/ && cp ca-rsa.key sw/private/ ;;
	cert-ca-ecdsa) cp "$der" sw/x509ca/ && cp ca-ecdsa.key sw/private/ ;;
	cert-rsa) cp "$der" sw/x509/ && cp rsa.key sw/private/ ;;
	cert-ecdsa) cp "$der" sw/x509/ && cp ecdsa.key sw/private/ ;;
	cert-ed25519) cp "$der" sw/x509/ && cp ed25519.key sw/private/ ;;
	*) cp "$der" sw/x509/ ;;
	esac
	: >sw/swanctl.conf
	{
		echo "# $version; certificate $der, loaded alone"
		echo '$ swanctl --load-creds --clear --noprompt'
		SWANCTL_DIR="$W/sw" swanctl --load-creds --clear --noprompt 2>&1 |
			grep -E '^(loaded|loading)' | sed "s|$W/||"
		echo '$ TZ=UTC swanctl --list-certs'
		swanctl --list-certs 2>/dev/null
	} >"$name.swanctl.txt"
	cp "$der" "$name.swanctl.txt" "$out/"
done
set -- cert-*.der
echo "make-cert-fixtures: $# certificates in $out ($version)"
