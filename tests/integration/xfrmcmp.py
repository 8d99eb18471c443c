#!/usr/bin/env python3
"""Compare what ipsec-agentx serves with what the kernel's own tools print.

  xfrmcmp.py policy IP_S_XFRM_POLICY_FILE WALK_FILE
  xfrmcmp.py stat   XFRM_STAT_FILE WALK_FILE
  xfrmcmp.py sa     IP_S_XFRM_STATE_FILE WALK_FILE   (IPX_LOCAL_ADDRS: check direction)

WALK_FILE is `snmpbulkwalk -On -Ox -Oe -OQ -Ot` output of the MIB root. Both sides are
reduced to the same records; any difference is printed and the exit status is 1.
"""
import ipaddress
import os
import re
import sys

ROOT = ".1.3.6.1.4.1.8072.9999.9999.4500.1"
MODES = {1: "transport", 2: "tunnel", 3: "ro", 4: "in_trigger", 5: "beet"}
PROTOS = {50: "esp", 51: "ah", 108: "comp"}


def parse_walk(path):
    """{(table_suffix, column, index_tuple): value}; hex strings become bytes."""
    values = {}
    oid = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("."):
                oid, _, value = line.partition(" = ")
                values[oid] = value.strip()
            elif oid is not None:  # hex dumps wrap every 16 bytes
                values[oid] += " " + line.strip()
    rows = {}
    for oid, value in values.items():
        if not oid.startswith(ROOT + "."):
            continue
        rows[tuple(int(x) for x in oid[len(ROOT) + 1:].split("."))] = value
    return rows


def as_bytes(value):
    """snmpwalk -Ox prints octet strings as "C0 00 02 01 " (quoted, wrapped at 16)."""
    return bytes(int(x, 16) for x in value.replace('"', " ").split())


def as_addr(value):
    b = as_bytes(value)
    if len(b) == 0:
        return None
    return str(ipaddress.ip_address(b))


def table(rows, table_oid, index_len):
    """{index: {column: value}} for one table whose entry is table_oid + (1,)."""
    out = {}
    n = len(table_oid)
    for key, value in rows.items():
        if key[:n] == table_oid and len(key) == n + 2 + index_len and key[n] == 1:
            col, idx = key[n + 1], key[n + 2:]
            out.setdefault(idx, {})[col] = value
    return out


def load_protocols():
    """Number -> name as /etc/protocols has it, which is also where `ip` looks."""
    names = {}
    try:
        with open("/etc/protocols") as f:
            for line in f:
                w = line.split("#")[0].split()
                if len(w) >= 2 and w[1].isdigit():
                    names.setdefault(int(w[1]), w[0])
    except OSError:
        pass
    return names


PROTOCOL_NAMES = load_protocols()
# Addresses of the monitored host (IPX_LOCAL_ADDRS="a b ..."): enables the direction check.
LOCAL = set(os.environ.get("IPX_LOCAL_ADDRS", "").split())


def proto_name(num):
    num = int(num)
    if num == 0:
        return None
    return PROTOCOL_NAMES.get(num, str(num))


def norm_proto(word):
    if word.isdigit():
        return proto_name(word)
    return word


def report(kind, left, right, left_name, right_name):
    bad = 0
    for key in sorted(set(left) | set(right), key=str):
        a, b = left.get(key), right.get(key)
        if a != b:
            bad += 1
            print(f"{kind} {key}:\n  {left_name}: {a}\n  {right_name}: {b}")
    print(f"{kind}: {len(left)} from {left_name}, {len(right)} from {right_name}, "
          f"{bad} differ")
    return bad == 0 and len(left) > 0


# ---- policies ---------------------------------------------------------------------------

def blocks(path):
    block = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            if not line[0].isspace() and block:
                yield block
                block = []
            block.append(line.rstrip("\n"))
    if block:
        yield block


def words_after(line, key):
    w = line.split()
    return w[w.index(key) + 1] if key in w else None


def selector_from_ip(first):
    w = first.split()
    sel = {"src": w[w.index("src") + 1], "dst": w[w.index("dst") + 1],
           "proto": norm_proto(words_after(first, "proto")) if "proto" in w else None,
           "sport": int(words_after(first, "sport") or 0),
           "dport": int(words_after(first, "dport") or 0)}
    return sel


def policies_from_ip(path):
    out = {}
    for b in blocks(path):
        if not b[0].startswith("src"):
            continue
        sel = selector_from_ip(b[0])
        pol = {"sel": sel, "tmpl": []}
        for line in b[1:]:
            s = line.strip()
            if s.startswith("dir ") or s.startswith("socket "):
                pol["dir"] = (words_after(s, "dir") if s.startswith("dir ")
                              else "socket-" + words_after(s, "socket"))
                pol["action"] = words_after(s, "action")
                pol["index"] = int(words_after(s, "index"))
                pol["priority"] = int(words_after(s, "priority"))
                pol["ptype"] = words_after(s, "ptype")
            elif s.startswith("mark "):
                v, m = words_after(s, "mark").split("/")
                pol["mark"] = (int(v, 16), int(m, 16))
            elif s.startswith("if_id "):
                pol["if_id"] = int(words_after(s, "if_id"), 16)
            elif s.startswith("tmpl "):
                pol["tmpl"].append({"src": words_after(s, "src"), "dst": words_after(s, "dst")})
            elif s.startswith("proto ") and pol["tmpl"]:
                t = pol["tmpl"][-1]
                t["proto"] = words_after(s, "proto")
                t["spi"] = int(words_after(s, "spi").split("(")[0], 16)
                t["reqid"] = int(words_after(s, "reqid").split("(")[0])
                t["mode"] = words_after(s, "mode")
            elif s.startswith("level ") and pol["tmpl"]:
                pol["tmpl"][-1]["level"] = words_after(s, "level")
        for t in pol["tmpl"]:
            # ip prints unset template addresses as 0.0.0.0 or ::
            for k in ("src", "dst"):
                if t[k] in ("0.0.0.0", "::"):
                    t[k] = None
        out[pol["index"]] = pol
    return out


def prefix(addr, plen):
    return f"{addr}/{plen}"


def policies_from_walk(rows):
    pols = table(rows, (3,), 1)
    tmpls = table(rows, (4,), 2)
    out = {}
    for idx, c in pols.items():
        sel = {"src": prefix(as_addr(c[8]), c[9]), "dst": prefix(as_addr(c[11]), c[12]),
               "proto": proto_name(c[13]), "sport": int(c[14]), "dport": int(c[15])}
        pol = {"sel": sel, "tmpl": [],
               "dir": {1: "in", 2: "out", 3: "fwd", 4: "socket-in", 5: "socket-out",
                       6: "socket-fwd"}[int(c[3])],
               "action": {1: "allow", 2: "block"}[int(c[5])],
               "index": int(c[2]), "priority": int(c[6]),
               "ptype": {1: "main", 2: "sub"}[int(c[4])]}
        if 17 in c:
            pol["mark"] = (int(c[17]), int(c[18]))
        if 19 in c:
            pol["if_id"] = int(c[19])
        n = int(c[20])
        for i in range(1, n + 1):
            t = tmpls.get(idx + (i,))
            if t is None:
                pol["tmpl"].append(None)
                continue
            pol["tmpl"].append({"src": as_addr(t[3]), "dst": as_addr(t[5]),
                                "proto": PROTOS.get(int(t[6]), t[6]), "spi": int(t[10]),
                                "reqid": int(t[8]), "mode": MODES[int(t[7])],
                                "level": {1: "required", 2: "use"}[int(t[9])]})
        out[pol["index"]] = pol
    return out


def normalise_ip_selector(pol):
    """ip prints the selector address with its prefix; make both sides canonical."""
    for k in ("src", "dst"):
        addr, _, plen = pol["sel"][k].partition("/")
        if addr in ("None", ""):
            pol["sel"][k] = None
        else:
            pol["sel"][k] = str(ipaddress.ip_network(f"{addr}/{plen}", strict=False))
    return pol


def cmd_policy(ip_file, walk_file):
    ip = {k: normalise_ip_selector(v) for k, v in policies_from_ip(ip_file).items()}
    snmp = {k: normalise_ip_selector(v) for k, v in policies_from_walk(parse_walk(walk_file)).items()}
    return report("policy", ip, snmp, "ip xfrm policy", "snmpwalk")


# ---- drop counters ----------------------------------------------------------------------

def cmd_stat(stat_file, walk_file):
    kernel = {}
    with open(stat_file) as f:
        for line in f:
            name, value = line.split()
            kernel[name] = int(value)
    rows = parse_walk(walk_file)
    served = {}
    for idx, c in table(rows, (5, 40), 1).items():
        served[as_bytes(c[2]).decode()] = int(c[3])
    ok = report("xfrm_stat table", kernel, served, "/proc/net/xfrm_stat", "snmpwalk")
    # The named scalars must agree with the table for every counter they name.
    names = ["InError", "InBufferError", "InHdrError", "InNoStates", "InStateProtoError",
             "InStateModeError", "InStateSeqError", "InStateExpired", "InStateMismatch",
             "InStateInvalid", "InTmplMismatch", "InNoPols", "InPolBlock", "InPolError",
             "OutError", "OutBundleGenError", "OutBundleCheckError", "OutNoStates",
             "OutStateProtoError", "OutStateModeError", "OutStateSeqError",
             "OutStateExpired", "OutPolBlock", "OutPolDead", "OutPolError", "FwdHdrError",
             "OutStateInvalid", "AcquireError", "OutStateDirError", "InStateDirError",
             "InIptfsError", "OutNoQueueSpace"]
    scalars = {}
    for i, n in enumerate(names, 1):
        v = rows.get((5, i, 0))
        if v is not None:
            scalars["Xfrm" + n] = int(v)
    expected = {k: v for k, v in kernel.items() if k[4:] in names}
    return report("xfrm_stat scalars", expected, scalars, "/proc/net/xfrm_stat", "snmpwalk") and ok


# ---- SAs --------------------------------------------------------------------------------

def sas_from_ip(path):
    out = {}
    for b in blocks(path):
        if not b[0].startswith("src"):
            continue
        w = b[0].split()
        sa = {"src": w[1], "dst": w[3], "algs": []}
        for line in b[1:]:
            s = line.strip()
            if s.startswith("proto "):
                sa["proto"] = words_after(s, "proto")
                sa["spi"] = int(words_after(s, "spi").split("(")[0], 16)
                sa["reqid"] = int(words_after(s, "reqid").split("(")[0])
                sa["mode"] = words_after(s, "mode")
            elif s.startswith("replay-window ") and " failed " not in s:
                sa["replay_window"] = int(words_after(s, "replay-window"))
            elif re.match(r"^(enc|auth|auth-trunc|aead|comp) ", s):
                kind, name = s.split()[:2]
                bits = re.search(r"\((\d+) bits\)", s)
                sa["algs"].append((kind, name, int(bits.group(1)) if bits else 0))
            elif re.match(r"^\d+\(bytes\), \d+\(packets\)$", s):
                sa["bytes"], sa["packets"] = (int(x) for x in re.findall(r"\d+", s))
            elif s.startswith("mark "):
                v, m = words_after(s, "mark").split("/")
                sa["mark"] = (int(v, 16), int(m, 16))
            elif s.startswith("if_id "):
                sa["if_id"] = int(words_after(s, "if_id"), 16)
        for line in b:
            s = line.strip()
            m = re.match(r"^replay-window (\d+) replay (\d+) failed (\d+)$", s)
            if m:
                sa["stats"] = tuple(int(x) for x in m.groups())
        sa["algs"].sort()
        if LOCAL:  # the direction this host sees: inbound when it is the destination
            sa["dir"] = "inbound" if sa["dst"] in LOCAL else "outbound"
        out[(sa["dst"], sa["spi"], sa["proto"])] = sa
    return out


def sas_from_walk(rows):
    out = {}
    for idx, c in table(rows, (2,), 1).items():
        algs = []
        for kind, name_col, bits_col in (("enc", 14, 15), ("auth", 16, 17), ("aead", 19, 20),
                                          ("comp", 22, None)):
            name = as_bytes(c[name_col]).decode()
            if name:
                bits = int(c[bits_col]) if bits_col else 0
                if kind == "auth" and int(c[18]) and int(c[18]) != 0:
                    kind = "auth-trunc"
                algs.append((kind, name, bits))
        sa = {"src": as_addr(c[3]), "dst": as_addr(c[5]), "algs": sorted(algs),
              "proto": PROTOS[int(c[6])], "spi": int(c[7]), "reqid": int(c[8]),
              "mode": MODES[int(c[9])], "replay_window": int(c[23]),
              "bytes": int(c[45]), "packets": int(c[46]),
              "stats": (int(c[53]), int(c[51]), int(c[52]))}
        if 34 in c:
            sa["mark"] = (int(c[34]), int(c[35]))
        if 36 in c:
            sa["if_id"] = int(c[36])
        if LOCAL:
            sa["dir"] = {1: "inbound", 2: "outbound", 3: "unknown"}[int(c[10])]
        out[(sa["dst"], sa["spi"], sa["proto"])] = sa
    return out


def cmd_sa(ip_file, walk_file):
    ip = sas_from_ip(ip_file)
    snmp = sas_from_walk(parse_walk(walk_file))
    return report("sa", ip, snmp, "ip -s xfrm state", "snmpwalk")


def main(argv):
    cmds = {"policy": cmd_policy, "stat": cmd_stat, "sa": cmd_sa}
    if len(argv) != 4 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return 0 if cmds[argv[1]](argv[2], argv[3]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
