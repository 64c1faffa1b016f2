//! The binary form of a [`Script`]: written by the host, read in place by the kernel.
//!
//! A magic and version, then the script's fields in declaration order: unsigned numbers as
//! LEB128, signed ones zigzagged, `v128` as 16 little-endian bytes, strings and byte vectors
//! length-prefixed, options and enums by a tag byte. Reading checks every length and tag, so a
//! corrupt script is an error, never a panic.

use crate::script::*;
use alloc::string::String;
use alloc::vec::Vec;

/// First bytes of every script.
pub const MAGIC: &[u8; 8] = b"HAYSPEC1";

/// Why a script could not be read: the byte offset where reading stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError(pub usize);

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "corrupt spec script at byte {}", self.0)
    }
}

/// Encodes `script`.
pub fn encode(script: &Script) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    script.put(&mut out);
    out
}

/// Decodes a script written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Script, DecodeError> {
    let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or(DecodeError(0))?;
    let mut r = Reader { bytes: rest, pos: 0 };
    let script = Script::get(&mut r)?;
    if r.pos != rest.len() {
        return Err(DecodeError(r.pos + MAGIC.len()));
    }
    Ok(script)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err<T>(&self) -> Result<T, DecodeError> {
        Err(DecodeError(self.pos + MAGIC.len()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        match self.bytes.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => self.err(),
        }
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        self.err()
    }

    fn len(&mut self) -> Result<usize, DecodeError> {
        let n = self.uleb()?;
        // No length can exceed what is left: this also bounds every allocation.
        if n > (self.bytes.len() - self.pos) as u64 { self.err() } else { Ok(n as usize) }
    }
}

/// A value with a binary form.
trait Codec: Sized {
    fn put(&self, out: &mut Vec<u8>);
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

impl Codec for u64 {
    fn put(&self, out: &mut Vec<u8>) {
        put_uleb(out, *self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.uleb()
    }
}

impl Codec for u32 {
    fn put(&self, out: &mut Vec<u8>) {
        put_uleb(out, u64::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let v = r.uleb()?;
        u32::try_from(v).or_else(|_| r.err())
    }
}

impl Codec for u8 {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.byte()
    }
}

impl Codec for i64 {
    fn put(&self, out: &mut Vec<u8>) {
        put_uleb(out, ((*self << 1) ^ (*self >> 63)) as u64);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let v = r.uleb()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }
}

impl Codec for i32 {
    fn put(&self, out: &mut Vec<u8>) {
        i64::from(*self).put(out);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let v = i64::get(r)?;
        i32::try_from(v).or_else(|_| r.err())
    }
}

impl Codec for u128 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut b = [0u8; 16];
        b.copy_from_slice(r.take(16)?);
        Ok(u128::from_le_bytes(b))
    }
}

impl Codec for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => r.err(),
        }
    }
}

impl Codec for String {
    fn put(&self, out: &mut Vec<u8>) {
        put_uleb(out, self.len() as u64);
        out.extend_from_slice(self.as_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = r.len()?;
        let at = r.pos;
        let s = r.take(n)?;
        core::str::from_utf8(s).map(String::from).map_err(|_| DecodeError(at + MAGIC.len()))
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        put_uleb(out, self.len() as u64);
        for v in self {
            v.put(out);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        // Every element takes at least one byte, so `len` bounds the count.
        let n = r.len()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::get(r)?);
        }
        Ok(v)
    }
}

impl<T: Codec> Codec for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.put(out);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.byte()? {
            0 => Ok(None),
            1 => Ok(Some(T::get(r)?)),
            _ => r.err(),
        }
    }
}

/// Implements [`Codec`] for a struct, field by field.
macro_rules! record {
    ($t:ident { $($f:ident),* }) => {
        impl Codec for $t {
            fn put(&self, out: &mut Vec<u8>) {
                $(self.$f.put(out);)*
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok($t { $($f: Codec::get(r)?),* })
            }
        }
    };
}

/// Implements [`Codec`] for an enum: a tag byte per variant, then its fields (tuple variants
/// `V(a, b)` or struct variants `V { a, b }`).
macro_rules! variants {
    ($t:ident { $($tag:literal => $v:ident $( ( $($a:ident),* ) )? $( { $($f:ident),* } )?),* $(,)? }) => {
        impl Codec for $t {
            fn put(&self, out: &mut Vec<u8>) {
                match self {
                    $($t::$v $( ( $($a),* ) )? $( { $($f),* } )? => {
                        out.push($tag);
                        $($($a.put(out);)*)?
                        $($($f.put(out);)*)?
                    })*
                }
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                match r.byte()? {
                    $($tag => Ok($t::$v $( ( $({ let $a = Codec::get(r)?; $a }),* ) )? $( { $($f: Codec::get(r)?),* } )?),)*
                    _ => { r.pos -= 1; r.err() }
                }
            }
        }
    };
}

record!(Script { file, file_skip, unparsable, directives });
record!(Directive { line, listed, allowance, entry_used, command });
record!(Cut { feature, tainted, removed });

variants!(Load { 0 => Bytes(b, c), 1 => Skipped(f), 2 => Fail(why) });
variants!(Command {
    0 => Module { name, load },
    1 => Definition { name, load },
    2 => Instance { instance, module, load },
    3 => Register { name, module },
    4 => Action(a),
    5 => AssertReturn { action, results },
    6 => AssertTrap { action, message },
    7 => AssertExhaustion { action, message },
    8 => AssertRejected { bytes, message },
    9 => AssertUnlinkable { load, message },
    10 => AssertException { action },
    11 => Fail(why),
});
variants!(Action { 0 => Invoke { module, name, args }, 1 => Get { module, global }, 2 => Instantiate(l) });
variants!(Arg { 0 => I32(v), 1 => I64(v), 2 => F32(v), 3 => F64(v), 4 => V128(v), 5 => RefNull, 6 => RefExtern(n) });
variants!(FloatPat { 0 => Value(v), 1 => CanonicalNan, 2 => ArithmeticNan });
variants!(NullKind { 0 => Any, 1 => Func, 2 => Extern });
variants!(FuncId { 0 => Index(i), 1 => Name(n) });
variants!(Expected {
    0 => I32(v),
    1 => I64(v),
    2 => F32(p),
    3 => F64(p),
    4 => V128Ints { bits, lanes },
    5 => V128Floats { bits, lanes },
    6 => RefNull(k),
    7 => RefExtern(n),
    8 => RefFunc(f),
    9 => Either(list),
    10 => Never(why),
    11 => Unsupported(why),
});

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample() -> Script {
        let action = Action::Invoke { module: Some("$m".into()), name: "f".into(), args: vec![Arg::I32(-1), Arg::V128(u128::MAX), Arg::RefNull] };
        let results = vec![Expected::Either(vec![Expected::F32(FloatPat::CanonicalNan), Expected::I64(i64::MIN)]), Expected::RefFunc(Some(FuncId::Name("$g".into())))];
        let cut = Cut { feature: "gc".into(), tainted: vec!["t".into()], removed: vec![] };
        Script {
            file: "a.wast".into(),
            file_skip: None,
            unparsable: None,
            directives: vec![
                Directive { line: 1, listed: None, allowance: Some("gc".into()), entry_used: true, command: Command::Module { name: None, load: Load::Bytes(vec![0, 97, 115, 109], Some(cut)) } },
                Directive { line: 9, listed: Some("gc".into()), allowance: None, entry_used: false, command: Command::AssertReturn { action, results } },
            ],
        }
    }

    #[test]
    fn round_trips() {
        let s = sample();
        assert_eq!(decode(&encode(&s)), Ok(s));
    }

    #[test]
    fn corrupt_scripts_are_errors_not_panics() {
        let bytes = encode(&sample());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err());
        }
        for i in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let _ = decode(&b);
            }
        }
    }
}
