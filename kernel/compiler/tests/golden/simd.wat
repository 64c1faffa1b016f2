;; SIMD: v128 locals and results stay I8X16 between operators (bitcasts to the lane type
;; around each), a lane load with its heap address, pseudo-min as compare + bitselect, and
;; i32x4.trunc_sat_f64x2_u_zero as a saturating conversion narrowed against zero.
(module
  (memory 1)
  (func (export "lanes") (param $p i32) (param $v v128) (result v128)
    (local $t v128)
    (local.set $t (v128.load32_lane offset=4 1 (local.get $p) (local.get $v)))
    (i32x4.add (local.get $t) (i8x16.splat (i32.const 3))))
  (func (export "pmin") (param v128 v128) (result v128)
    (f32x4.pmin (local.get 0) (local.get 1)))
  (func (export "trunc") (param v128) (result v128)
    (i32x4.trunc_sat_f64x2_u_zero (local.get 0))))
