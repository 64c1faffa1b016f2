;; dataoverflow: an active data segment that runs past the end of its one-page memory: the
;; instantiation traps (out of bounds memory access) and the task never starts.
(module
  (memory 1)
  (data (i32.const 65530) "0123456789")
  (func (export "_start")))
