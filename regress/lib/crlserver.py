#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
"""HTTP server for the CRL fetch tests, on a loopback port.

crlserver.py DIR PORTFILE [PORT]: serves DIR's files (Python's
http.server) on PORT (default: any free one), writes the port it
listens on to PORTFILE, answers every POST with DIR/ocsp-answer (a
replayed OCSP response), and misbehaves on purpose at a few paths, as
servers on the Internet do:
  /redirect/NAME   302 to the absolute URL of /NAME
  /relative/NAME   302 to the path /NAME
  /loop            302 to itself
  /silent          accepts, then says nothing
  /chunked         a chunked body in answer to HTTP/1.0
  /endless         a body that does not end
  /short           Content-Length larger than the body
"""
import http.server
import os
import socketserver
import sys
import time

ROOT, PORTFILE = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 0


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=ROOT, **kw)

    def log_message(self, fmt, *args):
        with open(os.path.join(ROOT, "..", "requests.log"), "a") as f:
            f.write(self.requestline + "\n")

    def redirect(self, where):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(os.path.join(ROOT, "ocsp-answer"), "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        host = "http://127.0.0.1:%d" % self.server.server_address[1]
        p = self.path
        if p.startswith("/redirect/"):
            return self.redirect(host + "/" + p[len("/redirect/"):])
        if p.startswith("/relative/"):
            return self.redirect("/" + p[len("/relative/"):])
        if p == "/loop":
            return self.redirect(host + "/loop")
        if p == "/silent":
            self.log_message("")
            time.sleep(30)
            return
        if p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")
            return
        if p == "/endless":
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"\0" * 65536)
            except OSError:
                return
        if p == "/short":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0" * 10)
            return
        return super().do_GET()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", PORT), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
