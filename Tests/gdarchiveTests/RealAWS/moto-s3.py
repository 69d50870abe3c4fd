#!/usr/bin/env python3
"""A moto S3 server on loopback for the real `aws s3 sync`.

usage: moto-s3.py PORTFILE
Listens on 127.0.0.1 on a free port, which it writes to PORTFILE once it is ready. Stops by
itself when the test that started it goes away, and after 10 minutes at most.
"""
import os, signal, sys, time

# Foundation's Process starts children with every signal blocked: unblock them, so that the
# test's SIGTERM stops the server.
signal.pthread_sigmask(signal.SIG_SETMASK, set())
signal.signal(signal.SIGTERM, signal.SIG_DFL)
parent = os.getppid()

from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
port = server.get_host_and_port()[1]
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
deadline = time.monotonic() + 600
while os.getppid() == parent and time.monotonic() < deadline:
    time.sleep(0.5)
server.stop()
os._exit(0)
