//! Transmissions in flight. A frame is copied behind its virtio-net header into one of `QUEUE`
//! static buffers and handed to the device without waiting; the buffer comes back when the
//! device has used it (`reap`, at the next SEND and at each interrupt). A full queue answers
//! BUSY, which the client retries.
//!
//! Never wait for the device in a loop here: virtio-drivers reads the used ring with atomic
//! loads, which wasm32 (single-threaded) lowers to plain loads, and LLVM hoists a plain load out
//! of a loop that writes nothing. Its blocking `send` spins on such a loop and never sees the
//! device finish once the first look came too early (docs/compiler.md, "Device memory").
use hayabusa_abi::Error;
use hayabusa_abi::netdev::MAX_FRAME;

use crate::{Net, QUEUE};

/// A transmit buffer: the virtio-net header (at most 12 bytes) and a whole frame.
const TX_BUF: usize = 12 + MAX_FRAME;

struct Tx {
    bufs: [[u8; TX_BUF]; QUEUE],
    /// The length handed to the device (header and frame): `transmit_complete` wants the same.
    lens: [usize; QUEUE],
    /// The token of each buffer in flight.
    tokens: [Option<u16>; QUEUE],
}

static TX: spin::Mutex<Tx> = spin::Mutex::new(Tx { bufs: [[0; TX_BUF]; QUEUE], lens: [0; QUEUE], tokens: [None; QUEUE] });

/// Takes back the buffer of every transmission the device has finished.
pub fn reap(net: &mut Net) {
    let mut tx = TX.lock();
    let tx = &mut *tx;
    while let Some(token) = net.poll_transmit() {
        let Some(i) = tx.tokens.iter().position(|t| *t == Some(token)) else { break };
        #[allow(unsafe_code)]
        // SAFETY: the buffer, with the length, that `transmit_begin` was given for this token.
        let _ = unsafe { net.transmit_complete(token, &tx.bufs[i][..tx.lens[i]]) };
        tx.tokens[i] = None;
    }
}

/// Hands `frame` to the device; `BUSY` when every buffer or descriptor is in flight.
pub fn send(net: &mut Net, frame: &[u8]) -> Result<(), Error> {
    if frame.len() < 14 || frame.len() > MAX_FRAME {
        return Err(Error::BadArgument);
    }
    reap(net);
    let mut tx = TX.lock();
    let tx = &mut *tx;
    let Some(i) = tx.tokens.iter().position(Option::is_none) else { return Err(Error::Busy) };
    if !net.can_send() {
        return Err(Error::Busy);
    }
    let buf = &mut tx.bufs[i];
    let header = net.fill_buffer_header(buf).map_err(|_| Error::BadArgument)?;
    let len = header + frame.len();
    buf[header..len].copy_from_slice(frame);
    #[allow(unsafe_code)]
    // SAFETY: the buffer is static and is not touched again until `reap` gives it back
    // (its token is recorded below).
    let token = unsafe { net.transmit_begin(&buf[..len]) }.map_err(|_| Error::Busy)?;
    tx.lens[i] = len;
    tx.tokens[i] = Some(token);
    Ok(())
}
