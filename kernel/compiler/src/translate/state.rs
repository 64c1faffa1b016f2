//! The translator's value stack and control stack, and the reachability of the current point.

use alloc::vec::Vec;
use cranelift_codegen::ir::{Block, Value};

#[derive(Clone, Copy, Debug)]
pub enum FrameKind {
    /// A `block`, or the function body itself.
    Block,
    /// A `loop`: branches go back to `header`.
    Loop { header: Block },
    /// An `if`: `else_block` receives the block parameters when the condition is false.
    If { else_block: Block, else_seen: bool },
}

/// One entry of the control stack.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub kind: FrameKind,
    /// The block after `end`; its parameters are the frame's results.
    pub next: Block,
    pub num_params: usize,
    pub num_results: usize,
    /// Value-stack height at entry, below the frame's parameters.
    pub height: usize,
    /// Whether some branch targets `next` (so code after `end` is reachable).
    pub exit_reached: bool,
}

impl Frame {
    /// The block a branch to this frame jumps to, and how many values it carries.
    pub fn branch_target(&self) -> (Block, usize) {
        match self.kind {
            FrameKind::Loop { header } => (header, self.num_params),
            _ => (self.next, self.num_results),
        }
    }
}

#[derive(Default)]
pub struct State {
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    /// False after an unconditional branch, `return` or `unreachable`, until the next reachable
    /// `else` or `end`.
    pub reachable: bool,
    /// Number of `block`/`loop`/`if` opened inside unreachable code (no frame was pushed).
    pub unreachable_depth: usize,
}

impl State {
    pub fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    pub fn pop(&mut self) -> Value {
        self.stack.pop().expect("validated: value stack underflow")
    }

    pub fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    pub fn pop3(&mut self) -> (Value, Value, Value) {
        let c = self.pop();
        let (a, b) = self.pop2();
        (a, b, c)
    }

    /// The top `n` values, bottom first.
    pub fn peek_n(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    pub fn pop_n(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    /// The frame `depth` levels out from the innermost one (a branch's relative depth).
    pub fn frame_mut(&mut self, depth: u32) -> &mut Frame {
        let i = self.frames.len() - 1 - depth as usize;
        &mut self.frames[i]
    }
}
