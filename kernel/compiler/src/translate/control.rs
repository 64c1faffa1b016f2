//! Structured control flow: block, loop, if/else, end, br, br_if, br_table, return, unreachable.

use super::func_env::{FuncEnv, clif_type};
use super::state::{Frame, FrameKind, State};
use crate::env::traps::TrapKind;
use crate::error::Result;
use crate::module::ValType;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cranelift_codegen::ir::{Block, BlockArg, InstBuilder, JumpTableData, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::BlockType;

pub fn args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

pub fn jump(b: &mut FunctionBuilder, target: Block, values: &[Value]) {
    b.ins().jump(target, &args(values));
}

/// Parameter and result types of a block type.
pub fn block_sig(env: &FuncEnv, bt: BlockType, offset: u64) -> Result<(Vec<ValType>, Vec<ValType>)> {
    Ok(match bt {
        BlockType::Empty => (Vec::new(), Vec::new()),
        BlockType::Type(t) => (Vec::new(), alloc::vec![crate::module::parse_val_type(t, offset)?]),
        BlockType::FuncType(i) => {
            let s = &env.info.types[i as usize];
            (s.params.clone(), s.results.clone())
        }
    })
}

fn block_with_params(b: &mut FunctionBuilder, tys: &[ValType]) -> Block {
    let block = b.create_block();
    for t in tys {
        b.append_block_param(block, clif_type(*t));
    }
    block
}

pub fn push_frame(state: &mut State, kind: FrameKind, next: Block, params: usize, results: usize) {
    let height = state.stack.len() - params;
    state.frames.push(Frame { kind, next, num_params: params, num_results: results, height, exit_reached: false });
}

pub fn block(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, bt: BlockType, off: u64) -> Result<()> {
    let (params, results) = block_sig(env, bt, off)?;
    let next = block_with_params(b, &results);
    push_frame(st, FrameKind::Block, next, params.len(), results.len());
    Ok(())
}

pub fn loop_(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, bt: BlockType, off: u64) -> Result<()> {
    let (params, results) = block_sig(env, bt, off)?;
    let header = block_with_params(b, &params);
    let next = block_with_params(b, &results);
    let entry = st.pop_n(params.len());
    jump(b, header, &entry);
    b.switch_to_block(header);
    st.stack.extend_from_slice(b.block_params(header));
    push_frame(st, FrameKind::Loop { header }, next, params.len(), results.len());
    Ok(())
}

pub fn if_(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, bt: BlockType, off: u64) -> Result<()> {
    let (params, results) = block_sig(env, bt, off)?;
    let cond = st.pop();
    let then_block = b.create_block();
    let else_block = block_with_params(b, &params);
    let next = block_with_params(b, &results);
    let pass = args(st.peek_n(params.len()));
    b.ins().brif(cond, then_block, &[], else_block, &pass);
    b.switch_to_block(then_block);
    let kind = FrameKind::If { else_block, else_seen: false };
    push_frame(st, kind, next, params.len(), results.len());
    Ok(())
}

pub fn else_(b: &mut FunctionBuilder, st: &mut State) {
    if st.unreachable_depth > 0 {
        return;
    }
    let reachable = st.reachable;
    let frame = st.frames.last_mut().expect("validated: else inside if");
    let FrameKind::If { else_block, .. } = frame.kind else { return };
    frame.kind = FrameKind::If { else_block, else_seen: true };
    let (next, n, height) = (frame.next, frame.num_results, frame.height);
    if reachable {
        frame.exit_reached = true;
        let results = st.pop_n(n);
        jump(b, next, &results);
    }
    st.stack.truncate(height);
    b.switch_to_block(else_block);
    st.stack.extend_from_slice(b.block_params(else_block));
    st.reachable = true;
}

/// `end` of a frame. Returns the finished frame when it was the function body's.
pub fn end(b: &mut FunctionBuilder, st: &mut State) -> Option<Frame> {
    if st.unreachable_depth > 0 {
        st.unreachable_depth -= 1;
        return None;
    }
    let mut frame = st.frames.pop().expect("validated: end matches a frame");
    if st.reachable {
        frame.exit_reached = true;
        let results = st.pop_n(frame.num_results);
        jump(b, frame.next, &results);
    }
    if let FrameKind::If { else_block, else_seen: false } = frame.kind {
        // No `else`: the false edge carries the parameters straight through as results.
        b.switch_to_block(else_block);
        let params = b.block_params(else_block).to_vec();
        jump(b, frame.next, &params);
        frame.exit_reached = true;
    }
    st.stack.truncate(frame.height);
    b.switch_to_block(frame.next);
    st.stack.extend_from_slice(b.block_params(frame.next));
    st.reachable = frame.exit_reached;
    Some(frame)
}

/// The block a branch to `depth` jumps to and how many values it carries; a branch to a block
/// or `if` (not a loop) makes that frame's exit reachable.
pub fn branch_to(st: &mut State, depth: u32) -> (Block, usize) {
    let frame = st.frame_mut(depth);
    if !matches!(frame.kind, FrameKind::Loop { .. }) {
        frame.exit_reached = true;
    }
    frame.branch_target()
}

pub fn br(b: &mut FunctionBuilder, st: &mut State, depth: u32) {
    let (target, n) = branch_to(st, depth);
    let values = st.peek_n(n).to_vec();
    jump(b, target, &values);
    st.reachable = false;
}

pub fn br_if(b: &mut FunctionBuilder, st: &mut State, depth: u32) {
    let cond = st.pop();
    let (target, n) = branch_to(st, depth);
    let values = args(st.peek_n(n));
    let cont = b.create_block();
    b.ins().brif(cond, target, &values, cont, &[]);
    b.switch_to_block(cont);
}

pub fn br_table(b: &mut FunctionBuilder, st: &mut State, targets: &[u32], default: u32) {
    let index = st.pop();
    // Each distinct depth gets an edge block that passes the carried values.
    let mut edges: BTreeMap<u32, Block> = BTreeMap::new();
    let mut edge = |b: &mut FunctionBuilder, depth: u32| *edges.entry(depth).or_insert_with(|| b.create_block());
    let default_block = edge(b, default);
    let table: Vec<_> = targets
        .iter()
        .map(|d| {
            let blk = edge(b, *d);
            b.func.dfg.block_call(blk, &[])
        })
        .collect();
    let default_call = b.func.dfg.block_call(default_block, &[]);
    let jt = b.create_jump_table(JumpTableData::new(default_call, &table));
    b.ins().br_table(index, jt);
    for (depth, blk) in edges {
        b.switch_to_block(blk);
        let (target, n) = branch_to(st, depth);
        let values = st.peek_n(n).to_vec();
        jump(b, target, &values);
    }
    st.reachable = false;
}

pub fn return_(b: &mut FunctionBuilder, st: &mut State) {
    let n = st.frames[0].num_results;
    let values = st.peek_n(n).to_vec();
    b.ins().return_(&values);
    st.reachable = false;
}

pub fn unreachable(b: &mut FunctionBuilder, st: &mut State) {
    b.ins().trap(TrapKind::Unreachable.code());
    st.reachable = false;
}
