"""Serve openiop.wsgi on 127.0.0.1:PORT for the fuzzing step (.ci/fuzz).

The standard library's WSGI server, one thread per request: no autoreloader,
no DEBUG-only static serving, nothing of `runserver`'s development behaviour,
and no server package beyond what the project already installs. It is not a
production server; it only puts the production settings (DEBUG=0) behind HTTP.

Usage: python tests/fuzz/serve.py PORT
"""

import socketserver
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):  # one short line a request, on stderr
        sys.stderr.write(f"{self.command} {self.path[:200]} {code}\n")


def main(port: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from openiop.wsgi import application

    with make_server(
        "127.0.0.1", port, application, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    ) as server:
        print(f"serving on http://127.0.0.1:{port}/", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(int(sys.argv[1]))
