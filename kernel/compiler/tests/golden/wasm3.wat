;; Wasm 3.0: return_call (a `return_call` to a colocated function), return_call_indirect (the
;; checks of call_indirect, then `return_call_indirect`), call_ref (a null check only),
;; br_on_null, and a load from memory 1 (base through the vmctx `memories` array).
(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (memory 1)
  (memory $m1 1)
  (func $f (type $t) (return_call $f (local.get 0)))
  (func (type $t) (return_call_indirect (type $t) (local.get 0) (i32.const 0)))
  (func (param (ref null $t)) (result i32)
    (block $null (call_ref $t (i32.const 1) (br_on_null $null (local.get 0))) (return))
    (i32.const -1))
  (func (param i32) (result i32) (i32.load $m1 offset=8 (local.get 0))))
