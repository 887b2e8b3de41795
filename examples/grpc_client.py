#!/usr/bin/python3
"""gRPC client for examples/grpc_echo.py (dmsc.example.Echo), over h2c.

    /usr/bin/python3 examples/grpc_client.py --target 127.0.0.1:50051 --method Say --data hi
    /usr/bin/python3 examples/grpc_client.py --target GATEWAY:PORT --authority echo.svc \\
        --method Count --data 5

Prints each reply message on its own line (raw bytes) and exits 0; on a gRPC
error prints "error: <STATUS> <details>" on stderr and exits 1. With
--metadata, also prints the server's initial metadata on stderr.
"""
import argparse
import sys

import grpc

SERVICE = "dmsc.example.Echo"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", required=True, help="HOST:PORT to connect to")
    ap.add_argument("--method", choices=("Say", "Count"), default="Say")
    ap.add_argument("--data", default="", help="request message (UTF-8 text)")
    ap.add_argument("--authority", help=":authority to send (default: the target)")
    ap.add_argument("--timeout", type=float, default=10.0, help="deadline, seconds")
    ap.add_argument("--metadata", action="store_true", help="print initial metadata on stderr")
    args = ap.parse_args()

    options = [("grpc.default_authority", args.authority)] if args.authority else []
    path = "/%s/%s" % (SERVICE, args.method)
    out = sys.stdout.buffer
    with grpc.insecure_channel(args.target, options=options) as channel:
        try:
            if args.method == "Say":
                reply, call = channel.unary_unary(path).with_call(
                    args.data.encode(), timeout=args.timeout)
                replies = [reply]
            else:
                call = channel.unary_stream(path)(args.data.encode(), timeout=args.timeout)
                replies = call
            for msg in replies:
                out.write(msg + b"\n")
                out.flush()
            if args.metadata:
                for k, v in call.initial_metadata():
                    print("%s: %s" % (k, v), file=sys.stderr)
        except grpc.RpcError as e:
            print("error: %s %s" % (e.code().name, e.details()), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
