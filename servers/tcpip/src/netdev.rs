//! The driver's side of the loop: the `netdev` service (`hayabusa_abi::netdev`) looked up,
//! asked for its MAC address, subscribed to; received frames drained into the device's queue,
//! queued frames sent.

use hayabusa_abi::netdev::{INFO, MAX_FRAME, RECV, SEND, SUBSCRIBE};
use hayabusa_abi::{Error, Message, TaskId, call, lookup};

use tcpip_stack::device::Frames;

pub struct Netdev {
    task: TaskId,
    pub mac: [u8; 6],
}

impl Netdev {
    /// Looks up the driver `name`, reads its MAC address and subscribes to its RX_BIT.
    pub fn open(name: &str, msg: &mut Message) -> Result<Netdev, Error> {
        let task = lookup(name)?;
        msg.reset(INFO);
        call(task, msg)?;
        let mac: [u8; 6] = msg.payload().get(..6).and_then(|m| m.try_into().ok()).ok_or(Error::BadReply)?;
        msg.reset(SUBSCRIBE);
        call(task, msg)?;
        Ok(Netdev { task, mac })
    }

    /// Takes every frame the driver holds (RECV until the reply is empty).
    pub fn drain(&self, frames: &mut Frames, msg: &mut Message) -> Result<(), Error> {
        loop {
            msg.reset(RECV);
            call(self.task, msg)?;
            if msg.payload().is_empty() {
                return Ok(());
            }
            frames.deliver(msg.payload());
        }
    }

    /// Sends the queued frames; stops, keeping the rest, when the driver is `BUSY` (its
    /// transmit queue is full: the caller tries again soon). Returns whether all went.
    pub fn flush(&self, frames: &mut Frames, msg: &mut Message) -> Result<bool, Error> {
        while let Some(frame) = frames.tx.front() {
            msg.reset(SEND);
            msg.set_payload(&frame[..frame.len().min(MAX_FRAME)])?;
            match call(self.task, msg) {
                Ok(()) | Err(Error::BadArgument) => {
                    frames.tx.pop_front();
                }
                Err(Error::Busy) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
