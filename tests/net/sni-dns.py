#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# A tiny authoritative DNS responder for the edge-sni negative-cache test.
# Usage: sni-dns.py ADDRESS PORT LOGFILE.  Every query is appended to
# LOGFILE as "NAME TYPE".  Names say what to answer:
#   nx-TTL-MIN.ZONE      NXDOMAIN, SOA of ZONE with that TTL and minimum
#   nodata-TTL-MIN.ZONE  NOERROR without answers, the same SOA
#   nosoa.ZONE           NXDOMAIN without an SOA
# where ZONE is everything after the first label.
import socket, struct, sys

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
    auth = b''
    if soa is not None:
        rdata = (name_wire('ns.' + zone) + name_wire('hostmaster.' + zone) +
                 struct.pack('!IIIII', 1, 3600, 600, 86400, soa[1]))
        auth = (name_wire(zone) + struct.pack('!HHIH', 6, 1, soa[0],
                len(rdata)) + rdata)
    # QR, AA, RD copied, RA
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode
    hdr = struct.pack('!HHHHHH', qid, rflags, 1, 0, 1 if auth else 0, 0)
    s.sendto(hdr + question + auth, peer)
