#!/usr/bin/python3
"""Routing convergence of real dmscd processes in network namespaces
(tests/topo/topo.py's harness; needs root).

  registration: a line of N nodes; time from starting `dmsc put` (its
    rib/register) at one end until `dmsc cat` at the other end gets the
    Data (new name each run, so no cache helps);
  failure: a ring of N nodes, consumer n2, producer n0; time from killing
    n1 (SIGKILL, the middle of the shortest path) until `dmsc ping` from n2
    to n0 is answered around the ring (n1 restarts between runs); its host
    stays up, so packets to it draw ICMP port unreachable (fast path);
  silent failure: the same ring, but n1's namespace drops every packet
    (nftables, in and out): no ICMP, only missed hellos tell (n1 comes back
    between runs);
  control traffic: after the line converges, the bytes/s each node sends on
    its neighbor faces over 5 s with no data (hellos, refreshes, acks).

Times include the polling step (about 20-40 ms: a dmsc process per probe).

  convergence.py DMSCD DMSC [--runs R] [--sizes 5,10,20] [--hello MS] [--dead N]
                            [--no-silent]
  --hello/--dead set routing.hello_interval / routing.dead_misses on every
  node (default: the daemon's defaults).
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "topo"))
import topo  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def until(fn, limit=60.0):
    t0 = time.monotonic()
    topo.poll(fn, "convergence", limit, step=0.01)
    return time.monotonic() - t0


def net_out_bytes(net, i):
    """Bytes sent by node i on its non-local (neighbor) faces."""
    faces = net.admin(i, "/faces") or {"faces": []}
    return sum(f["counters"]["out_bytes"] for f in faces["faces"] if f["scope"] == "non-local")


def control_traffic(net, n, secs=5.0):
    """Steady-state routing traffic with no data flowing: mean bytes/s sent
    per node (hellos, LSA refreshes, acks), and the busiest node."""
    b0 = [net_out_bytes(net, i) for i in range(n)]
    t0 = time.monotonic()
    time.sleep(secs)
    b1 = [net_out_bytes(net, i) for i in range(n)]
    dt = time.monotonic() - t0
    rates = [(b1[i] - b0[i]) / dt for i in range(n)]
    return sum(rates) / n, max(rates)


CONTROL = {}
ROUTING_CFG = {}


def new_net(n, edges):
    net = topo.Net(n, edges)
    net.routing_cfg = dict(ROUTING_CFG)
    return net


def bench_register(n, runs):
    net = new_net(n, [(i, i + 1) for i in range(n - 1)])
    try:
        for i in range(n):
            net.start(i)
        topo.poll(lambda: topo.converged(net, range(n)), "line converged")
        CONTROL[n] = control_traffic(net, n)
        out = []
        for r in range(runs):
            name = "/bench/reg/%d" % r
            t0 = time.monotonic()
            p = net.put(0, name, "x\n")
            topo.poll(lambda: net.cat(n - 1, name, lifetime=200, retries=0), "Data", 60, 0.01)
            out.append(time.monotonic() - t0)
            p.terminate()
        return out
    except Exception:
        net.failed = True  # keep the daemons' logs
        raise
    finally:
        net.close()
        net.cleanup_dir(keep=getattr(net, "failed", False))


def bench_failure(n, runs, silent=False):
    net = new_net(n, [(i, (i + 1) % n) for i in range(n)])
    try:
        for i in range(n):
            net.start(i)
        out = []
        for r in range(runs):
            topo.poll(lambda: topo.converged(net, range(n)), "ring converged")
            via1 = net.nbr_face(2, 1)
            topo.poll(lambda: net.best_nh(2, net.name(0)) == via1, "shortest path via n1")
            t0 = time.monotonic()
            if silent:
                net.blackhole(1)
            else:
                net.kill(1, signal.SIGKILL)
            topo.poll(lambda: net.ping(2, 0, 1, lifetime=100), "reroute", 60, 0.01)
            out.append(time.monotonic() - t0)
            if silent:
                net.blackhole(1, False)
            else:
                net.start(1)
        # per run n0 and n2 lose n1 (what n1 itself logs is not counted)
        downs = sum(len(net.log_lines(i, "event=neighbor-down")) for i in range(n) if i != 1)
        FLAPS[(n, silent)] = downs - 2 * runs
        return out
    except Exception:
        net.failed = True  # keep the daemons' logs
        raise
    finally:
        net.close()
        net.cleanup_dir(keep=getattr(net, "failed", False))


FLAPS = {}


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        return 2
    topo.configure(args[0], args[1])
    runs, sizes, silent = 5, [5, 10, 20], True
    rest = args[2:]
    while rest:
        if rest[0] == "--runs":
            runs = int(rest[1])
        elif rest[0] == "--sizes":
            sizes = [int(x) for x in rest[1].split(",")]
        elif rest[0] == "--hello":
            ROUTING_CFG["hello_interval"] = "%dms" % int(rest[1])
        elif rest[0] == "--dead":
            ROUTING_CFG["dead_misses"] = int(rest[1])
        elif rest[0] == "--no-silent":
            silent = False
            rest = rest[1:]
            continue
        else:
            print("unknown option %s" % rest[0])
            return 2
        rest = rest[2:]
    if os.geteuid() != 0:
        print("convergence: needs root (ip netns add)")
        return 1
    print("# dmscd %s, %d runs per size; milliseconds; routing %s" %
          (topo.DMSCD, runs, ROUTING_CFG or "defaults"))
    print("%-6s  %-28s  %-28s  %-28s" % ("nodes", "register->Data at far end",
                                         "kill->traffic around ring", "silent->traffic around ring"))
    print("%-6s  %8s %8s %9s  %8s %8s %9s  %8s %8s %9s" %
          ("", "p50", "p99", "max", "p50", "p99", "max", "p50", "p99", "max"))
    for n in sizes:
        a = bench_register(n, runs)
        b = bench_failure(n, runs)
        c = bench_failure(n, runs, True) if silent else None
        ms = lambda x: "%.0f" % (x * 1000)  # noqa: E731
        cols = [ms(pct(a, 50)), ms(pct(a, 99)), ms(max(a)), ms(pct(b, 50)), ms(pct(b, 99)),
                ms(max(b))]
        cols += [ms(pct(c, 50)), ms(pct(c, 99)), ms(max(c))] if c else ["-", "-", "-"]
        print("%-6d  %8s %8s %9s  %8s %8s %9s  %8s %8s %9s" % tuple([n] + cols))
        sys.stdout.flush()
    print("\nneighbor-down events other than the failed node's two neighbors, per run set: %s" %
          ", ".join("%d nodes %s: %d" % (n, "silent" if s else "kill", v)
                    for (n, s), v in sorted(FLAPS.items())))
    print("\nsteady-state routing traffic (line topology, no data; bytes/s sent on neighbor faces)")
    print("%-6s  %14s  %14s" % ("nodes", "mean per node", "busiest node"))
    for n in sizes:
        if n in CONTROL:
            print("%-6d  %14.0f  %14.0f" % (n, CONTROL[n][0], CONTROL[n][1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
