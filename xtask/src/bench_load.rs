//! The client side of `cargo xtask bench http`: timed GETs with a real HTTP client (`ureq`), one
//! keep-alive agent per connection thread, every answer checked (status 200, the body's length,
//! the bytes where they are known), and the statistics of the latencies.

use std::net::SocketAddr;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// What one measurement asks for and what every answer must be.
pub struct Target<'a> {
    pub path: &'a str,
    /// The body every answer must have byte for byte (a static file); `None` for a dynamic page,
    /// whose body must be as long as its `Content-Length` and not empty.
    pub body: Option<&'a [u8]>,
}

/// What a measurement did: each good answer's latency (request sent to body read) and every
/// failure, over `elapsed` of wall time.
pub struct Run {
    pub latencies: Vec<Duration>,
    /// Body bytes of the good answers, together.
    pub bytes: u64,
    pub errors: Vec<String>,
    pub elapsed: Duration,
}

impl Run {
    /// Good answers per second of wall time.
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// Latency statistics: nearest-rank percentiles and the mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub p50: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

impl Stats {
    /// The statistics of `samples` (in any order); `None` if there are none.
    pub fn of(samples: &[Duration]) -> Option<Stats> {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let count = u32::try_from(sorted.len()).ok().filter(|&n| n > 0)?;
        let mean = sorted.iter().sum::<Duration>() / count;
        Some(Stats { p50: percentile(&sorted, 50.0)?, p99: percentile(&sorted, 99.0)?, mean })
    }
}

/// The nearest-rank `p`th percentile of `sorted` (ascending): the smallest sample that at least
/// `p` % of the samples do not exceed.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// A client with one keep-alive connection that reports every status as it is.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections(1)
        .max_idle_connections_per_host(1)
        .build()
        .into()
}

/// `GET target.path` once with `agent`, checked; the body's length.
fn get(agent: &ureq::Agent, addr: SocketAddr, target: &Target) -> Result<usize, String> {
    let path = target.path;
    let mut response = agent.get(&format!("http://{addr}{path}")).call().map_err(|e| format!("GET {path}: {e}"))?;
    let status = response.status().as_u16();
    let announced = response.body().content_length();
    let body = response.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| format!("GET {path}: body: {e}"))?;
    let length_ok = match target.body {
        Some(expected) => body == expected,
        None => !body.is_empty() && announced == Some(body.len() as u64),
    };
    match (status, length_ok) {
        (200, true) => Ok(body.len()),
        (200, false) => Err(format!(
            "GET {path}: {} bytes (Content-Length {announced:?}, expected {})",
            body.len(),
            target.body.map_or("as announced".into(), |b| format!("{} bytes, byte-exact", b.len()))
        )),
        _ => Err(format!("GET {path}: status {status}")),
    }
}

/// `requests` GETs of `target` spread over `connections` threads, each with its own keep-alive
/// connection. Every thread first makes one untimed request (its connection is open before the
/// clock starts), then all start together; the wall time runs until the last one ends.
pub fn run(addr: SocketAddr, target: &Target, requests: usize, connections: usize) -> Run {
    let connections = connections.clamp(1, requests.max(1));
    let start_line = Barrier::new(connections + 1);
    let (results, elapsed) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..connections)
            .map(|c| {
                let start_line = &start_line;
                s.spawn(move || {
                    let agent = agent();
                    let (mut latencies, mut bytes, mut errors) = (Vec::new(), 0, Vec::new());
                    if let Err(e) = get(&agent, addr, target) {
                        errors.push(format!("warm-up: {e}"));
                    }
                    start_line.wait();
                    for _ in (c..requests).step_by(connections) {
                        let t0 = Instant::now();
                        match get(&agent, addr, target) {
                            Ok(len) => {
                                latencies.push(t0.elapsed());
                                bytes += len as u64;
                            }
                            Err(e) => errors.push(e),
                        }
                    }
                    (latencies, bytes, errors)
                })
            })
            .collect();
        start_line.wait();
        let start = Instant::now();
        let results: Vec<_> =
            workers.into_iter().map(|w| w.join().unwrap_or_else(|_| (Vec::new(), 0, vec!["a client thread panicked".into()]))).collect();
        (results, start.elapsed())
    });
    let mut run = Run { latencies: Vec::with_capacity(requests), bytes: 0, errors: Vec::new(), elapsed };
    for (latencies, bytes, errors) in results {
        run.latencies.extend(latencies);
        run.bytes += bytes;
        run.errors.extend(errors);
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|&n| Duration::from_millis(n)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let hundred: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let stats = Stats::of(&hundred).unwrap();
        assert_eq!((stats.p50, stats.p99), (Duration::from_millis(50), Duration::from_millis(99)));
        assert_eq!(stats.mean, Duration::from_micros(50_500));
        // Five samples: the median is the third, p99 the largest.
        let five = Stats::of(&ms(&[30, 10, 50, 20, 40])).unwrap();
        assert_eq!((five.p50, five.p99, five.mean), (Duration::from_millis(30), Duration::from_millis(50), Duration::from_millis(30)));
        assert_eq!(Stats::of(&ms(&[7])).unwrap().p99, Duration::from_millis(7));
        assert_eq!(Stats::of(&[]), None);
        assert_eq!(percentile(&ms(&[1, 2]), 0.0), Some(Duration::from_millis(1)));
        assert_eq!(percentile(&ms(&[1, 2]), 50.0), Some(Duration::from_millis(1)));
        assert_eq!(percentile(&ms(&[1, 2]), 51.0), Some(Duration::from_millis(2)));
    }
}
