#!/usr/bin/python3
"""gRPC echo server over h2c (cleartext HTTP/2), for the gateway's gRPC tests.

No protobuf and no generated code: the methods are registered with grpc's
generic handlers and messages stay raw bytes (no serializers).

    /usr/bin/python3 examples/grpc_echo.py --listen 127.0.0.1:0 --name echo-a

Service dmsc.example.Echo:
  Say    (unary)            request -> b"echo:" + request
                            (a request b"fail:<CODE>", e.g. fail:NOT_FOUND, ends
                            with that gRPC status instead, to test error paths)
  Count  (server streaming) request: a decimal N (default 3, at most 100000)
                            -> N messages b"0", b"1", ..., b"<N-1>"
Every call gets the initial metadata "x-instance: <name>".
Prints "listening on HOST:PORT" once serving (port 0 picks one).
"""
import argparse
import signal
import sys
import threading
from concurrent import futures

import grpc

SERVICE = "dmsc.example.Echo"
MAX_COUNT = 100000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:50051", help="HOST:PORT (port 0 picks one)")
    ap.add_argument("--name", default="grpc-echo", help="instance name (x-instance metadata)")
    args = ap.parse_args()

    def tag(context):
        context.send_initial_metadata((("x-instance", args.name),))

    def say(request, context):
        tag(context)
        if request.startswith(b"fail:"):
            code = request[5:].decode(errors="replace")
            context.abort(getattr(grpc.StatusCode, code, grpc.StatusCode.UNKNOWN),
                          "asked to fail with " + code)
        return b"echo:" + request

    def count(request, context):
        tag(context)
        try:
            n = int(request or b"3")
        except ValueError:
            n = -1
        if not 0 <= n <= MAX_COUNT:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "want a count 0..%d" % MAX_COUNT)
        for i in range(n):
            yield b"%d" % i

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Say": grpc.unary_unary_rpc_method_handler(say),
        "Count": grpc.unary_stream_rpc_method_handler(count),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port(args.listen)
    if port == 0:
        sys.exit("grpc_echo: cannot listen on " + args.listen)
    server.start()
    host = args.listen.rsplit(":", 1)[0]
    print("listening on %s:%d" % (host, port), flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
