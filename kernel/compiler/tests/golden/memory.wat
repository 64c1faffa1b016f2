;; A load, a store and memory.grow: heap address computation (guard mode: no check).
(module
  (memory 1)
  (func (export "copy_word") (param $dst i32) (param $src i32)
    (i32.store offset=8 (local.get $dst) (i32.load offset=4 (local.get $src))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
