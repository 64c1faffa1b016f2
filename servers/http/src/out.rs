//! A bounded writer into a byte buffer: what does not fit is dropped and remembered.

pub struct Out<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl<'a> Out<'a> {
    pub fn new(buf: &'a mut [u8]) -> Out<'a> {
        Out { buf, len: 0, overflow: false }
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
        self
    }

    pub fn str(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    pub fn int<I: itoa::Integer>(&mut self, value: I) -> &mut Self {
        self.bytes(itoa::Buffer::new().format(value).as_bytes())
    }

    /// `bytes` as the inside of a JSON string: quotes, backslashes, `<`, `>`, `&`, control and
    /// non-ASCII bytes escaped as `\u00XX` (so the text is also safe inside HTML).
    pub fn escaped(&mut self, bytes: &[u8]) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for &b in bytes {
            if b < 0x20 || matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&') || b >= 0x7f {
                self.bytes(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            } else {
                self.bytes(&[b]);
            }
        }
        self
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Room left.
    pub fn left(&self) -> usize {
        self.buf.len() - self.len
    }

    pub fn overflowed(&self) -> bool {
        self.overflow
    }
}
