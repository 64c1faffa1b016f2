//! The row format of `cargo xtask bench ipc --host`: how a producer reports a measurement, its
//! parser and writer, and the merge of several producers' rows into one sorted list.
//!
//! A producer is a program xtask runs once per placement as
//! `PRODUCER --programs DIR --rounds N --cpus 1|2 --rows FILE` (see `bench_host.rs`). It writes
//! FILE as UTF-8 text, one row per line, nine fields separated by tabs:
//!
//! ```text
//! placement  system  what  payload  median_cycles  p99_cycles  median_ns  p99_ns  source
//! one CPU    Linux   pipe ping-pong, two processes  64  21261  35223  8698  14440  measured
//! ```
//!
//! - `placement`: `one CPU` (both parties on CPU 0, asked for with `--cpus 1`) or `two CPUs`
//!   (CPUs 0 and 1, `--cpus 2`); a row must carry the placement its run was asked for.
//! - `system`: whose IPC it is: `Hayabusa`, `Linux`, or for cited rows the system cited (`seL4`).
//!   Rows are sorted Hayabusa first, then other measured rows, then cited ones.
//! - `what`: what was timed, free text (no tab); with `system` and `payload` it names the row, and
//!   a name appears once per placement across all producers.
//! - `payload`: bytes carried each way, a whole number, or `-` when nothing is carried (a plain call).
//! - `median_cycles`: TSC cycles per round trip, a number (`123` or `123.5`), required.
//! - `p99_cycles`, `median_ns`, `p99_ns`: numbers, or `-` when unknown (cited rows often give
//!   only a median).
//! - `source`: `measured` (on this machine, by this run) or `cited` (a published figure, from
//!   another machine).
//!
//! Empty lines and lines starting with `#` are ignored.

use std::fmt::Write as _;

/// Where the two parties of a round trip ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Placement {
    OneCpu,
    TwoCpus,
}

impl Placement {
    pub const ALL: [Placement; 2] = [Placement::OneCpu, Placement::TwoCpus];

    /// The field's text in the row format.
    pub fn name(self) -> &'static str {
        match self {
            Placement::OneCpu => "one CPU",
            Placement::TwoCpus => "two CPUs",
        }
    }

    /// The producer's `--cpus` argument for this placement.
    pub fn cpus(self) -> &'static str {
        match self {
            Placement::OneCpu => "1",
            Placement::TwoCpus => "2",
        }
    }
}

/// Whether a row was measured by this run or cited from elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Measured,
    Cited,
}

/// One measurement (or citation): a line of the row format.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub placement: Placement,
    pub system: String,
    pub what: String,
    /// Bytes each way; `None` when the call carries no message at all.
    pub payload: Option<u64>,
    pub median_cycles: f64,
    pub p99_cycles: Option<f64>,
    pub median_ns: Option<f64>,
    pub p99_ns: Option<f64>,
    pub source: Source,
    /// After [`combine`] of several runs: the lowest and highest of the runs' medians (cycles).
    /// Not part of the row format.
    pub spread: Option<(f64, f64)>,
}

/// The system whose rows come first.
pub const HAYABUSA: &str = "Hayabusa";
const FIELDS: usize = 9;
const COLUMNS: &str = "placement, system, what, payload, median_cycles, p99_cycles, median_ns, p99_ns, source";

impl Row {
    /// The row as one line of the format, without the newline.
    pub fn to_line(&self) -> String {
        let number = |n: Option<f64>| n.map_or("-".to_string(), |n| n.to_string());
        let source = match self.source {
            Source::Measured => "measured",
            Source::Cited => "cited",
        };
        let payload = self.payload.map_or("-".to_string(), |p| p.to_string());
        let (median, p99, median_ns, p99_ns) =
            (number(Some(self.median_cycles)), number(self.p99_cycles), number(self.median_ns), number(self.p99_ns));
        let fields = [self.placement.name(), &self.system, &self.what, &payload, &median, &p99, &median_ns, &p99_ns, source];
        fields.join("\t")
    }

    /// Parses one line of the format; the error says which field is wrong and why.
    pub fn parse(line: &str) -> Result<Row, String> {
        let fields: Vec<&str> = line.split('\t').collect();
        let [placement, system, what, payload, median, p99, median_ns, p99_ns, source] = fields[..] else {
            return Err(format!("expected {FIELDS} tab-separated fields ({COLUMNS}), found {}", fields.len()));
        };
        let placement = Placement::ALL
            .into_iter()
            .find(|p| p.name() == placement)
            .ok_or_else(|| format!("placement `{placement}` is neither `one CPU` nor `two CPUs`"))?;
        let text = |name: &str, value: &str| {
            if value.trim().is_empty() { Err(format!("{name} is empty")) } else { Ok(value.to_string()) }
        };
        let number = |name: &str, value: &str| -> Result<Option<f64>, String> {
            if value == "-" {
                return Ok(None);
            }
            match value.parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
                _ => Err(format!("{name} `{value}` is not a number ≥ 0 nor `-`")),
            }
        };
        let payload = match payload {
            "-" => None,
            bytes => Some(bytes.parse().map_err(|_| format!("payload `{bytes}` is not a whole number of bytes nor `-`"))?),
        };
        let source = match source {
            "measured" => Source::Measured,
            "cited" => Source::Cited,
            other => return Err(format!("source `{other}` is neither `measured` nor `cited`")),
        };
        Ok(Row {
            placement,
            system: text("system", system)?,
            what: text("what", what)?,
            payload,
            median_cycles: number("median_cycles", median)?.ok_or("median_cycles is required, not `-`")?,
            p99_cycles: number("p99_cycles", p99)?,
            median_ns: number("median_ns", median_ns)?,
            p99_ns: number("p99_ns", p99_ns)?,
            source,
            spread: None,
        })
    }

    /// Rank in a table: Hayabusa's measured rows, other measured rows, cited rows.
    pub fn group(&self) -> u8 {
        match self.source {
            Source::Measured if self.system == HAYABUSA => 0,
            Source::Measured => 1,
            Source::Cited => 2,
        }
    }

    /// The row's name in a table: `Linux: pipe ping-pong, two processes`.
    pub fn label(&self) -> String {
        format!("{}: {}", self.system, self.what)
    }
}

/// Parses a producer's whole output; `origin` (its file) and the line number start each error.
pub fn parse(text: &str, origin: &str) -> Result<Vec<Row>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(i, line)| Row::parse(line).map_err(|e| format!("{origin} line {}: {e}", i + 1)))
        .collect()
}

/// The file text for `rows`: a comment naming the columns, then one line per row.
pub fn write(rows: &[Row]) -> String {
    let mut text = format!("# {COLUMNS}\n");
    for row in rows {
        let _ = writeln!(text, "{}", row.to_line());
    }
    text
}

/// Several runs' merged rows as one list, in the first run's order: every row (same placement,
/// system, what and payload) must be in every run. Each figure — median and p99, in cycles and
/// in ns — becomes the median of the runs' figures (the lower middle one for an even number of
/// runs), and [`Row::spread`] keeps the lowest and highest of the runs' medians.
pub fn combine(runs: Vec<Vec<Row>>) -> Result<Vec<Row>, String> {
    let Some(first) = runs.first() else { return Ok(Vec::new()) };
    let key = |r: &Row| (r.placement, r.system.clone(), r.what.clone(), r.payload);
    let middle = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[(values.len() - 1) / 2]
    };
    let mut combined = Vec::new();
    for row in first {
        let mut same = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            let found = run.iter().find(|r| key(r) == key(row)).ok_or_else(|| {
                format!("row `{}` ({}) is missing from run {} of {}", row.label(), row.placement.name(), i + 1, runs.len())
            })?;
            same.push(found);
        }
        let figure = |get: fn(&Row) -> Option<f64>| {
            let values: Vec<f64> = same.iter().filter_map(|r| get(r)).collect();
            (values.len() == same.len()).then(|| middle(values))
        };
        let medians: Vec<f64> = same.iter().map(|r| r.median_cycles).collect();
        let low = medians.iter().copied().fold(f64::INFINITY, f64::min);
        let high = medians.iter().copied().fold(0.0, f64::max);
        combined.push(Row {
            median_cycles: middle(medians),
            p99_cycles: figure(|r| r.p99_cycles),
            median_ns: figure(|r| r.median_ns),
            p99_ns: figure(|r| r.p99_ns),
            spread: Some((low, high)),
            ..row.clone()
        });
    }
    if let Some((i, extra)) = runs.iter().enumerate().find_map(|(i, run)| run.iter().find(|r| !first.iter().any(|f| key(f) == key(r))).map(|r| (i, r))) {
        return Err(format!("row `{}` ({}) is in run {} but not in run 1", extra.label(), extra.placement.name(), i + 1));
    }
    Ok(combined)
}

/// All producers' rows, `(origin, rows)` in producer order, as one list sorted by placement,
/// then [`Row::group`], then payload (none first); otherwise in the order produced. A row named
/// twice in one placement (same system, what and payload) is an error naming both origins.
pub fn merge(sets: Vec<(String, Vec<Row>)>) -> Result<Vec<Row>, String> {
    let mut merged: Vec<(String, Row)> = Vec::new();
    for (origin, rows) in sets {
        for row in rows {
            let same = |(_, seen): &&(String, Row)| {
                (seen.placement, &seen.system, &seen.what, seen.payload) == (row.placement, &row.system, &row.what, row.payload)
            };
            if let Some((first, _)) = merged.iter().find(same) {
                return Err(format!(
                    "row `{}` ({}, payload {}) comes from both {first} and {origin}",
                    row.label(),
                    row.placement.name(),
                    row.payload.map_or("-".to_string(), |p| format!("{p} B"))
                ));
            }
            merged.push((origin.clone(), row));
        }
    }
    let mut rows: Vec<Row> = merged.into_iter().map(|(_, row)| row).collect();
    rows.sort_by_key(|row| (row.placement, row.group(), row.payload));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(placement: Placement, system: &str, what: &str, payload: Option<u64>, median: f64, source: Source) -> Row {
        let measured = source == Source::Measured;
        let maybe = |n: f64| measured.then_some(n);
        Row {
            placement,
            system: system.into(),
            what: what.into(),
            payload,
            median_cycles: median,
            p99_cycles: maybe(median * 2.0),
            median_ns: maybe(median / 2.5),
            p99_ns: maybe(median / 1.25),
            source,
            spread: None,
        }
    }

    #[test]
    fn combine_takes_the_middle_run_and_keeps_the_spread() {
        let one = Placement::OneCpu;
        let run = |direct: f64, pipe: f64| {
            vec![
                row(one, "Hayabusa", "direct path", Some(0), direct, Source::Measured),
                row(one, "Linux", "pipe", Some(0), pipe, Source::Measured),
                row(one, "seL4", "call + reply", Some(0), 757.0, Source::Cited),
            ]
        };
        let combined = combine(vec![run(110.0, 15000.0), run(180.0, 14000.0), run(120.0, 16000.0)]).unwrap();
        let direct = &combined[0];
        assert_eq!((direct.median_cycles, direct.p99_cycles, direct.spread), (120.0, Some(240.0), Some((110.0, 180.0))));
        assert_eq!((combined[1].median_cycles, combined[1].spread), (15000.0, Some((14000.0, 16000.0))));
        assert_eq!((combined[2].median_cycles, combined[2].p99_cycles), (757.0, None));
        // An even number of runs: the lower middle one, a figure that was measured.
        assert_eq!(combine(vec![run(110.0, 1.0), run(180.0, 1.0)]).unwrap()[0].median_cycles, 110.0);

        let mut short = run(100.0, 1.0);
        short.remove(1);
        assert_eq!(combine(vec![run(100.0, 1.0), short.clone()]).unwrap_err(), "row `Linux: pipe` (one CPU) is missing from run 2 of 2");
        assert_eq!(combine(vec![short, run(100.0, 1.0)]).unwrap_err(), "row `Linux: pipe` (one CPU) is in run 2 but not in run 1");
    }

    #[test]
    fn round_trip() {
        let rows = vec![
            row(Placement::OneCpu, "Linux", "pipe ping-pong, two processes", Some(64), 21261.0, Source::Measured),
            row(Placement::TwoCpus, "Hayabusa", "plain call (`x`)", None, 52.5, Source::Measured),
            row(Placement::TwoCpus, "seL4", "call + reply (Skylake)", Some(0), 757.0, Source::Cited),
        ];
        let text = write(&rows);
        assert!(text.starts_with('#'));
        assert_eq!(parse(&text, "rows.tsv"), Ok(rows.clone()));
        let line = "one CPU\tLinux\tpipe ping-pong, two processes\t64\t21261\t42522\t8504.4\t17008.8\tmeasured";
        assert_eq!(rows[0].to_line(), line);
        assert_eq!(rows[2].to_line(), "two CPUs\tseL4\tcall + reply (Skylake)\t0\t757\t-\t-\t-\tcited");
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let error = |text: &str| parse(text, "f.tsv").unwrap_err();
        assert_eq!(
            error("# columns\n\none CPU\tLinux\tpipe\t0\t1\t2\t3\n"),
            format!("f.tsv line 3: expected 9 tab-separated fields ({COLUMNS}), found 7")
        );
        let good = ["one CPU", "Linux", "pipe", "0", "1", "2", "3", "4", "measured"];
        let with = |i: usize, value: &str| {
            let mut fields = good;
            fields[i] = value;
            error(&fields.join("\t"))
        };
        assert_eq!(with(0, "three CPUs"), "f.tsv line 1: placement `three CPUs` is neither `one CPU` nor `two CPUs`");
        assert_eq!(with(2, " "), "f.tsv line 1: what is empty");
        assert_eq!(with(3, "1 KiB"), "f.tsv line 1: payload `1 KiB` is not a whole number of bytes nor `-`");
        assert_eq!(with(4, "-"), "f.tsv line 1: median_cycles is required, not `-`");
        assert_eq!(with(5, "fast"), "f.tsv line 1: p99_cycles `fast` is not a number ≥ 0 nor `-`");
        assert_eq!(with(7, "NaN"), "f.tsv line 1: p99_ns `NaN` is not a number ≥ 0 nor `-`");
        assert_eq!(with(8, "guessed"), "f.tsv line 1: source `guessed` is neither `measured` nor `cited`");
    }

    #[test]
    fn merge_sorts_and_refuses_duplicates() {
        let (one, two) = (Placement::OneCpu, Placement::TwoCpus);
        let native = vec![
            row(two, "Linux", "pipe", Some(0), 30000.0, Source::Measured),
            row(one, "seL4", "call + reply", Some(0), 757.0, Source::Cited),
            row(one, "Linux", "pipe", Some(64), 21000.0, Source::Measured),
            row(one, "Linux", "pipe", Some(0), 20000.0, Source::Measured),
            row(one, "Linux", "futex", Some(0), 11000.0, Source::Measured),
            row(one, "Hayabusa", "handler alone", Some(0), 84.0, Source::Measured),
            row(one, "Hayabusa", "plain call", None, 74.0, Source::Measured),
        ];
        let hosted = vec![row(one, "Hayabusa", "direct path", Some(0), 100.0, Source::Measured)];
        let merged = merge(vec![("native".into(), native.clone()), ("hosted".into(), hosted.clone())]).unwrap();
        let order: Vec<(Placement, String, Option<u64>)> = merged.iter().map(|r| (r.placement, r.label(), r.payload)).collect();
        let expected = [
            (one, "Hayabusa: plain call", None),
            (one, "Hayabusa: handler alone", Some(0)),
            (one, "Hayabusa: direct path", Some(0)),
            (one, "Linux: pipe", Some(0)),
            (one, "Linux: futex", Some(0)),
            (one, "Linux: pipe", Some(64)),
            (one, "seL4: call + reply", Some(0)),
            (two, "Linux: pipe", Some(0)),
        ];
        assert_eq!(order, expected.map(|(p, l, b)| (p, l.to_string(), b)));

        let again = vec![("native".into(), native), ("hosted".into(), hosted.clone()), ("other".into(), hosted)];
        assert_eq!(
            merge(again).unwrap_err(),
            "row `Hayabusa: direct path` (one CPU, payload 0 B) comes from both hosted and other"
        );
    }
}
