//! What a kernel has (config, BTF, and on this host what actually works), and the needs fixtures
//! state: `CONFIG_X`, `btf:NAME`, `func:NAME`, `ret-size<N:FUNC`, `kprobes`, `fentry`, `lsm`, `disk`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Something a fixture needs from the kernel it runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    /// `CONFIG_X=y` (a module is not enough: the VM initramfs loads none).
    Config(String),
    /// A type in the kernel's BTF.
    BtfType(String),
    /// A function in the kernel's BTF.
    BtfFunc(String),
    /// The function returns fewer than this many bytes.
    RetSizeBelow(usize, String),
    /// kprobes work.
    Kprobes,
    /// BPF trampolines (fentry/fexit) work.
    Fentry,
    /// The BPF LSM is built in.
    Lsm,
    /// A block device for the workload.
    Disk,
}

impl Need {
    /// Parses one need word.
    pub(crate) fn parse(word: &str) -> Result<Need, String> {
        Ok(match word {
            "kprobes" => Need::Kprobes,
            "fentry" => Need::Fentry,
            "lsm" => Need::Lsm,
            "disk" => Need::Disk,
            w if w.starts_with("CONFIG_") => Need::Config(w.to_owned()),
            w => {
                if let Some(t) = w.strip_prefix("btf:") {
                    Need::BtfType(t.to_owned())
                } else if let Some(f) = w.strip_prefix("func:") {
                    Need::BtfFunc(f.to_owned())
                } else if let Some(rest) = w.strip_prefix("ret-size<") {
                    let (n, f) = rest
                        .split_once(':')
                        .ok_or("ret-size<N:FUNC needs a function")?;
                    let n = n
                        .parse()
                        .map_err(|_| format!("ret-size<{n}: not a number"))?;
                    Need::RetSizeBelow(n, f.to_owned())
                } else {
                    return Err(format!("unknown need `{w}`"));
                }
            }
        })
    }

    /// The config options behind a need.
    fn configs(&self) -> Vec<&str> {
        match self {
            Need::Config(c) => vec![c.as_str()],
            Need::Kprobes => vec!["CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS"],
            Need::Fentry => vec!["CONFIG_BPF_JIT", "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"],
            Need::Lsm => vec!["CONFIG_BPF_LSM"],
            _ => Vec::new(),
        }
    }
}

/// Whether a need holds on this host beyond what config and BTF say (things a kernel can have
/// configured and still refuse here).
pub(crate) type HostProbe = fn(&Need) -> Result<(), String>;

/// A kernel's build configuration and BTF.
pub(crate) struct KernelFacts {
    config: BTreeMap<String, String>,
    btf: Option<btf_rs::Btf>,
    host_probe: Option<HostProbe>,
}

/// What every BPF tool needs.
const BASE: [&str; 2] = ["CONFIG_BPF_SYSCALL", "CONFIG_DEBUG_INFO_BTF"];

impl KernelFacts {
    /// From a config file's text and a BTF.
    pub(crate) fn new(config: &str, btf: Option<btf_rs::Btf>) -> Self {
        let config = config
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
            .collect();
        Self {
            config,
            btf,
            host_probe: None,
        }
    }

    /// A VM kernel's facts, from its cache directory (`config`, `btf`).
    pub(crate) fn read_dir(dir: &Path) -> Self {
        let text = std::fs::read_to_string(dir.join("config")).unwrap_or_else(|e| {
            panic!("{}/config: {e} (fetch-kernel.sh writes it)", dir.display())
        });
        let btf = btf_rs::Btf::from_file(dir.join("btf"))
            .unwrap_or_else(|e| panic!("{}/btf: {e} (fetch-kernel.sh writes it)", dir.display()));
        Self::new(&text, Some(btf))
    }

    /// This host's kernel: `/proc/config.gz`, `/sys/kernel/btf/vmlinux`, and `probe` for what
    /// only trying tells.
    pub(crate) fn host(probe: HostProbe) -> Self {
        let out = Command::new("zcat")
            .arg("/proc/config.gz")
            .output()
            .expect("run zcat /proc/config.gz");
        assert!(
            out.status.success(),
            "this kernel has no /proc/config.gz: the tests read its needs from it"
        );
        let btf = btf_rs::Btf::from_file("/sys/kernel/btf/vmlinux").expect("host BTF");
        let mut facts = Self::new(&String::from_utf8_lossy(&out.stdout), Some(btf));
        facts.host_probe = Some(probe);
        facts
    }

    /// Why the kernel cannot run something with these needs, one phrase per missing need; empty
    /// when it can.
    pub(crate) fn missing(&self, needs: &[Need]) -> Vec<String> {
        let mut out: Vec<String> = BASE.iter().filter_map(|c| self.config_missing(c)).collect();
        for need in needs {
            if let Err(why) = self.check(need) {
                out.push(why);
            }
        }
        out
    }

    /// Whether one need holds.
    pub(crate) fn check(&self, need: &Need) -> Result<(), String> {
        if let Some(why) = need.configs().iter().find_map(|c| self.config_missing(c)) {
            return Err(why);
        }
        match need {
            Need::BtfType(name) if !self.btf_has(name, |t| !matches!(t, btf_rs::Type::Func(_))) => {
                return Err(format!("no type {name} in the kernel's BTF"));
            }
            Need::BtfFunc(name) if !self.btf_has(name, |t| matches!(t, btf_rs::Type::Func(_))) => {
                return Err(format!("no function {name} in the kernel's BTF"));
            }
            // The VM guest's disk is NVMe; here it is a loop device.
            Need::Disk if self.host_probe.is_none() => {
                if let Some(why) = self.config_missing("CONFIG_BLK_DEV_NVME") {
                    return Err(why);
                }
            }
            Need::RetSizeBelow(n, f) => match self.return_size(f) {
                Some(size) if size < *n => {}
                Some(size) => return Err(format!("{f} returns {size} bytes")),
                None => return Err(format!("no prototype of {f} in the kernel's BTF")),
            },
            _ => {}
        }
        match self.host_probe {
            Some(probe) => probe(need),
            None => Ok(()),
        }
    }

    fn config_missing(&self, name: &str) -> Option<String> {
        match self.config.get(name).map(String::as_str) {
            Some("y") => None,
            Some("m") => Some(format!(
                "{name}=m (a module; the test initramfs loads none)"
            )),
            _ => Some(format!("{name} is not set")),
        }
    }

    fn btf_has(&self, name: &str, kind: impl Fn(&btf_rs::Type) -> bool) -> bool {
        self.btf
            .as_ref()
            .and_then(|b| b.resolve_types_by_name(name).ok())
            .is_some_and(|types| types.iter().any(kind))
    }

    /// `sizeof` what kernel function `name` returns (typedefs and modifiers resolved), from its
    /// BTF prototype.
    pub(crate) fn return_size(&self, name: &str) -> Option<usize> {
        let btf = self.btf.as_ref()?;
        let func = btf
            .resolve_types_by_name(name)
            .ok()?
            .into_iter()
            .find_map(|t| match t {
                btf_rs::Type::Func(f) => Some(f),
                _ => None,
            })?;
        let btf_rs::Type::FuncProto(proto) = btf.resolve_chained_type(&func).ok()? else {
            return None;
        };
        let mut ty = btf.resolve_type_by_id(proto.return_type_id()).ok()?;
        loop {
            ty = match ty {
                btf_rs::Type::Int(i) => return Some(i.size()),
                btf_rs::Type::Typedef(_) | btf_rs::Type::Const(_) | btf_rs::Type::Volatile(_) => {
                    btf.resolve_chained_type(ty.as_btf_type()?).ok()?
                }
                _ => return None,
            };
        }
    }

    /// The boot argument that activates the BPF LSM when the kernel builds it in but its default
    /// LSM list (`CONFIG_LSM`) leaves it out, as Debian's 5.10 does.
    pub(crate) fn lsm_cmdline(&self) -> Option<String> {
        if self.config.get("CONFIG_BPF_LSM").map(String::as_str) != Some("y") {
            return None;
        }
        let list = self.config.get("CONFIG_LSM")?;
        (!list.split(',').any(|l| l == "bpf")).then(|| format!("lsm={list},bpf"))
    }
}
