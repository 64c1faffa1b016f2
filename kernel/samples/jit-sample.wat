;; The module the kernel's `jit` console command compiles and runs: integer and float
;; arithmetic, loops, calls, recursion, linear memory with a data segment, a global, and
;; deliberate traps (out-of-bounds access, division by zero, unreachable, deep recursion);
;; functions the kernel provides as imports (`env.print_i32`, `env.mul`), and a table filled by
;; an element segment, reached with `call_indirect` (including the imported `env.mul`).
(module
  (type $binop (func (param i32 i32) (result i32)))
  (import "env" "print_i32" (func $print_i32 (param i32)))
  (import "env" "mul" (func $mul (type $binop)))
  (memory 1)
  (data (i32.const 1024) "Hayabusa")
  (global $calls (mut i32) (i32.const 0))

  ;; Iterative Fibonacci in i64.
  (func $fib (export "fib") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $a))

  ;; Recursive factorial in i64.
  (func $fac (export "fac") (param $n i64) (result i64)
    (if (result i64) (i64.le_u (local.get $n) (i64.const 1))
      (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fac (i64.sub (local.get $n) (i64.const 1)))))))

  ;; Sum of 1/k^2 for k = 1..n, in f64 (tends to pi^2/6).
  (func (export "basel") (param $n i32) (result f64)
    (local $k i32) (local $sum f64) (local $x f64)
    (local.set $k (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (local.get $k) (local.get $n)))
        (local.set $x (f64.convert_i32_u (local.get $k)))
        (local.set $sum (f64.add (local.get $sum) (f64.div (f64.const 1) (f64.mul (local.get $x) (local.get $x)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; Sieve of Eratosthenes over bytes [0, n) of linear memory: returns the number of primes < n.
  (func (export "primes") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32)
    (memory.fill (i32.const 0) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.eqz (i32.load8_u (local.get $i)))
          (then
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $marked
              (loop $mark
                (br_if $marked (i32.ge_u (local.get $j) (local.get $n)))
                (i32.store8 (local.get $j) (i32.const 1))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br $mark)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $count))

  ;; Sum of the bytes of the data segment ("Hayabusa" at 1024).
  (func (export "checksum") (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 8)))
        (local.set $sum (i32.add (local.get $sum) (i32.load8_u offset=1024 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  (func (export "calls") (result i32) (global.get $calls))

  ;; Traps.
  (func (export "out_of_bounds") (result i32) (i32.load (i32.const 0x7fff_0000)))
  (func (export "divide_by_zero") (param $n i32) (result i32) (i32.div_u (i32.const 7) (local.get $n)))
  (func (export "unreachable") (unreachable))
  (func $deep (export "deep") (param $n i64) (result i64)
    (i64.add (i64.const 1) (call $deep (i64.add (local.get $n) (i64.const 1)))))

  ;; Imports and the table: $ops[0..2] are add, sub and the imported mul; $ops[3] has the
  ;; wrong type, $ops[4] stays null, and index 5 is past the end.
  (table $ops 5 funcref)
  (elem (table $ops) (i32.const 0) func $add $sub $mul $fac)
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func (export "dispatch") (param $op i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect $ops (type $binop) (local.get $a) (local.get $b) (local.get $op)))
  ;; Prints n and n * n through the kernel's imports; returns n * n.
  (func (export "print_square") (param $n i32) (result i32)
    (call $print_i32 (local.get $n))
    (call $print_i32 (call $mul (local.get $n) (local.get $n)))
    (call $mul (local.get $n) (local.get $n)))
  ;; SIMD in the kernel: the sum of i*i for i below $n (a multiple of 4), four lanes at a time,
  ;; the accumulator in an XMM register across the loop.
  (func (export "simd_squares") (param $n i32) (result i32)
    (local $i v128) (local $acc v128) (local $k i32)
    (local.set $i (v128.const i32x4 0 1 2 3))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $acc (i32x4.add (local.get $acc) (i32x4.mul (local.get $i) (local.get $i))))
        (local.set $i (i32x4.add (local.get $i) (i32x4.splat (i32.const 4))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
)
