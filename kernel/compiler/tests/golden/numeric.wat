;; Division with explicit trap checks, a trapping and a saturating conversion.
(module
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "trunc") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))
  (func (export "sat") (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0))))
