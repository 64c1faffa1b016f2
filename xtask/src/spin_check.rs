//! A check on the built device drivers: no loop that waits on a value it never reads again.
//!
//! A driver waits for its device by reading memory the device writes. If the source compiler
//! sees that read as an ordinary load it may hoist it out of the loop (rustc does so for
//! virtio-drivers' atomic loads on single-threaded wasm32, docs/compiler.md "Device memory"),
//! and what is left is a Wasm `loop` whose body branches back on a value computed before it:
//! run once with the condition true, it never ends. Such a loop has no load, call, `local.set`
//! or `global.get` in its body, so nothing in it can change the branch's outcome; this finds
//! every one, for the modules of tasks granted a device (they are the ones that poll memory).

use wasmparser::{Operator, Parser, Payload};

/// One open block while walking a body: whether it is a loop, whether anything in it may read
/// or change state, and whether a branch in it goes back to its start.
struct Frame {
    is_loop: bool,
    progresses: bool,
    branches_back: bool,
}

/// Whether `op` may observe or change something a loop's exit could depend on.
fn progresses(op: &Operator) -> bool {
    use Operator::*;
    // wasmparser has no accessor for "reads memory"; every load's name has `Load` in it
    // (`I32Load8U`, `V128Load32Zero`, `I64AtomicLoad`...), and nothing else's does.
    let name = format!("{op:?}");
    matches!(
        op,
        Call { .. }
            | CallIndirect { .. }
            | CallRef { .. }
            | ReturnCall { .. }
            | ReturnCallIndirect { .. }
            | ReturnCallRef { .. }
            | LocalSet { .. }
            | LocalTee { .. }
            | GlobalGet { .. }
            | GlobalSet { .. }
            | TableGet { .. }
            | TableSize { .. }
            | MemorySize { .. }
            | MemoryGrow { .. }
            | Return
            | Unreachable
            | Throw { .. }
    ) || name.contains("Load")
}

/// The loops of `wasm` that cannot end once they branch back: `(function index, byte offset)`.
pub fn endless_loops(wasm: &[u8]) -> Result<Vec<(u32, u64)>, String> {
    let mut found = Vec::new();
    let mut function = 0u32;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import.map_err(|e| e.to_string())?.ty, wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)) {
                        function += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut frames: Vec<(Frame, u64)> = vec![(Frame { is_loop: false, progresses: true, branches_back: false }, 0)];
                let mut reader = body.get_operators_reader().map_err(|e| e.to_string())?;
                while !reader.eof() {
                    let (op, offset) = reader.read_with_offset().map_err(|e| e.to_string())?;
                    if progresses(&op) {
                        frames.iter_mut().filter(|(f, _)| f.is_loop).for_each(|(f, _)| f.progresses = true);
                    }
                    let mut back = |depth: u32| {
                        let at = frames.len().checked_sub(1 + depth as usize);
                        if let Some((f, _)) = at.and_then(|i| frames.get_mut(i))
                            && f.is_loop
                        {
                            f.branches_back = true;
                        }
                    };
                    match &op {
                        Operator::Br { relative_depth } | Operator::BrIf { relative_depth } => back(*relative_depth),
                        Operator::BrTable { targets } => {
                            back(targets.default());
                            for target in targets.targets() {
                                back(target.map_err(|e| e.to_string())?);
                            }
                        }
                        _ => {}
                    }
                    match op {
                        Operator::Loop { .. } => frames.push((Frame { is_loop: true, progresses: false, branches_back: false }, offset)),
                        Operator::Block { .. } | Operator::If { .. } | Operator::TryTable { .. } => {
                            frames.push((Frame { is_loop: false, progresses: true, branches_back: false }, offset));
                        }
                        Operator::End => {
                            if let Some((f, at)) = frames.pop()
                                && f.is_loop
                                && f.branches_back
                                && !f.progresses
                            {
                                found.push((function, at));
                            }
                        }
                        _ => {}
                    }
                }
                function += 1;
            }
            _ => {}
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::endless_loops;

    fn loops(wat: &str) -> Vec<(u32, u64)> {
        endless_loops(&wat::parse_str(wat).unwrap()).unwrap()
    }

    #[test]
    fn a_hoisted_poll_is_found_and_real_polls_are_not() {
        // The shape rustc left in virtio-net: the load before the loop, the loop on a local.
        let hoisted = r#"(module (memory 1)
            (func (param $p i32)
              (local $x i32)
              (local.set $x (i32.load (local.get $p)))
              (loop $wait (br_if $wait (i32.eqz (local.get $x))))))"#;
        assert_eq!(loops(hoisted).len(), 1);
        let polls = r#"(module (import "env" "yield" (func $yield)) (memory 1)
            (func (param $p i32)
              (loop $wait (br_if $wait (i32.eqz (i32.load (local.get $p)))))
              (loop $wait2 (call $yield) (br_if $wait2 (local.get $p)))
              (block $out (loop $count
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br_if $out (i32.eqz (local.get $p)))
                (br $count)))))"#;
        assert_eq!(loops(polls), []);
        // A loop that never branches back runs once: not a wait.
        assert_eq!(loops("(module (func (param i32) (loop (br_if 1 (local.get 0)))))"), []);
    }

    #[test]
    fn function_indices_count_imports() {
        let wat = r#"(module (import "env" "f" (func)) (func) (func (loop (br 0))))"#;
        let found = loops(wat);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [2]);
    }
}
