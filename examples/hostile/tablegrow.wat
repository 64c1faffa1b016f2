;; tablegrow: grows its table by ten million elements (must be refused: -1), then by 1000 at a
;; time until refused; exits normally only if it then holds exactly what the manifest allows
;; (`tables = 50000` for it), traps with `unreachable` otherwise.
(module
  (table 0 funcref)
  (func (export "_start")
    (if (i32.ne (table.grow (ref.null func) (i32.const 10000000)) (i32.const -1))
      (then unreachable))
    (loop $grow
      (br_if $grow (i32.ne (table.grow (ref.null func) (i32.const 1000)) (i32.const -1))))
    (if (i32.ne (table.size) (i32.const 50000))
      (then unreachable))))
