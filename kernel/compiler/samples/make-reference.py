# Regenerates the committed sample modules and their reference results (not run by CI).
# Needs: the Rust sample built for wasm32-unknown-unknown in both profiles with
#   cargo build --manifest-path kernel/compiler/samples/rust-sample/Cargo.toml \
#     --target wasm32-unknown-unknown [--release] --target-dir target/samples
# and `pip install wasmtime` (the reference engine). Run from the repo root.
import struct, sys, wasmtime

CALLS = [("sqrt_sum", [1000]), ("sqrt_sum", [0]), ("sort_checksum", [10000, 12345]),
         ("sort_checksum", [3, 1]), ("apply", [0, 1.25, 2.5]), ("apply", [1, 3.0, -4.0]),
         ("apply", [2, 3.0, 4.0]), ("apply", [3, -1.5, -2.5]), ("word_histogram", [500]),
         ("fib", [25]), ("mean_rounded", [777]), ("mean_rounded", [0])]

def leb(data, i):
    n = shift = 0
    while True:
        b = data[i]; i += 1
        n |= (b & 0x7f) << shift; shift += 7
        if b < 0x80: return n, i

def strip_custom(data):
    out, i = bytearray(data[:8]), 8
    while i < len(data):
        sid = data[i]; size, j = leb(data, i + 1)
        if sid != 0: out += data[i:j + size]
        i = j + size
    return bytes(out)

def bits(v, t):
    if t == "f32": return struct.unpack("<I", struct.pack("<f", v))[0]
    if t == "f64": return struct.unpack("<Q", struct.pack("<d", v))[0]
    if t == "i32": return v & 0xffffffff
    return v & 0xffffffffffffffff

target = sys.argv[1] if len(sys.argv) > 1 else "target/samples"
import importlib.metadata
lines = ["# profile export args... => result bits (hex), computed by wasmtime " + importlib.metadata.version("wasmtime")]
for profile in ["release", "debug"]:
    wasm = strip_custom(open(f"{target}/wasm32-unknown-unknown/{profile}/rust_sample.wasm", "rb").read())
    open(f"kernel/compiler/samples/rust-sample-{profile}.wasm", "wb").write(wasm)
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    for name, args in CALLS:
        f = inst.exports(store)[name]
        params = [str(p) for p in f.type(store).params]
        results = [str(r) for r in f.type(store).results]
        r = f(store, *args)
        rs = r if isinstance(r, list) else [r]
        a = " ".join(f"{bits(v, t):x}" for v, t in zip(args, params))
        res = " ".join(f"{bits(v, t):x}" for v, t in zip(rs, results))
        lines.append(f"{profile} {name} {a} => {res}")
open("kernel/compiler/samples/rust-sample-expected.txt", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
