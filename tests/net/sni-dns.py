#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# A tiny authoritative DNS responder for the edge-sni DNS tests.
# Usage: sni-dns.py ADDRESS PORT LOGFILE.  Every query is appended to
# LOGFILE as "NAME TYPE".  Names say what to answer:
#   nx-TTL-MIN.ZONE      NXDOMAIN, SOA of ZONE with that TTL and minimum
#   nodata-TTL-MIN.ZONE  NOERROR without answers, the same SOA
#   nosoa.ZONE           NXDOMAIN without an SOA
#   a6-TTL-X[-Y...].ZONE AAAA 2001:db8:1::X (then ::Y ...), in that order,
#                        with that TTL; no other type of record
# where ZONE is everything after the first label.
import ipaddress, socket, struct, sys

addr, port, logfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def name_wire(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'

def parse_qname(msg, off):
    labels = []
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode('ascii', 'replace'))
        off += n + 1
    return '.'.join(labels), off + 1

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
log = open(logfile, 'a', buffering=1)
while True:
    msg, peer = s.recvfrom(4096)
    if len(msg) < 12:
        continue
    qid, flags = struct.unpack('!HH', msg[:4])
    try:
        qname, off = parse_qname(msg, 12)
        qtype, qclass = struct.unpack('!HH', msg[off:off + 4])
    except (IndexError, struct.error):
        continue
    question = msg[12:off + 4]
    log.write('%s %d\n' % (qname.lower(), qtype))
    first, _, zone = qname.lower().partition('.')
    parts = first.split('-')
    rcode, soa = 3, None
    if parts[0] in ('nx', 'nodata') and len(parts) == 3:
        rcode = 3 if parts[0] == 'nx' else 0
        soa = (int(parts[1]), int(parts[2]))
    answers = []
    if parts[0] == 'a6' and len(parts) >= 3:
        rcode = 0
        if qtype == 28:
            ttl = int(parts[1])
            for x in parts[2:]:
                a = ipaddress.IPv6Address('2001:db8:1::' + x).packed
                # the name as a pointer to the question's
                answers.append(struct.pack('!HHHIH', 0xc00c, 28, 1, ttl, 16) + a)
    auth = b''
    if soa is not None:
        rdata = (name_wire('ns.' + zone) + name_wire('hostmaster.' + zone) +
                 struct.pack('!IIIII', 1, 3600, 600, 86400, soa[1]))
        auth = (name_wire(zone) + struct.pack('!HHIH', 6, 1, soa[0],
                len(rdata)) + rdata)
    # QR, AA, RD copied, RA
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode
    hdr = struct.pack('!HHHHHH', qid, rflags, 1, len(answers),
                      1 if auth else 0, 0)
    s.sendto(hdr + question + b''.join(answers) + auth, peer)
