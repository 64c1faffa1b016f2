# Manual cross-check (not run by CI): builds nothing; expects the rust-sample built for
# wasm32-unknown-unknown (release and debug, --target-dir target/compiler-dev/samples), the xtask
# binary in target/compiler-dev/debug, and `pip install wasmtime`. Compares `cargo xtask exec`
# results with wasmtime for a list of invocations. Run from the repo root.
import wasmtime, subprocess, struct, sys
calls=[("sqrt_sum",[1000]),("sqrt_sum",[0]),("sort_checksum",[10000,12345]),("sort_checksum",[3,1]),("apply",[0,1.25,2.5]),("apply",[1,3.0,-4.0]),("apply",[2,3.0,4.0]),("apply",[3,-1.5,-2.5]),("word_histogram",[500]),("fib",[25]),("mean_rounded",[777]),("mean_rounded",[0])]
ok=True
for b in ["release","debug"]:
    path=f"target/compiler-dev/samples/wasm32-unknown-unknown/{b}/rust_sample.wasm"
    store=wasmtime.Store(); mod=wasmtime.Module.from_file(store.engine,path); inst=wasmtime.Instance(store,mod,[])
    for name,args in calls:
        f=inst.exports(store)[name]
        r=f(store,*args)
        rs = r if isinstance(r,list) else [r]
        ty=f.type(store).results
        exp=[]
        for v,t in zip(rs,ty):
            t=str(t)
            if t=="f64": exp.append(f"{v!r}")
            elif t=="f32": exp.append(repr(struct.unpack('f',struct.pack('f',v))[0]))
            else: exp.append(str(v))
        out=subprocess.run(["./target/compiler-dev/debug/xtask","exec",path,"--invoke",name]+[str(a) for a in args],capture_output=True,text=True)
        got=[l.split(" (")[0] for l in out.stdout.split("\n") if l]
        def norm(s):
            try: return float(s)
            except: return s
        same=[norm(a)==norm(c) for a,c in zip(exp,got)]
        status="OK " if len(exp)==len(got) and all(same) else "BAD"
        if status=="BAD": ok=False
        print(status,b,name,args,"wasmtime:",exp,"hayabusa:",got, out.stderr.strip()[:100])
print("ALL MATCH" if ok else "MISMATCH")
