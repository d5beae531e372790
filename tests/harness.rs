//! The fixture harness's own tests: directives, needs, frames and expectations (the live and VM
//! tests are only as good as these).

mod common;

use common::expect::{Expect, Frame, judge, parse_expect, parse_frames};
use common::fixture::{Group, fixtures, shell_words};
use common::kernel::{KernelFacts, Need};

#[test]
fn words_split_and_quote() {
    assert_eq!(
        shell_words("-d 2 --attach 'uprobe:${TARGET}:f=g' \"a b\"").unwrap(),
        ["-d", "2", "--attach", "uprobe:${TARGET}:f=g", "a b"]
    );
    assert!(shell_words("'open").is_err());
}

#[test]
fn every_fixture_reads() {
    for g in [Group::Tool, Group::Dialect, Group::Bad] {
        for f in fixtures(g) {
            if g == Group::Bad {
                assert!(f.error.is_some(), "{}: a bad fixture needs `error`", f.name);
            }
            if let Some(r) = &f.run {
                assert!(
                    r.expects.is_empty() || f.runs(),
                    "{}: expectations without `run`",
                    f.name
                );
            }
        }
    }
}

const OUTPUT: &str = "noise\n@@bccc begin t\n@@bccc mode run\n@@bccc exit 0\n\
@@bccc var TMP=/tmp/x\n@@bccc var child=42\n@@bccc stdout\n|PID  COMM  FNAME\n|42   cat   /tmp/x/f\n\
|43   sh    /etc/passwd\n|\n|calls:\n|KEY  COUNT\n|42   7\n|\n\
|     usecs               : count     distribution\n|         0 -> 1          : 0        |          |\n\
|         2 -> 3          : 5        |*****     |\n|{\"pid\": 42, \"fname\": \"/tmp/x/f\"}\n\
@@bccc stderr\n|Tracing... Hit Ctrl-C to end.\n@@bccc log\n@@bccc end t\n";

fn frame() -> Frame {
    parse_frames(OUTPUT).remove("t").expect("frame t")
}

fn ok(e: &str) -> Vec<String> {
    judge(&frame(), &[parse_expect(e).unwrap()], &|_| true)
}

#[test]
fn frames_carry_output_and_variables() {
    let f = frame();
    assert_eq!(f.exit, 0);
    assert_eq!(f.vars["child"], "42");
    assert!(f.stdout.starts_with("PID  COMM  FNAME\n42"));
    assert_eq!(f.expand("${TMP}/f $child"), "/tmp/x/f 42");
}

#[test]
fn expectations_hold_and_fail() {
    assert!(ok("header PID COMM FNAME").is_empty());
    assert!(!ok("header PID COMM").is_empty());
    assert!(ok("row PID=${child} FNAME=${TMP}/f count=1").is_empty());
    assert!(ok("row PID>=42 count=2").is_empty());
    assert!(!ok("row PID>43").is_empty());
    assert!(ok("row COMM=cat|sh count=2").is_empty());
    assert!(ok("row FNAME^=/etc fields=3").is_empty());
    assert!(ok("table calls KEY=${child} COUNT=7").is_empty());
    assert!(!ok("table calls KEY=${child} COUNT=8").is_empty());
    // Output with titles: a table that is not there matches nothing.
    assert!(!ok("table nosuch KEY=42").is_empty());
    assert!(ok("hist").is_empty());
    assert!(!ok("hist count>=2").is_empty());
    assert!(ok("json pid=42 fname=${TMP}/f").is_empty());
    assert!(ok("stderr Tracing...").is_empty());
    assert!(!ok("no-stderr Tracing").is_empty());
    let never = judge(
        &frame(),
        &[parse_expect("when kprobes stdout nothing like this").unwrap()],
        &|_| false,
    );
    assert!(never.is_empty());
    assert!(matches!(
        parse_expect("unless fentry stderr x").unwrap(),
        Expect::When { holds: false, .. }
    ));
}

#[test]
fn refusals_must_say_something() {
    let mut f = frame();
    f.mode = "refuse".into();
    assert_eq!(
        judge(&f, &[], &|_| true),
        ["ran although the kernel lacks what it needs"]
    );
    f.exit = 1;
    assert!(judge(&f, &[], &|_| true).is_empty());
    f.stderr.clear();
    assert_eq!(
        judge(&f, &[], &|_| true),
        ["exited with 1 without a message"]
    );
}

const CONFIG_510: &str = "CONFIG_BPF_SYSCALL=y\nCONFIG_DEBUG_INFO_BTF=y\nCONFIG_BPF_LSM=y\n\
    CONFIG_LSM=\"lockdown,yama,apparmor\"\nCONFIG_KPROBES=y\n# CONFIG_KPROBE_EVENTS is not set\n\
    CONFIG_BLK_DEV_NVME=m\n";

#[test]
fn needs_are_read_from_the_config() {
    let facts = KernelFacts::new(CONFIG_510, None);
    assert!(
        facts
            .missing(&[Need::Config("CONFIG_KPROBES".into())])
            .is_empty()
    );
    assert_eq!(
        facts.missing(&[Need::Kprobes]),
        ["CONFIG_KPROBE_EVENTS is not set"]
    );
    assert_eq!(
        facts.missing(&[Need::Disk]),
        ["CONFIG_BLK_DEV_NVME=m (a module; the test initramfs loads none)"]
    );
    assert_eq!(
        facts.missing(&[Need::BtfFunc("do_sys_openat2".into())]),
        ["no function do_sys_openat2 in the kernel's BTF"]
    );
    assert_eq!(
        Need::parse("ret-size<8:f").unwrap(),
        Need::RetSizeBelow(8, "f".into())
    );
    assert!(Need::parse("nonsense").is_err());
}

#[test]
fn bpf_lsm_is_added_to_the_boot_lsm_list_only_when_missing() {
    let facts = KernelFacts::new(CONFIG_510, None);
    assert_eq!(
        facts.lsm_cmdline().as_deref(),
        Some("lsm=lockdown,yama,apparmor,bpf")
    );
    let with_bpf = KernelFacts::new("CONFIG_BPF_LSM=y\nCONFIG_LSM=\"yama,bpf\"\n", None);
    assert_eq!(with_bpf.lsm_cmdline(), None);
    let without = KernelFacts::new("# CONFIG_BPF_LSM is not set\nCONFIG_LSM=\"yama\"\n", None);
    assert_eq!(without.lsm_cmdline(), None);
}

#[test]
fn the_host_kernel_btf_answers_function_and_type_needs() {
    let btf = btf_rs::Btf::from_file("/sys/kernel/btf/vmlinux").expect("host BTF");
    let facts = KernelFacts::new("CONFIG_BPF_SYSCALL=y\nCONFIG_DEBUG_INFO_BTF=y\n", Some(btf));
    assert!(
        facts
            .missing(&[Need::BtfFunc("do_sys_openat2".into())])
            .is_empty()
    );
    assert!(
        facts
            .missing(&[Need::BtfType("btf_trace_sched_switch".into())])
            .is_empty()
    );
    // 6.18 returns int from do_sys_openat2 (5.10-6.12 return long).
    assert_eq!(facts.return_size("do_sys_openat2"), Some(4));
    assert!(
        facts
            .check(&Need::RetSizeBelow(8, "do_sys_openat2".into()))
            .is_ok()
    );
    assert_eq!(facts.return_size("bccc_no_such_function"), None);
    // A struct is not a function, and a function is not a type.
    assert_eq!(
        facts.missing(&[Need::BtfFunc("task_struct".into())]).len(),
        1
    );
    assert_eq!(
        facts
            .missing(&[Need::BtfType("do_sys_openat2".into())])
            .len(),
        1
    );
}

#[test]
fn a_lone_table_has_no_title() {
    let out = "@@bccc begin t\n@@bccc mode run\n@@bccc exit 0\n@@bccc stdout\n|KEY  COUNT\n|1    5\n@@bccc end t\n";
    let f = parse_frames(out).remove("t").unwrap();
    let e = parse_expect("table checks KEY=1 COUNT=5").unwrap();
    assert!(judge(&f, &[e], &|_| true).is_empty());
}
