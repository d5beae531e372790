//! Histogram text exactly as BCC's Python `print_log2_hist` / `print_linear_hist` print it
//! (spec D.4), and the JSON form. Input: the slot counts; output: text. Pure: no syscalls.

use std::fmt::Write as _;

use crate::value::json_string;

/// BCC's `log2_index_max`: slots a log2 histogram holds.
pub const LOG2_SLOTS: usize = 65;
/// BCC's `linear_index_max`: slots a linear histogram holds.
pub const LINEAR_SLOTS: usize = 1025;
/// BCC's `stars_max`.
const STARS_MAX: u128 = 40;

/// `_stars(val, val_max, width)`: `floor(width * val / val_max)` stars (Python float division),
/// at most `width`; the last one a `+` if `val > val_max`.
fn stars(val: u128, val_max: u128, width: u128) -> String {
    if val_max == 0 {
        return String::new();
    }
    // Python divides the exact integer product as a float; do the same so rounding agrees
    // (counts past 2^52 lose precision there too).
    #[expect(
        clippy::cast_precision_loss,
        reason = "mirrors Python's float division"
    )]
    let n = ((width * val) as f64 / val_max as f64)
        .floor()
        .min(width as f64) as usize;
    let mut text = "*".repeat(n);
    if val > val_max {
        text.pop();
        text.push('+');
    }
    text
}

/// (`idx_max`, `val_max`): the last slot with a non-zero count (-1 if none), and the largest count.
fn extent(vals: &[u128]) -> (isize, u128) {
    let idx_max = vals.iter().rposition(|v| *v > 0).map_or(-1, |i| i as isize);
    (idx_max, vals.iter().copied().max().unwrap_or(0))
}

/// `print_log2_hist` body for one histogram (without the section line).
#[must_use]
pub fn log2_text(vals: &[u128], val_type: &str) -> String {
    let (idx_max, val_max) = extent(vals);
    let wide = idx_max > 32;
    let mut out = String::new();
    if idx_max > 0 {
        if wide {
            let _ = writeln!(
                out,
                "               {val_type:<29} : count     distribution"
            );
        } else {
            let _ = writeln!(out, "     {val_type:<19} : count     distribution");
        }
    }
    for (i, &val) in vals
        .iter()
        .enumerate()
        .take(idx_max.max(0) as usize + 1)
        .skip(1)
    {
        let mut low: u128 = (1u128 << i) >> 1;
        let high: u128 = (1u128 << i) - 1;
        if low == high {
            low -= 1;
        }

        if wide {
            let s = stars(val, val_max, STARS_MAX / 2);
            let _ = writeln!(out, "{low:>20} -> {high:<20} : {val:<8} |{s:<20}|");
        } else {
            let s = stars(val, val_max, STARS_MAX);
            let _ = writeln!(out, "{low:>10} -> {high:<10} : {val:<8} |{s:<40}|");
        }
    }
    out
}

/// `print_linear_hist` body for one histogram.
#[must_use]
pub fn linear_text(vals: &[u128], val_type: &str) -> String {
    let (idx_max, val_max) = extent(vals);
    let mut out = String::new();
    if idx_max >= 0 {
        let _ = writeln!(out, "     {val_type:<13} : count     distribution");
    }
    for (i, val) in vals.iter().enumerate().take((idx_max + 1).max(0) as usize) {
        let s = stars(*val, val_max, STARS_MAX);
        let _ = writeln!(out, "        {i:<10} : {val:<8} |{s:<40}|");
    }
    out
}

/// The section line BCC prints before each histogram of a struct-keyed map.
#[must_use]
pub fn section_line(field: &str, value: &str) -> String {
    format!("\n{field} = {value}\n")
}

/// The JSON form of a log2 histogram (the shape of BCC's `print_json_hist`, as real JSON):
/// `"val_type": .., "data": [{"interval-start", "interval-end", "count"}, ...]` as (key, JSON) pairs.
#[must_use]
pub fn log2_json(vals: &[u128], val_type: &str) -> Vec<(&'static str, String)> {
    let (idx_max, _) = extent(vals);
    let mut data = Vec::new();
    let mut prev: u128 = 0;
    for (i, count) in vals
        .iter()
        .enumerate()
        .take(idx_max.max(0) as usize + 1)
        .skip(1)
    {
        let end = (1u128 << i) - 1;
        data.push(format!(
            r#"{{"interval-start":{prev},"interval-end":{end},"count":{count}}}"#
        ));
        prev = end + 1;
    }
    vec![
        ("val_type", json_string(val_type)),
        ("data", format!("[{}]", data.join(","))),
    ]
}

/// The JSON form of a linear histogram: `"val_type": .., "data": [{"value", "count"}, ...]`.
#[must_use]
pub fn linear_json(vals: &[u128], val_type: &str) -> Vec<(&'static str, String)> {
    let (idx_max, _) = extent(vals);
    let data: Vec<String> = (0..(idx_max + 1).max(0) as usize)
        .map(|i| format!(r#"{{"value":{i},"count":{}}}"#, vals[i]))
        .collect();
    vec![
        ("val_type", json_string(val_type)),
        ("data", format!("[{}]", data.join(","))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(pairs: &[(usize, u128)], n: usize) -> Vec<u128> {
        let mut v = vec![0; n];
        for (i, c) in pairs {
            v[*i] = *c;
        }
        v
    }

    /// Built by hand from BCC's format strings (spec D.4):
    /// header `"     %-19s : count     distribution"`,
    /// rows `"%10d -> %-10d : %-8d |%-40s|"`, stars = `floor(40 * val / val_max)`.
    #[test]
    fn log2_matches_bcc_byte_for_byte() {
        let vals = slots(&[(1, 1), (2, 3), (4, 10), (5, 7)], LOG2_SLOTS);
        let expected = concat!(
            "     usecs               : count     distribution\n",
            "         0 -> 1          : 1        |****                                    |\n",
            "         2 -> 3          : 3        |************                            |\n",
            "         4 -> 7          : 0        |                                        |\n",
            "         8 -> 15         : 10       |****************************************|\n",
            "        16 -> 31         : 7        |****************************            |\n",
        );
        assert_eq!(log2_text(&vals, "usecs"), expected);
    }

    #[test]
    fn log2_slot_zero_alone_prints_nothing_and_empty_prints_nothing() {
        assert_eq!(log2_text(&slots(&[(0, 5)], LOG2_SLOTS), "x"), "");
        assert_eq!(log2_text(&slots(&[], LOG2_SLOTS), "x"), "");
    }

    #[test]
    fn log2_wide_variant_past_slot_32() {
        let vals = slots(&[(33, 2), (34, 1)], LOG2_SLOTS);
        let text = log2_text(&vals, "nsecs");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "               nsecs                         : count     distribution"
        );
        assert_eq!(
            lines[1],
            format!("{:>20} -> {:<20} : {:<8} |{:<20}|", 0, 1, 0, "")
        );
        assert_eq!(
            lines[33],
            "          4294967296 -> 8589934591           : 2        |********************|"
        );
        assert_eq!(
            lines[34],
            "          8589934592 -> 17179869183          : 1        |**********          |"
        );
        assert_eq!(lines.len(), 35);
    }

    #[test]
    fn linear_matches_bcc() {
        let vals = slots(&[(0, 2), (2, 4)], LINEAR_SLOTS);
        let expected = concat!(
            "     runqlen       : count     distribution\n",
            "        0          : 2        |********************                    |\n",
            "        1          : 0        |                                        |\n",
            "        2          : 4        |****************************************|\n",
        );
        assert_eq!(linear_text(&vals, "runqlen"), expected);
        assert_eq!(linear_text(&slots(&[], LINEAR_SLOTS), "x"), "");
    }

    #[test]
    fn json_intervals() {
        let vals = slots(&[(1, 1), (3, 2)], LOG2_SLOTS);
        let j = crate::value::json_object(log2_json(&vals, "usecs").into_iter());
        assert_eq!(
            j,
            r#"{"val_type":"usecs","data":[{"interval-start":0,"interval-end":1,"count":1},{"interval-start":2,"interval-end":3,"count":0},{"interval-start":4,"interval-end":7,"count":2}]}"#
        );
    }
}
