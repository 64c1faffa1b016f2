;; A direct call, a call to an import and call_indirect with its three checks.
(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (func $g (param i32) (result i32) (call $f (local.get 0)))
  (func (export "h") (param i32) (result i32)
    (call_indirect (type $t) (call $g (local.get 0)) (i32.const 0))))
