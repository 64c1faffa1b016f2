# Differential check against wasmtime (manual, not CI): reads the modules written by
# `cargo run -p hayabusa-compiler-host --example differential -- DIR FIRST COUNT > ours.txt`,
# prints the same lines for wasmtime, and reports differences. `pip install wasmtime` first.
# Usage: python3 differential.py DIR ours.txt
import os, struct, sys, wasmtime

def show(v, t):
    t = str(t)
    if t == "i32": return f"i32:{v & 0xffffffff}"
    if t == "i64": return f"i64:{v & 0xffffffffffffffff}"
    if t in ("f32", "f64"):
        if v != v: return f"{t}:nan"
        fmt = "<f" if t == "f32" else "<d"
        ifmt = "<I" if t == "f32" else "<Q"
        return f"{t}:{struct.unpack(ifmt, struct.pack(fmt, v))[0]}"
    return "null" if v is None else "ref"

def zero(t):
    t = str(t)
    return 0 if t in ("i32", "i64") else 0.0 if t in ("f32", "f64") else None

folder, ours_path = sys.argv[1], sys.argv[2]
ours = [l.rstrip("\n") for l in open(ours_path)]
seeds = sorted({int(l.split("\t")[0]) for l in ours})
theirs = []
skipped = set()
for seed in seeds:
    store = wasmtime.Store()
    try:
        module = wasmtime.Module.from_file(store.engine, f"{folder}/{seed}.wasm")
        inst = wasmtime.Instance(store, module, [])
    except wasmtime.Trap:
        theirs.append(f"{seed}\t-\tinstantiate-trap"); continue
    except Exception as e:
        theirs.append(f"{seed}\t-\tinstantiate-error"); continue
    for index, exp in enumerate(module.exports):
        f = inst.exports(store)[exp.name]
        if not isinstance(f, wasmtime.Func): continue
        ty = f.type(store)
        try:
            r = f(store, *[zero(p) for p in ty.params])
            rs = r if isinstance(r, list) else ([] if r is None and not ty.results else [r])
            res = " ".join(show(v, t) for v, t in zip(rs, ty.results))
        except wasmtime.Trap:
            res = "trap"
        except wasmtime.WasmtimeError:
            skipped.add(f"{seed}\te{index}")  # a host resource limit of wasmtime, not a result
            continue
        theirs.append(f"{seed}\te{index}\t{res}")
ours = [l for l in ours if "\t".join(l.split("\t")[:2]) not in skipped]
ours_set, theirs_set = set(ours), set(theirs)
diff = [l for l in ours if l not in theirs_set] + ["wasmtime: " + l for l in theirs if l not in ours_set]
print(f"{len(seeds)} modules, {len(theirs)} results from wasmtime, {len(ours)} here, "
      f"{len(skipped)} not compared (wasmtime resource errors), {len(diff)} differences")
for d in diff[:40]: print(d)
