;; sleeper: waits in `ipc_recv` forever (nobody calls it): the smallest task there is, for the
;; test that starts as many as the kernel allows (`spawn 2100 sleeper`).
(module
  (import "hayabusa" "ipc_recv" (func $recv (param i32 i32) (result i32)))
  (memory 1)
  (func (export "_start")
    (loop $wait
      (drop (call $recv (i32.const 0) (i32.const 0)))
      (br $wait))))
