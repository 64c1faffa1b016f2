;; membomb: asks for all of Wasm's 4 GiB at once (must be refused: -1), then grows one page at
;; a time until refused (the task's `memory =` limit, or what the machine has left for tasks),
;; writes every byte it got (each page must be backed: no kernel fault), and finally fills 4 GiB
;; (must trap: out of bounds memory access, from the `memory.fill` at the end of `_start`).
;; Ending any other way (an `unreachable` trap, an exit) is a failure the boot test reports.
(module
  (memory 1)
  (func (export "_start")
    (if (i32.ne (memory.grow (i32.const 65535)) (i32.const -1))
      (then unreachable))
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    ;; Every accessible byte, page by page through the kernel's builtin.
    (memory.fill (i32.const 0) (i32.const 0xaa)
      (i32.mul (memory.size) (i32.const 65536)))
    ;; The last byte must read back.
    (if (i32.ne (i32.load8_u (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)))
                (i32.const 0xaa))
      (then unreachable))
    (memory.fill (i32.const 0) (i32.const 0x55) (i32.const -1))))
