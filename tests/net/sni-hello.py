#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# A ClientHello the size of a post-quantum one, for the edge-sni tests.
# Usage: sni-hello.py HOST PORT NAME SIZE RECORDS SEGMENTS
# Builds a ClientHello of SIZE bytes (a padding extension fills it) with
# NAME in its SNI, fragments the handshake message into RECORDS TLS
# records, sends the bytes in SEGMENTS writes 0.2 s apart (TCP_NODELAY:
# one TCP segment each), then a FIN.  The back end is expected to answer
# with the SHA-256 of everything it received (sha256sum); prints
# "sent HASH" and the reply, and exits 0 when the back end got every
# byte, in order.  With PG=1 in the environment a PostgreSQL SSLRequest
# goes first and must be answered "S".
import hashlib, os, socket, struct, sys, time

host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
size, nrec, nseg = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])

def ext(etype, body):
    return struct.pack('!HH', etype, len(body)) + body

sni = ext(0, struct.pack('!HBH', len(name) + 3, 0, len(name)) + name)
versions = ext(43, bytes([2, 3, 4]))
groups = ext(10, struct.pack('!HH', 2, 0x001d))
body_head = (b'\x03\x03' + os.urandom(32) + bytes([32]) + os.urandom(32) +
             struct.pack('!HHH', 4, 0x1301, 0x1302) + b'\x01\x00')
exts = sni + versions + groups
# handshake header 4 + body; padding extension header 4
pad = size - (len(body_head) + 2 + len(exts) + 4 + 4) - 5 * nrec
if pad < 0:
    sys.exit('SIZE too small')
# A big key share comes first in such hellos: the padding stands in for
# it, so the name arrives in the last record and the last segment.
exts = ext(21, bytes(pad)) + exts
body = body_head + struct.pack('!H', len(exts)) + exts
msg = bytes([1]) + struct.pack('!I', len(body))[1:] + body
# Fragment the handshake message over records.
stream = b''
step = -(-len(msg) // nrec)
for i in range(0, len(msg), step):
    frag = msg[i:i + step]
    stream += b'\x16\x03\x01' + struct.pack('!H', len(frag)) + frag
assert len(stream) == size, (len(stream), size)

s = socket.create_connection((host, port), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if os.environ.get('PG') == '1':
    s.sendall(struct.pack('!II', 8, 80877103))
    if s.recv(1) != b'S':
        sys.exit('SSLRequest not answered S')
step = -(-len(stream) // nseg)
for i in range(0, len(stream), step):
    s.sendall(stream[i:i + step])
    time.sleep(0.2)
s.shutdown(socket.SHUT_WR)
reply = b''
while True:
    b = s.recv(4096)
    if not b:
        break
    reply += b
sent = hashlib.sha256(stream).hexdigest()
print('sent', sent)
print('reply', reply.decode(errors='replace').strip())
sys.exit(0 if reply.split()[:1] == [sent.encode()] else 1)
