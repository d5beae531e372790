//! Command line: the [`Manifest`] → a clap command (the flags every tool has plus one typed flag
//! per `const volatile` parameter) → parsed [`Options`]; and parameter values → the bytes
//! written into the `.rodata` image before load. Pure: no syscalls.

use std::ffi::OsString;
use std::time::Duration;

use bccc_manifest::{Manifest, Param, ParamType, ParamValue};
use clap::{Arg, ArgAction, Command, value_parser};

/// What the user asked for on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `-d SECS`: stop after this long. Default: run until Ctrl-C or SIGTERM.
    pub duration: Option<Duration>,
    /// `-i SECS`: print (and clear) tables and histograms this often. Default: only at the end.
    pub interval: Option<Duration>,
    /// `--json`: JSON lines instead of text.
    pub json: bool,
    /// `--top N`: only the N largest rows of count tables.
    pub top: Option<usize>,
    /// `--verbose`: libbpf's debug log and the verifier log on stderr.
    pub verbose: bool,
    /// `--preflight`: check, print one line per check, exit.
    pub preflight: bool,
    /// The value of every parameter, in manifest order (defaults where not given).
    pub params: Vec<ParamValue>,
}

/// Why parameter values could not be written into a data section image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// The parameter lies outside the section image the object has.
    #[error(
        "parameter `{name}` at offset {offset} does not fit in the {len}-byte `{section}` section"
    )]
    OutOfRange {
        /// C name.
        name: String,
        /// Byte offset.
        offset: u32,
        /// Section name.
        section: String,
        /// Image size.
        len: usize,
    },
}

/// Flags every tool has; a parameter whose flag collides gets `param-` in front.
const RESERVED: &[&str] = &[
    "duration",
    "interval",
    "json",
    "top",
    "verbose",
    "preflight",
    "help",
];

/// The long flag of a parameter (without dashes).
#[must_use]
pub fn param_flag(p: &Param) -> String {
    if RESERVED.contains(&p.flag.as_str()) {
        format!("param-{}", p.flag)
    } else {
        p.flag.clone()
    }
}

/// Parses `SECS` as a positive decimal (`2`, `0.5`). Done by hand rather than through `f64`
/// parsing, whose tables would add ~20 KB to every built tool.
fn seconds(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a positive number of seconds");
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 9 {
        return Err(bad());
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().map_err(|_| bad())?
    };
    let d = Duration::new(secs, nanos);
    if d.is_zero() { Err(bad()) } else { Ok(d) }
}

fn param_arg(index: usize, p: &Param) -> Arg {
    let help = if p.help.is_empty() {
        format!("Set `{}`", p.name)
    } else {
        p.help.clone()
    };
    let arg = Arg::new(format!("param{index}"))
        .long(param_flag(p))
        .help(help);
    match (p.ty, p.default) {
        (ParamType::Bool, default) => arg
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .default_value(if default == ParamValue::Bool(true) {
                "true"
            } else {
                "false"
            })
            .value_parser(value_parser!(bool)),
        (ParamType::Int { size, signed: true }, default) => {
            let bits = size.clamp(1, 8) * 8;
            let (min, max) = (i64::MIN >> (64 - bits), i64::MAX >> (64 - bits));
            arg.value_name("N")
                .allow_negative_numbers(true)
                .default_value(default_text(default))
                .value_parser(value_parser!(i64).range(min..=max))
        }
        (
            ParamType::Int {
                size,
                signed: false,
            },
            default,
        ) => {
            let max = u64::MAX >> (64 - size.clamp(1, 8) * 8);
            arg.value_name("N")
                .default_value(default_text(default))
                .value_parser(value_parser!(u64).range(..=max))
        }
    }
}

fn default_text(v: ParamValue) -> String {
    match v {
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Uint(u) => u.to_string(),
    }
}

/// The clap command of a built tool.
#[must_use]
pub fn command(manifest: &Manifest) -> Command {
    let about = if manifest.tool.about.is_empty() {
        format!("Built by bccc from {}", manifest.tool.source)
    } else {
        manifest.tool.about.clone()
    };
    let mut cmd = Command::new(manifest.tool.name.clone())
        .about(about)
        .arg(
            Arg::new("duration")
                .short('d')
                .long("duration")
                .value_name("SECS")
                .help("Stop after SECS seconds (default: run until Ctrl-C)")
                .value_parser(seconds),
        )
        .arg(
            Arg::new("interval")
                .short('i')
                .long("interval")
                .value_name("SECS")
                .help("Print and clear tables and histograms every SECS seconds")
                .value_parser(seconds),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Print JSON: one object per event, table or histogram"),
        )
        .arg(
            Arg::new("top")
                .long("top")
                .value_name("N")
                .help("Print only the N largest rows of count tables")
                .value_parser(value_parser!(usize)),
        )
        .arg(
            Arg::new("verbose")
                .long("verbose")
                .action(ArgAction::SetTrue)
                .help("Show libbpf's debug log and the verifier log"),
        )
        .arg(
            Arg::new("preflight")
                .long("preflight")
                .action(ArgAction::SetTrue)
                .help("Check privileges, BTF and every attach target, then exit"),
        );
    for (i, p) in manifest.params.iter().enumerate() {
        if p.builtin.is_none() {
            cmd = cmd.arg(param_arg(i, p));
        }
    }
    cmd
}

/// Parses `args` (program name first). `--help` and usage errors come back as clap errors,
/// which the caller prints (`Error::use_stderr`, `Error::exit_code`).
pub fn parse(manifest: &Manifest, args: Vec<OsString>) -> Result<Options, clap::Error> {
    let m = command(manifest).try_get_matches_from(args)?;
    let params = manifest
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let id = format!("param{i}");
            if p.builtin.is_some() {
                // The loader sets it from the machine.
                return p.default;
            }
            match p.ty {
                ParamType::Bool => {
                    ParamValue::Bool(m.get_one::<bool>(&id).copied().unwrap_or(false))
                }
                ParamType::Int { signed: true, .. } => {
                    ParamValue::Int(m.get_one::<i64>(&id).copied().unwrap_or(0))
                }
                ParamType::Int { signed: false, .. } => {
                    ParamValue::Uint(m.get_one::<u64>(&id).copied().unwrap_or(0))
                }
            }
        })
        .collect();
    Ok(Options {
        duration: m.get_one::<Duration>("duration").copied(),
        interval: m.get_one::<Duration>("interval").copied(),
        json: m.get_flag("json"),
        top: m.get_one::<usize>("top").copied(),
        verbose: m.get_flag("verbose"),
        preflight: m.get_flag("preflight"),
        params,
    })
}

/// Writes every parameter that lives in `section` into `image` (that section's initial bytes),
/// little endian, at its offset.
pub fn write_params(
    image: &mut [u8],
    section: &str,
    params: &[Param],
    values: &[ParamValue],
) -> Result<(), ParamError> {
    for (p, v) in params
        .iter()
        .zip(values)
        .filter(|(p, _)| p.section == section)
    {
        let size = match p.ty {
            ParamType::Bool => 1,
            ParamType::Int { size, .. } => size.clamp(1, 8) as usize,
        };
        let raw: u64 = match v {
            ParamValue::Bool(b) => u64::from(*b),
            ParamValue::Int(i) => *i as u64,
            ParamValue::Uint(u) => *u,
        };
        let start = p.offset as usize;
        let len = image.len();
        let slot = image
            .get_mut(start..start + size)
            .ok_or_else(|| ParamError::OutOfRange {
                name: p.name.clone(),
                offset: p.offset,
                section: section.to_owned(),
                len,
            })?;
        slot.copy_from_slice(&raw.to_le_bytes()[..size]);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bccc_manifest::{MANIFEST_VERSION, ToolInfo};

    pub(crate) fn manifest_with_params() -> Manifest {
        let param = |name: &str, flag: &str, ty, default, offset| Param {
            name: name.into(),
            flag: flag.into(),
            ty,
            default,
            section: ".rodata".into(),
            offset,
            help: String::new(),
            builtin: None,
        };
        Manifest {
            version: MANIFEST_VERSION,
            tool: ToolInfo {
                name: "opensnoop".into(),
                about: "Trace open() calls.".into(),
                source: "opensnoop.c".into(),
            },
            programs: vec![],
            maps: vec![],
            params: vec![
                param(
                    "targ_pid",
                    "targ-pid",
                    ParamType::Int {
                        size: 4,
                        signed: true,
                    },
                    ParamValue::Int(0),
                    0,
                ),
                param(
                    "failed",
                    "failed",
                    ParamType::Bool,
                    ParamValue::Bool(false),
                    4,
                ),
                param(
                    "min_us",
                    "min-us",
                    ParamType::Int {
                        size: 8,
                        signed: false,
                    },
                    ParamValue::Uint(10),
                    8,
                ),
                param("json", "json", ParamType::Bool, ParamValue::Bool(true), 5),
            ],
            trace_printk: false,
            tracepoint_records: Vec::new(),
        }
    }

    fn args(list: &[&str]) -> Vec<OsString> {
        std::iter::once("opensnoop")
            .chain(list.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn builtin_flags_and_typed_params() {
        let m = manifest_with_params();
        let o = parse(
            &m,
            args(&[
                "-d",
                "2",
                "--targ-pid",
                "-5",
                "--failed",
                "--top",
                "3",
                "--param-json=false",
            ]),
        )
        .unwrap();
        assert_eq!(o.duration, Some(Duration::from_secs(2)));
        assert_eq!(o.top, Some(3));
        assert!(!o.json);
        assert_eq!(
            o.params,
            [
                ParamValue::Int(-5),
                ParamValue::Bool(true),
                ParamValue::Uint(10),
                ParamValue::Bool(false)
            ]
        );
        let defaults = parse(&m, args(&[])).unwrap();
        assert_eq!(
            defaults.params,
            [
                ParamValue::Int(0),
                ParamValue::Bool(false),
                ParamValue::Uint(10),
                ParamValue::Bool(true)
            ]
        );
    }

    #[test]
    fn bad_values_and_help_are_clap_errors() {
        let m = manifest_with_params();
        let e = parse(&m, args(&["--targ-pid", "99999999999"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(parse(&m, args(&["-d", "0"])).is_err());
        assert!(parse(&m, args(&["-d", "-1"])).is_err());
        assert!(parse(&m, args(&["-d", "1e3"])).is_err());
        let half = parse(&m, args(&["-i", ".5", "-d", "2.25"])).unwrap();
        assert_eq!(half.interval, Some(Duration::from_millis(500)));
        assert_eq!(half.duration, Some(Duration::from_millis(2250)));
        let help = parse(&m, args(&["--help"])).unwrap_err();
        assert_eq!(help.exit_code(), 0);
        let text = help.render().to_string();
        assert!(text.contains("Trace open() calls."), "{text}");
        assert!(text.contains("--targ-pid <N>"), "{text}");
        assert!(text.contains("[default: 10]"), "{text}");
    }

    #[test]
    fn params_are_written_little_endian_at_their_offsets() {
        let m = manifest_with_params();
        let values = [
            ParamValue::Int(-2),
            ParamValue::Bool(true),
            ParamValue::Uint(0x0102),
            ParamValue::Bool(false),
        ];
        let mut image = vec![0xaa; 16];
        write_params(&mut image, ".rodata", &m.params, &values).unwrap();
        assert_eq!(
            image,
            [
                0xfe, 0xff, 0xff, 0xff, 1, 0, 0xaa, 0xaa, 2, 1, 0, 0, 0, 0, 0, 0
            ]
        );
        let mut small = vec![0; 4];
        assert!(matches!(
            write_params(&mut small, ".rodata", &m.params, &values),
            Err(ParamError::OutOfRange { .. })
        ));
    }
}
