//! Macros that export a program's entry points (`#[no_mangle]` lives here, not in the programs).

/// Exports `fn() -> ()` functions under the given names: `export!(trap_unreachable = f, ...)`.
#[macro_export]
macro_rules! export {
    ($($name:ident = $f:expr),+ $(,)?) => {
        $(
            #[unsafe(no_mangle)]
            pub extern "C" fn $name() {
                let f: fn() = $f;
                f()
            }
        )+
    };
}

/// Exports `_start`, the entry of every program: `main!(main)`.
#[macro_export]
macro_rules! main {
    ($f:expr) => {
        $crate::export!(_start = $f);
    };
}

/// Makes this program a server: `serve!(name = "console", handler = handle)` exports
/// `hayabusa_msg_buffer` and `hayabusa_handle` (direct path) and `_start`, which registers `name`
/// and runs the recv/reply loop ([`server::run`](crate::server::run)). `serve!(handler = handle)`
/// exports only the direct path, for servers with their own `_start`.
#[macro_export]
macro_rules! serve {
    (handler = $handler:expr $(,)?) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn hayabusa_msg_buffer() -> i32 {
            $crate::server::MAILBOX.address() as i32
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn hayabusa_handle(sender: i32) -> i32 {
            $crate::server::MAILBOX.handle(sender, $handler)
        }
    };
    (name = $name:expr, handler = $handler:expr $(,)?) => {
        $crate::serve!(handler = $handler);
        $crate::main!(|| $crate::server::run($name, $handler));
    };
}
