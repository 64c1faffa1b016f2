//! Exports a few computations that exercise the heap, floating point and indirect calls.

use std::collections::BTreeMap;

/// Sum of square roots of 1..=n, computed through a heap vector.
#[unsafe(no_mangle)]
pub extern "C" fn sqrt_sum(n: u32) -> f64 {
    let v: Vec<f64> = (1..=n).map(|i| f64::from(i).sqrt()).collect();
    v.iter().sum()
}

/// Sorts a pseudo-random vector and folds it into a checksum.
#[unsafe(no_mangle)]
pub extern "C" fn sort_checksum(n: u32, seed: u64) -> u64 {
    let mut x = seed;
    let mut v: Vec<u64> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 1_000_003
        })
        .collect();
    v.sort_unstable();
    v.iter().enumerate().fold(0u64, |acc, (i, y)| acc.wrapping_mul(31).wrapping_add(y ^ i as u64))
}

type Op = fn(f32, f32) -> f32;

fn add(a: f32, b: f32) -> f32 {
    a + b
}
fn mul(a: f32, b: f32) -> f32 {
    a * b
}
fn hyp(a: f32, b: f32) -> f32 {
    (a * a + b * b).sqrt()
}
fn fmax(a: f32, b: f32) -> f32 {
    a.max(b)
}

static OPS: [Op; 4] = [add, mul, hyp, fmax];

/// Applies operation `op` (an index into a function table: an indirect call).
#[unsafe(no_mangle)]
pub extern "C" fn apply(op: u32, a: f32, b: f32) -> f32 {
    let f = OPS[(op as usize) % OPS.len()];
    std::hint::black_box(f)(a, b)
}

/// Counts word lengths of a generated text in a map; returns a digest.
#[unsafe(no_mangle)]
pub extern "C" fn word_histogram(words: u32) -> u64 {
    let mut text = String::new();
    for i in 0..words {
        let len = 1 + (i * 7 + 3) % 9;
        for j in 0..len {
            text.push((b'a' + ((i + j) % 26) as u8) as char);
        }
        text.push(' ');
    }
    let mut counts: BTreeMap<usize, u64> = BTreeMap::new();
    for w in text.split_whitespace() {
        *counts.entry(w.len()).or_default() += 1;
    }
    counts.iter().fold(0u64, |acc, (k, v)| acc.wrapping_mul(1_000).wrapping_add((*k as u64) * 10 + v % 10))
}

/// Recursive Fibonacci (deep call chains).
#[unsafe(no_mangle)]
pub extern "C" fn fib(n: u32) -> u64 {
    if n < 2 { u64::from(n) } else { fib(n - 1) + fib(n - 2) }
}

/// Integer math with traps in debug builds (overflow checks) and a float-to-int conversion.
#[unsafe(no_mangle)]
pub extern "C" fn mean_rounded(n: u32) -> i32 {
    let v: Vec<f64> = (0..n).map(|i| (f64::from(i) * 1.37).sin() * 1000.0).collect();
    let mean = v.iter().sum::<f64>() / f64::from(n.max(1));
    mean.round() as i32
}
