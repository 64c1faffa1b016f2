//! The generated pages: `/`, a status page, and `/api/tasks`, the task table as JSON (from the
//! kernel's TASKS request, which needs `tasks = yes` in the manifest).
use hayabusa_abi::kernel::{self, task_records};
use hayabusa_abi::{Error, Message};

use crate::out::Out;

/// Counters shown on the status page.
#[derive(Clone, Copy, Default)]
pub struct Stats {
    pub requests: u64,
    pub connections: u64,
    pub open: usize,
    pub bad_requests: u64,
    pub port: u16,
}

/// Writes every task (as many as fit in `out`) as JSON objects, separated by commas; whether
/// all fitted.
fn tasks_json(out: &mut Out, msg: &mut Message) -> Result<bool, Error> {
    let mut after = 0;
    let mut first = true;
    loop {
        let payload = kernel::tasks(msg, after)?;
        if payload.is_empty() {
            return Ok(true);
        }
        for t in task_records(payload) {
            // Room for one more object and the closing part.
            if out.left() < 64 + 3 * (t.name.len() + t.service.len()) + 64 {
                return Ok(false);
            }
            if !first {
                out.str(",");
            }
            first = false;
            out.str("{\"id\":").int(t.id).str(",\"name\":\"").escaped(t.name).str("\",\"state\":\"").str(t.state_name());
            out.str("\",\"memory_pages\":").int(t.memory_pages).str(",\"code_bytes\":").int(t.code_bytes).str(",\"service\":");
            if t.service.is_empty() {
                out.str("null}");
            } else {
                out.str("\"").escaped(t.service).str("\"}");
            }
            after = t.id;
        }
    }
}

/// `/api/tasks`: `{"uptime_ns":N,"tasks":[{"id":..,"name":..,"state":..,"memory_pages":..,
/// "code_bytes":..,"service":..|null},...],"complete":true|false}` (false: cut to the buffer).
pub fn tasks(out: &mut Out, msg: &mut Message) -> Result<(), Error> {
    out.str("{\"uptime_ns\":").int(kernel::uptime_ns()?).str(",\"tasks\":[");
    let complete = tasks_json(out, msg)?;
    out.str("],\"complete\":").str(if complete { "true" } else { "false" }).str("}\n");
    Ok(())
}

/// `/`: what runs, and this server's counters.
pub fn status(out: &mut Out, msg: &mut Message, stats: &Stats) -> Result<(), Error> {
    let uptime_ms = kernel::uptime_ns()? / 1_000_000;
    out.str("<!doctype html>\n<html><head><title>Hayabusa</title></head><body>\n<h1>Hayabusa</h1>\n");
    out.str("<p>A microkernel whose programs are WebAssembly tasks; this page comes from <code>http.wasm</code>, ");
    out.str("a task talking to <code>tcpip</code> by IPC.</p>\n<p>Up ").int(uptime_ms).str(" ms. HTTP on port ").int(stats.port);
    out.str(": ").int(stats.requests).str(" requests, ").int(stats.connections).str(" connections (");
    out.int(stats.open).str(" open), ").int(stats.bad_requests).str(" bad requests.</p>\n");
    out.str("<table><tr><th>id</th><th>task</th><th>state</th><th>service</th><th>memory pages</th></tr>\n");
    let mut after = 0;
    'all: loop {
        let payload = kernel::tasks(msg, after)?;
        if payload.is_empty() {
            break;
        }
        for t in task_records(payload) {
            if out.left() < 512 {
                break 'all;
            }
            out.str("<tr><td>").int(t.id).str("</td><td>").escaped(t.name).str("</td><td>").str(t.state_name());
            out.str("</td><td>").escaped(t.service).str("</td><td>").int(t.memory_pages).str("</td></tr>\n");
            after = t.id;
        }
    }
    out.str("</table>\n<p><a href=\"/api/tasks\">/api/tasks</a> (JSON)</p>\n</body></html>\n");
    Ok(())
}
