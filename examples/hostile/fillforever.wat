;; fillforever: grows its memory until refused, then fills all of it, again and again: nearly all
;; its time is spent inside the kernel's `memory.fill` builtin, which `kill` must still reach
;; (the builtin stops at a cancel point between 1 MiB chunks).
(module
  (memory 1)
  (func (export "_start")
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    (loop $fill
      (memory.fill (i32.const 0) (i32.const 0x5a) (i32.mul (memory.size) (i32.const 65536)))
      (br $fill))))
