#!/usr/bin/env python3
"""include_cycles.py — fails when the files of src/ include or call each other in a cycle.

usage: tools/include_cycles.py [--src DIR] [--lib ARCHIVE]... [--nm NM] [--quiet]

Two graphs over the files of DIR (default: src/ of this checkout):
  includes  file -> the header it includes with #include "name" (a header of
            DIR; system headers are left out);
  calls     a.c -> b.c when a.c's object uses an external symbol (a function
            or a variable) that b.c's object defines, read with `nm` from the
            static libraries ARCHIVE (e.g. build/libcharnn_core.a; their
            members are named FILE.c.o or FILE.o); without --lib only the
            includes are checked.
The .c files that include one private header NAME_impl.h are one module
split in files (e.g. the CPU backend: backend_cpu_impl.h), one node of the
call graph: their calls among themselves are the module's own.
A file that includes or calls itself is no cycle; any other strongly connected
set of files is, and is printed with one cycle through it and the headers or
symbols of its edges. Exit status: 0 no cycle, 1 a cycle, 2 a usage error or
an nm failure. Needs python3 and binutils' nm only.
"""
import argparse
import collections
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def include_graph(src):
    """{file: {header: [header]}} for the .c and .h files of src."""
    names = sorted(f for f in os.listdir(src) if f.endswith((".c", ".h")))
    present = set(names)
    graph = {}
    for name in names:
        with open(os.path.join(src, name), encoding="utf-8", errors="replace") as f:
            text = f.read()
        edges = collections.defaultdict(list)
        for inc in INCLUDE.findall(text):
            inc = os.path.basename(inc)
            if inc in present and inc != name:
                edges[inc].append(inc)
        graph[name] = edges
    return graph


def source_of(member):
    """'trainer.c.o' or 'trainer.o' -> 'trainer.c' (None for anything else)."""
    if member.endswith(".c.o"):
        return member[:-2]
    if member.endswith(".o"):
        return member[:-2] + ".c"
    return None


def nm_symbols(nm, lib):
    """{source: (defined, used)} of the archive's members, global symbols only."""
    try:
        out = subprocess.run([nm, "-A", "-g", lib], check=True, capture_output=True,
                             text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"include_cycles: {nm} -A -g {lib} failed: {e}")
    files = collections.defaultdict(lambda: (set(), set()))
    for line in out.splitlines():
        # "lib.a:member.c.o:0000000000000000 T name" or "lib.a:member.c.o:   U name"
        head, _, rest = line.rpartition(":")
        member = head.rpartition(":")[2] if head.count(":") else head
        fields = rest.split()
        if len(fields) < 2:
            continue
        kind, sym = fields[-2], fields[-1]
        src = source_of(os.path.basename(member))
        if not src:
            continue
        defined, used = files[src]
        (used if kind == "U" else defined).add(sym)
    return files


def modules(includes):
    """{file.c: node name}: the .c files including one NAME_impl.h merged."""
    node = {}
    for name, edges in includes.items():
        impl = sorted(h for h in edges if h.endswith("_impl.h"))
        if name.endswith(".c") and impl:
            node[name] = impl[0][: -len("_impl.h")] + "*.c"
    return node


def merged(graph, node):
    """graph with each file replaced by its module's node."""
    out = {}
    for a, edges in graph.items():
        na = node.get(a, a)
        dst = out.setdefault(na, collections.defaultdict(list))
        for b, syms in edges.items():
            nb = node.get(b, b)
            if nb != na:
                dst[nb].extend(syms)
    return out


def call_graph(nm, libs, src):
    """{file: {callee file: [symbols]}} for the objects of files of src."""
    present = set(os.listdir(src)) if src else None
    symbols = {}
    for lib in libs:
        for name, sets in nm_symbols(nm, lib).items():
            if present is None or name in present:
                d, u = symbols.setdefault(name, (set(), set()))
                d |= sets[0]
                u |= sets[1]
    owner = {}
    for name, (defined, _) in symbols.items():
        for sym in defined:
            owner.setdefault(sym, name)
    graph = {}
    for name, (_, used) in sorted(symbols.items()):
        edges = collections.defaultdict(list)
        for sym in sorted(used):
            callee = owner.get(sym)
            if callee and callee != name:
                edges[callee].append(sym)
        graph[name] = edges
    return graph


def strongly_connected(graph):
    """Tarjan's components of more than one node, each sorted."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        work = [(v, iter(sorted(graph.get(v, {}))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, {})))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def one_cycle(graph, comp):
    """A shortest cycle through comp's first node, within comp."""
    start, inside = comp[0], set(comp)
    prev, queue = {start: None}, collections.deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph.get(v, {})):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in inside and w not in prev:
                prev[w] = v
                queue.append(w)
    return comp + [start]


def report(kind, graph):
    comps = strongly_connected(graph)
    for comp in comps:
        cycle = one_cycle(graph, comp)
        steps = " -> ".join(
            cycle[0:1] + [f"{b} ({', '.join(graph[a][b][:3])})" for a, b in zip(cycle, cycle[1:])])
        print(f"include_cycles: {kind} cycle among {len(comp)} files: {steps}")
        if len(comp) > len(cycle) - 1:
            print(f"include_cycles:   all of them: {' '.join(comp)}")
    return len(comps)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=os.path.join(here, "..", "src"))
    ap.add_argument("--lib", action="append", default=[])
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if not os.path.isdir(args.src):
        print(f"include_cycles: no directory {args.src}", file=sys.stderr)
        return 2
    for lib in args.lib:
        if not os.path.isfile(lib):
            print(f"include_cycles: no library {lib}", file=sys.stderr)
            return 2
    includes = include_graph(args.src)
    bad = report("include", includes)
    calls = call_graph(args.nm, args.lib, args.src) if args.lib else {}
    calls = merged(calls, modules(includes))
    bad += report("call", calls)
    if not args.quiet:
        n_inc = sum(len(e) for e in includes.values())
        n_call = sum(len(e) for e in calls.values())
        print(f"include_cycles: {len(includes)} files, {n_inc} includes, "
              f"{len(calls)} objects, {n_call} file-to-file calls: "
              f"{'no cycle' if not bad else f'{bad} cycle(s)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
