;; Blocks, br_if, br_table and a multi-value if.
(module
  (func (export "pick") (param i32) (result i32)
    (block (block (br_table 0 1 (local.get 0))) (return (i32.const 1)))
    (i32.const 2))
  (func (export "minmax") (param i32 i32) (result i32 i32)
    (if (result i32 i32) (i32.lt_s (local.get 0) (local.get 1))
      (then (local.get 0) (local.get 1))
      (else (local.get 1) (local.get 0)))))
