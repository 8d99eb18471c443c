#!/usr/bin/env python3
"""Compares the agent's IKE tables (an snmpbulkwalk -OQs -Ox) with what swanctl says.

  ikecmp.py sas   SWANCTL_RAW_LIST_SAS   WALK   # ikeSaTable + ikeChildSaTable
  ikecmp.py conns SWANCTL_RAW_LIST_CONNS WALK   # ipsecConnTable
  ikecmp.py certs SWANCTL_LIST_CERTS     WALK   # ipsecCertTable (swanctl's text form)
  ikecmp.py links WALK                          # every kernel SA owned by a CHILD_SA and back
  ikecmp.py counters BEFORE AFTER WALK          # ipsecIkeCounterTable
                                                # (BEFORE, AFTER: swanctl --counters --raw,
                                                # then --raw --all, taken around the walk)

Prints one line per difference and "<what>: N from swanctl, N from snmpwalk, N differ";
exits 1 on any difference. Clocks (seconds to rekey, ...) and traffic counters are left
out: they move between the two snapshots.
"""
import re
import sys
from datetime import datetime, timezone

# ---- swanctl --raw ("list-sa event {lab4 {uniqueid=1 ... child-sas {net4-2 {...}}}}") ----

TOKEN = re.compile(r"""\s*(?:
    (?P<close>\})
  | (?P<list>[^\s={}]+)=\[(?P<items>[^\]]*)\]
  | (?P<sect>[^\s={}]+)\s\{
  | (?P<key>[^\s={}]+)=(?P<val>.*?)(?=\s[^\s={}]+=|\s[^\s={}]+\s\{|\s\}|\}|$)
)""", re.X)


def parse_raw(text):
    """One dict per '... event {...}' line: nested dicts, lists as Python lists."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^\S+ (?:event|reply) \{(.*)\}\s*$", line)
        if not m:
            continue
        body = m.group(1)
        stack = [{}]
        pos = 0
        while pos < len(body):
            t = TOKEN.match(body, pos)
            if not t or t.end() == pos:
                if body[pos:].strip() == "":
                    break
                raise ValueError("cannot parse swanctl output at: " + body[pos:pos + 40])
            pos = t.end()
            if t.group("close"):
                stack.pop()
            elif t.group("list"):
                stack[-1][t.group("list")] = t.group("items").split()
            elif t.group("sect"):
                d = {}
                stack[-1][t.group("sect")] = d
                stack.append(d)
            else:
                stack[-1][t.group("key")] = t.group("val")
        out.append(stack[0])
    return out


# ---- snmpbulkwalk -OQs -Ox ----------------------------------------------------------------

def parse_walk(text):
    """{table row index: {column name: value}}; hex strings are kept as bytes."""
    rows = {}
    last = None
    for line in text.splitlines():
        m = re.match(r"^(\w+)\.([\d.]+) = (.*)$", line)
        if not m:
            if last is not None and re.match(r"^[0-9A-Fa-f ]+$", line.strip()):
                col, idx = last
                rows[idx][col] += bytes.fromhex(line.strip())
            continue
        col, idx, val = m.groups()
        val = val.strip()
        # Net-SNMP prints octets it will not show as text as "C0 00 02 01 " (quoted)
        if re.match(r'^"([0-9A-Fa-f]{2} )+"$', val):
            val = bytes.fromhex(val[1:-1])
        elif val == '""':
            val = b""
        elif len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        rows.setdefault(idx, {})[col] = val
        last = (col, idx)
    return rows


def text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v.strip('"')


def addr(v):
    if isinstance(v, bytes):
        if len(v) == 4:
            return ".".join(str(b) for b in v)
        if len(v) == 16:
            import ipaddress
            return str(ipaddress.IPv6Address(v))
    return text(v)


def num(v):
    return str(int(str(v).split()[0]))


def enum(v):
    """'established' or 'established(3)' -> 'established'."""
    return re.sub(r"\(\d+\)$", "", str(v))


def spi_hex(v):
    return v.hex() if isinstance(v, bytes) else str(v).replace(" ", "").lower()


def table(rows, prefix):
    return {i: r for i, r in rows.items() if any(c.startswith(prefix) for c in r)}


def cols(rows, prefix):
    """Rows of one table, column names without the prefix."""
    out = {}
    for idx, r in rows.items():
        sub = {c[len(prefix):]: v for c, v in r.items() if c.startswith(prefix)}
        if sub:
            out[idx] = sub
    return out


class Diff:
    def __init__(self):
        self.n = 0

    def check(self, where, what, want, got):
        if want != got:
            print(f"{where}: {what}: swanctl {want!r}, snmp {got!r}")
            self.n += 1


# ---- list-sas ------------------------------------------------------------------------------

IKE_FIELDS = [  # swanctl key, MIB column suffix, converter
    ("uniqueid", "UniqueId", num),
    ("version", "Version", num),
    ("state", "State", lambda v: str(v).lower()),
    ("local-host", "LocalAddress", addr),
    ("local-port", "LocalPort", num),
    ("remote-host", "RemoteAddress", addr),
    ("remote-port", "RemotePort", num),
    ("local-id", "LocalId", text),
    ("remote-id", "RemoteId", text),
    ("initiator-spi", "InitiatorSpi", spi_hex),
    ("responder-spi", "ResponderSpi", spi_hex),
    ("encr-alg", "EncAlg", text),
    ("encr-keysize", "EncKeyBits", num),
    ("integ-alg", "IntegAlg", text),
    ("prf-alg", "PrfAlg", text),
    ("dh-group", "DhGroup", text),
]

CHILD_FIELDS = [
    ("name", "Name", text),
    ("uniqueid", "UniqueId", num),
    ("reqid", "Reqid", num),
    ("state", "State", lambda v: str(v).lower()),
    ("mode", "Mode", lambda v: str(v).lower()),
    ("protocol", "Protocol", lambda v: str(v).lower()),
    ("spi-in", "InSpi", lambda v: "%08x" % int(str(v), 16) if re.match(r"^[0-9a-f]+$", str(v)) else "%08x" % int(num(v))),
    ("spi-out", "OutSpi", lambda v: "%08x" % int(str(v), 16) if re.match(r"^[0-9a-f]+$", str(v)) else "%08x" % int(num(v))),
    ("encr-alg", "EncAlg", text),
    ("encr-keysize", "EncKeyBits", num),
    ("integ-alg", "IntegAlg", text),
    ("local-ts", "LocalTs", lambda v: ", ".join(v) if isinstance(v, list) else text(v)),
    ("remote-ts", "RemoteTs", lambda v: ", ".join(v) if isinstance(v, list) else text(v)),
]


def norm(conv, v, missing):
    if v is None:
        return missing
    return conv(v)


def cmp_sas(raw_path, walk_path):
    sas = {}
    for ev in parse_raw(open(raw_path).read()):
        for name, sa in ev.items():
            sas[sa["uniqueid"]] = (name, sa)
    rows = parse_walk(open(walk_path).read())
    ike = cols(rows, "ikeSa")
    child = cols(rows, "ikeChildSa")
    d = Diff()
    by_uid = {num(r["UniqueId"]): (i, r) for i, r in ike.items() if "UniqueId" in r}
    child_by_uid = {num(r["UniqueId"]): (i, r) for i, r in child.items() if "UniqueId" in r}
    nchild_swan = 0
    for uid, (name, sa) in sorted(sas.items()):
        if uid not in by_uid:
            print(f"IKE SA {name} #{uid}: not in ikeSaTable")
            d.n += 1
            continue
        idx, r = by_uid[uid]
        where = f"IKE SA {name} #{uid} (ikeSaIndex {idx})"
        d.check(where, "Name", name, text(r.get("Name", "")))
        for key, col, conv in IKE_FIELDS:
            missing = "0" if conv is num else ""
            d.check(where, col, norm(conv, sa.get(key), missing),
                    norm(conv, r.get(col), missing) if col in r else None)
        d.check(where, "Role", "initiator" if sa.get("initiator") == "yes" else "responder",
                enum(r.get("Role")))
        kids = sa.get("child-sas", {})
        d.check(where, "ChildSaCount", str(len(kids)), num(r.get("ChildSaCount", 0)))
        for sect, c in kids.items():
            nchild_swan += 1
            cuid = c["uniqueid"]
            if cuid not in child_by_uid:
                print(f"CHILD_SA {sect}: not in ikeChildSaTable")
                d.n += 1
                continue
            cidx, cr = child_by_uid[cuid]
            cw = f"CHILD_SA {sect} (ikeChildSaIndex {cidx})"
            d.check(cw, "IkeSaIndex", idx, num(cr.get("IkeSaIndex", 0)))
            for key, col, conv in CHILD_FIELDS:
                missing = "0" if conv is num else ""
                got = cr.get(col)
                if col in ("InSpi", "OutSpi") and got is not None:
                    got = "%08x" % int(num(got))
                    d.check(cw, col, norm(conv, c.get(key), missing), got)
                    continue
                d.check(cw, col, norm(conv, c.get(key), missing),
                        norm(conv, got, missing) if got is not None else None)
    extra = set(by_uid) - set(sas)
    for uid in sorted(extra):
        print(f"ikeSaTable row {by_uid[uid][0]} (uniqueid {uid}) not listed by swanctl")
        d.n += 1
    print(f"ike-sa: {len(sas)} from swanctl, {len(ike)} from snmpwalk, {d.n} differ")
    print(f"child-sa: {nchild_swan} from swanctl, {len(child)} from snmpwalk")
    if nchild_swan != len(child):
        d.n += 1
    return d.n


# ---- list-conns ----------------------------------------------------------------------------

def joined(v, sep=", "):
    if v is None:
        return ""
    return sep.join(v) if isinstance(v, list) else text(v)


def cmp_conns(raw_path, walk_path):
    want = {}
    for ev in parse_raw(open(raw_path).read()):
        for name, c in ev.items():
            kids = c.get("children", {}) or {"": {}}
            for child, cc in kids.items():
                want[(name, child)] = (c, cc)
    rows = cols(parse_walk(open(walk_path).read()), "ipsecConn")
    got = {(text(r.get("Name", b"")), text(r.get("ChildName", b""))): (i, r) for i, r in rows.items()}
    d = Diff()
    for key in sorted(want):
        c, cc = want[key]
        if key not in got:
            print(f"connection {key[0]}/{key[1]}: not in ipsecConnTable")
            d.n += 1
            continue
        idx, r = got[key]
        w = f"connection {key[0]}/{key[1]} (ipsecConnIndex {idx})"
        d.check(w, "LocalAddrs", joined(c.get("local_addrs")), text(r.get("LocalAddrs", b"")))
        d.check(w, "RemoteAddrs", joined(c.get("remote_addrs")), text(r.get("RemoteAddrs", b"")))
        ver = {"IKEv1": "ikev1", "IKEv2": "ikev2"}.get(c.get("version"), "any")
        d.check(w, "IkeVersion", ver, enum(r.get("IkeVersion")))
        d.check(w, "IkeRekeyTime", num(c.get("rekey_time", 0)), num(r.get("IkeRekeyTime", 0)))
        d.check(w, "ReauthTime", num(c.get("reauth_time", 0)), num(r.get("ReauthTime", 0)))
        local, remote = c.get("local-1", {}), c.get("remote-1", {})
        d.check(w, "LocalAuth", local.get("class", ""), text(r.get("LocalAuth", b"")))
        d.check(w, "LocalId", local.get("id", ""), text(r.get("LocalId", b"")))
        d.check(w, "RemoteAuth", remote.get("class", ""), text(r.get("RemoteAuth", b"")))
        d.check(w, "RemoteId", remote.get("id", ""), text(r.get("RemoteId", b"")))
        if key[1]:
            d.check(w, "Mode", str(cc.get("mode", "")).lower(), enum(r.get("Mode")))
            d.check(w, "ChildRekeyTime", num(cc.get("rekey_time", 0)),
                    num(r.get("ChildRekeyTime", 0)))
            d.check(w, "LocalTs", joined(cc.get("local-ts")), text(r.get("LocalTs", b"")))
            d.check(w, "RemoteTs", joined(cc.get("remote-ts")), text(r.get("RemoteTs", b"")))
            d.check(w, "DpdAction", cc.get("dpd_action", ""), text(r.get("DpdAction", b"")))
            d.check(w, "CloseAction", cc.get("close_action", ""), text(r.get("CloseAction", b"")))
    for key in sorted(set(got) - set(want)):
        print(f"ipsecConnTable row {got[key][0]} ({key[0]}/{key[1]}) not listed by swanctl")
        d.n += 1
    print(f"conn: {len(want)} from swanctl, {len(rows)} from snmpwalk, {d.n} differ")
    return d.n


# ---- list-certs ----------------------------------------------------------------------------

def parse_certs(path):
    """swanctl --list-certs text: subject, issuer, serial, validity, pubkey per certificate."""
    certs = []
    cur = None
    for line in open(path):
        m = re.match(r'^\s*subject:\s+"(.*)"', line)
        if m:
            cur = {"subject": m.group(1)}
            certs.append(cur)
            continue
        if cur is None:
            continue
        m = re.match(r'^\s*issuer:\s+"(.*)"', line)
        if m:
            cur["issuer"] = m.group(1)
        m = re.match(r"^\s*serial:\s+(\S+)", line)
        if m:
            cur["serial"] = m.group(1)
        m = re.match(r"^\s*pubkey:\s+(\S+) (\d+) bits(, has private key)?", line)
        if m:
            cur["keytype"], cur["keybits"] = m.group(1), m.group(2)
            cur["privkey"] = bool(m.group(3))
        m = re.match(r"^\s*altNames:\s+(.*)$", line)
        if m:
            cur["altnames"] = m.group(1).strip()
        m = re.match(r"^\s*validity:\s+not before (.*?),", line)
        if m:
            cur["notbefore"] = m.group(1)
        m = re.match(r"^\s*not after\s+(.*?),", line)
        if m:
            cur["notafter"] = m.group(1)
    return certs


def date_and_time(v):
    """A DateAndTime in hex bytes -> 'Nov 27 20:00:00 2026' in local time, as swanctl."""
    if isinstance(v, str):  # "2026-11-27,20:29:47.0,+0:0" (the TC's DISPLAY-HINT)
        m = re.match(r"^(\d+)-(\d+)-(\d+),(\d+):(\d+):(\d+)\.\d+,([+-])(\d+):(\d+)$", v)
        if not m:
            return v
        y, mo, d, h, mi, sec, sign, oh, om = m.groups()
        if (int(oh), int(om)) != (0, 0):
            return v  # the agent sends UTC
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), tzinfo=timezone.utc)
        return dt.astimezone().strftime("%b %d %H:%M:%S %Y")
    if len(v) < 8:
        return str(v)
    year = v[0] << 8 | v[1]
    dt = datetime(year, v[2], v[3], v[4], v[5], v[6], tzinfo=timezone.utc)
    return dt.astimezone().strftime("%b %d %H:%M:%S %Y")


def cmp_certs(path, walk_path):
    want = {c["serial"]: c for c in parse_certs(path)}
    rows = cols(parse_walk(open(walk_path).read()), "ipsecCert")
    got = {text(r.get("Serial", b"")): (i, r) for i, r in rows.items()}
    d = Diff()
    for serial, c in sorted(want.items()):
        if serial not in got:
            print(f"certificate {c['subject']} ({serial}): not in ipsecCertTable")
            d.n += 1
            continue
        idx, r = got[serial]
        w = f"certificate {c['subject']} (ipsecCertIndex {idx})"
        d.check(w, "Subject", c["subject"], text(r.get("Subject", b"")))
        d.check(w, "Issuer", c.get("issuer", c["subject"]), text(r.get("Issuer", b"")))
        d.check(w, "KeyType", c.get("keytype"), text(r.get("KeyType", b"")))
        d.check(w, "KeyBits", c.get("keybits"), num(r.get("KeyBits", 0)))
        d.check(w, "HasPrivateKey", "true" if c.get("privkey") else "false",
                enum(r.get("HasPrivateKey")))
        if "altnames" in c:
            d.check(w, "SubjectAltNames", c["altnames"], text(r.get("SubjectAltNames", b"")))
        if "notbefore" in c:
            d.check(w, "NotBefore", c["notbefore"], date_and_time(r.get("NotBefore")))
            d.check(w, "NotAfter", c["notafter"], date_and_time(r.get("NotAfter")))
    for serial in sorted(set(got) - set(want)):
        print(f"ipsecCertTable row {got[serial][0]} ({serial}) not listed by swanctl")
        d.n += 1
    print(f"cert: {len(want)} from swanctl, {len(rows)} from snmpwalk, {d.n} differ")
    return d.n


# ---- links ---------------------------------------------------------------------------------

def cmp_links(walk_path):
    rows = parse_walk(open(walk_path).read())
    sa = cols(rows, "ipsecSa")
    child = cols(rows, "ikeChildSa")
    d = Diff()
    linked = 0
    for idx, r in sorted(sa.items(), key=lambda x: int(x[0])):
        if "Spi" not in r:
            continue
        c = num(r.get("ChildSaIndex", 0))
        if c == "0" or c not in child:
            print(f"kernel SA {idx} (SPI {int(num(r['Spi'])):08x}): no CHILD_SA owns it")
            d.n += 1
            continue
        cr = child[c]
        spi = num(r["Spi"])
        direction = enum(r.get("Direction"))
        col = "InSpi" if direction == "inbound" else "OutSpi"
        d.check(f"kernel SA {idx}", f"its CHILD_SA {c}'s {col}", spi, num(cr.get(col, 0)))
        back = "InSaIndex" if direction == "inbound" else "OutSaIndex"
        d.check(f"CHILD_SA {c}", back, idx, num(cr.get(back, 0)))
        d.check(f"kernel SA {idx}", "IkeSaIndex", num(cr.get("IkeSaIndex", 0)),
                num(r.get("IkeSaIndex", 0)))
        d.check(f"kernel SA {idx}", "ConnIndex", num(cr.get("ConnIndex", 0)),
                num(r.get("ConnIndex", 0)))
        linked += 1
    print(f"links: {len([r for r in sa.values() if 'Spi' in r])} kernel SAs, {linked} linked, {d.n} differ")
    return d.n


def parse_counters(path):
    """{(scope, name): value} of swanctl --counters --raw [--all] replies (one a line):
    'counters reply {counters {SCOPE {NAME=N ...} ...} success=yes}', charon's global
    counters under an empty SCOPE."""
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^counters reply \{counters \{(.*)\} success=(\w+)", line.strip())
            if not m:
                continue
            if m.group(2) != "yes":
                raise ValueError("swanctl --counters failed: " + line.strip())
            for sc in re.finditer(r"(?:^|\s)([^\s{}=]*)\s?\{([^{}]*)\}", m.group(1)):
                for kv in sc.group(2).split():
                    k, v = kv.split("=", 1)
                    out[(sc.group(1), k)] = int(v)
    return out


def cmp_counters(before_path, after_path, walk_path):
    """Same (scope, name) set; before <= agent <= after (charon counts while we look)."""
    before, after = parse_counters(before_path), parse_counters(after_path)
    rows = cols(parse_walk(open(walk_path).read()), "ipsecIkeCounter")
    got = {}
    d = Diff()
    for idx, r in rows.items():
        key = (text(r.get("Scope", b"")), text(r.get("Name", b"")))
        if key in got:
            print(f"counter {key}: two rows")
            d.n += 1
        got[key] = int(num(r.get("Value", 0)))
        d.check(f"counter {key}", "SourceIndex", "1", num(r.get("SourceIndex", 0)))
    for key in sorted(set(before) | set(after) | set(got)):
        if key not in got:
            print(f"counter {key}: in swanctl, not in the table")
            d.n += 1
        elif key not in before or key not in after:
            print(f"counter {key}: in the table, not in swanctl (before and after)")
            d.n += 1
        elif not before[key] <= got[key] <= after[key]:
            print(f"counter {key}: {got[key]}, swanctl {before[key]} before, {after[key]} after")
            d.n += 1
    print(f"counters: {len(before)} from swanctl, {len(got)} from snmpwalk, {d.n} differ")
    return d.n


def main():
    what = sys.argv[1]
    if what == "sas":
        n = cmp_sas(sys.argv[2], sys.argv[3])
    elif what == "conns":
        n = cmp_conns(sys.argv[2], sys.argv[3])
    elif what == "certs":
        n = cmp_certs(sys.argv[2], sys.argv[3])
    elif what == "links":
        n = cmp_links(sys.argv[2])
    elif what == "counters":
        n = cmp_counters(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
    sys.exit(1 if n else 0)


if __name__ == "__main__":
    main()
