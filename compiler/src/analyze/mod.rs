//! analyze: walks the libclang AST of the user's file and produces a [`Program`] (maps, probes,
//! map-method calls, kernel-pointer dereferences, tracepoint arguments, parameters, display
//! hints), each fact with its span. No libclang type leaves this module.
//!
//! Order: top-level declarations first (maps must be known before bodies mention them), then
//! the provenance of pointers over all functions (a read in one body may depend on a map update
//! or a call in another), then each function body, then display hints (they depend on every
//! use of a map).

mod ast;
mod body;
mod diagnostics;
mod directives;
pub mod maps;
mod names;
mod probes;
mod program;
mod propagate;
mod provenance;
mod reads;
mod section;
mod sizes;
mod tp_args;

pub use program::*;
pub use section::{Section, SectionKind};

use bccc_ffi::clang::{ChildVisit, Cursor, CursorKind, EvalResult, TypeKind};
use bccc_manifest::{AttachSpec, Builtin, MapKind, ParamType, ParamValue};

use crate::diagnostics::Diagnostics;
use crate::parse::Parsed;
use crate::source::{SourceFile, Span};
use body::{Evidence, Use, Walker};
use directives::{AttachDirective, DisplayDirective};
use probes::FnDef;
use provenance::Provenance;

/// The main file's top-level declarations and macro expansions.
#[derive(Default)]
struct TopLevel<'tu> {
    expansions: Vec<(String, Span)>,
    vars: Vec<Cursor<'tu>>,
    fns: Vec<Cursor<'tu>>,
}

fn top_level(root: Cursor<'_>) -> TopLevel<'_> {
    let mut top = TopLevel::default();
    root.visit(|c, _| {
        let loc = c.location();
        if !loc.in_main_file {
            return ChildVisit::Continue;
        }
        match c.kind() {
            CursorKind::MacroExpansion => {
                if let Some((a, b)) = c.main_file_range() {
                    top.expansions.push((c.spelling(), Span::new(a, b)));
                }
            }
            CursorKind::VarDecl => top.vars.push(c),
            CursorKind::FunctionDecl if c.is_definition() => top.fns.push(c),
            _ => {}
        }
        ChildVisit::Continue
    });
    top
}

/// Analyzes a parsed file. `cli_attach` are the `--attach` specs with their function names.
pub fn analyze(
    parsed: &Parsed<'_>,
    source: &SourceFile,
    cli_attach: &[(AttachSpec, String)],
) -> Result<Program, Diagnostics> {
    let mut diags = Diagnostics::default();
    let comments = &parsed.scan().comments;
    let mut program = Program {
        tracepoints: parsed.tracepoints().to_vec(),
        includes: parsed.stubbed_includes().to_vec(),
        about: directives::about(source.text(), comments),
        ..Program::default()
    };
    let (attach_dirs, display_dirs, bad_dirs) =
        directives::directives(source, comments, &mut diags);
    let top = top_level(parsed.tu().cursor());
    declarations(&top, source, &mut program, &mut diags);
    program.params.extend(builtin_params(&top.expansions));

    let defs: Vec<FnDef<'_>> = top
        .fns
        .iter()
        .filter_map(|c| probes::fn_def(*c, source, &top.expansions))
        .collect();
    let names = Named {
        defs: &defs,
        renames: parsed.renames(),
    };
    let specs = attach_specs(&names, source, &attach_dirs, cli_attach, &mut diags);
    let tokens = &parsed.scan().tokens;
    let mut provenance = Provenance::default();
    for (f, specs) in defs.iter().zip(&specs) {
        if f.is_static {
            if f.macro_name.is_none() {
                let at = Span::new(f.span.start, f.span.start);
                program.helpers.push(HelperFn {
                    name: f.name.clone(),
                    decl_start: at,
                });
            }
        } else {
            match probes::classify(f, source, &program.tracepoints, specs) {
                Ok(p) => {
                    propagate::seed(&mut provenance, f, &p, tokens);
                    program.probes.push(p);
                }
                // A malformed directive right above already explains why nothing attaches it.
                Err(d)
                    if d.code == "bccc::E0207"
                        && bad_dirs
                            .iter()
                            .any(|b| directly_above(source, *b, f.span.start)) => {}
                Err(d) => diags.push(d),
            }
        }
    }
    // Every function's external pointers are known before any body is walked for reads
    // (spec B.2: helpers, maps and fields carry them across functions).
    let functions: Vec<_> = defs.iter().map(|f| f.cursor).collect();
    propagate::propagate(&mut provenance, &functions, tokens);
    let evidence = walk_bodies(&defs, &provenance, source, &mut program, &mut diags);
    for f in &defs {
        program
            .sizes
            .extend(sizes::collect(f.body, source, parsed.scan()));
    }
    let renames = parsed.renames();
    display_hints(
        &mut program,
        &evidence,
        &display_dirs,
        source,
        renames,
        &mut diags,
    );
    // Last: everything above compares names as the AST spells them (the parse's aliases).
    names::apply(
        &mut program,
        renames,
        parsed.scan(),
        parsed.tu().cursor(),
        &mut diags,
    );
    diags.into_result(program)
}

/// Walks every function body (map calls, implicit reads, tracepoint arguments); returns what
/// the map uses say about display.
fn walk_bodies<'tu>(
    defs: &[FnDef<'tu>],
    provenance: &Provenance<'tu>,
    source: &SourceFile,
    program: &mut Program,
    diags: &mut Diagnostics,
) -> Vec<Evidence> {
    let mut evidence = vec![Evidence::default(); program.maps.len()];
    for f in defs {
        let mut w = Walker {
            file: source,
            program,
            diags,
            evidence: &mut evidence,
            provenance,
            log2_vars: std::collections::HashSet::default(),
            unevaluated: 0,
        };
        w.walk(f.body, Use::Value);
        program
            .tp_args
            .extend(tp_args::collect(f.body, &program.tracepoints));
    }
    evidence
}

/// Maps and `const volatile` parameters.
fn declarations(
    top: &TopLevel<'_>,
    source: &SourceFile,
    program: &mut Program,
    diags: &mut Diagnostics,
) {
    for var in &top.vars {
        let loc = var.location();
        let span = top
            .expansions
            .iter()
            .find(|(_, s)| s.start <= loc.offset && loc.offset < s.end)
            .map(|(_, s)| *s)
            .or_else(|| var.main_file_range().map(|(a, b)| Span::new(a, b)))
            .unwrap_or_default();
        match maps::map_facts(var) {
            Some(maps::MapFacts::Map(mut m)) => {
                m.span = span;
                program.maps.push(m);
            }
            Some(maps::MapFacts::UnknownKind(k)) => {
                diags.push(diagnostics::unknown_map_kind(source, span, &k));
            }
            None => {
                if let Some(p) = param(var, span, source) {
                    program.params.push(p);
                }
            }
        }
    }
}

/// A `const volatile` scalar global.
fn param(var: &Cursor<'_>, span: Span, source: &SourceFile) -> Option<ParamDecl> {
    let ty = var.ty();
    if !(ty.is_const() && ty.is_volatile()) {
        return None;
    }
    let canon = ty.canonical();
    let size = canon.size()? as u32;
    let pty = match canon.kind() {
        TypeKind::Bool => ParamType::Bool,
        TypeKind::Int | TypeKind::SignedInt | TypeKind::Enum => {
            ParamType::Int { size, signed: true }
        }
        TypeKind::UnsignedInt => ParamType::Int {
            size,
            signed: false,
        },
        _ => return None,
    };
    let default = match (pty, var.evaluate()) {
        (ParamType::Bool, Some(EvalResult::Int(v))) => ParamValue::Bool(v != 0),
        (ParamType::Bool, Some(EvalResult::Uint(v))) => ParamValue::Bool(v != 0),
        (_, Some(EvalResult::Uint(v))) => ParamValue::Uint(v),
        (_, Some(EvalResult::Int(v))) => ParamValue::Int(v),
        (ParamType::Bool, _) => ParamValue::Bool(false),
        (ParamType::Int { signed: true, .. }, _) => ParamValue::Int(0),
        (ParamType::Int { .. }, _) => ParamValue::Uint(0),
    };
    let help = param_help(source, span);
    Some(ParamDecl {
        name: var.spelling(),
        ty: pty,
        default,
        help,
        span,
        builtin: None,
    })
}

/// The variable behind `bpf_num_cpus()` (declared in `bccc/compat.h`, defined by the rewrite).
pub const NUM_CPUS_VAR: &str = "__bccc_num_cpus";

/// Built-in parameters the file's macro uses call for.
fn builtin_params(expansions: &[(String, Span)]) -> Vec<ParamDecl> {
    let uses = |name: &str| expansions.iter().any(|(n, _)| n == name);
    let mut out = Vec::new();
    if uses("bpf_num_cpus") {
        out.push(ParamDecl {
            name: NUM_CPUS_VAR.into(),
            ty: ParamType::Int {
                size: 4,
                signed: false,
            },
            default: ParamValue::Uint(1),
            help: "online CPUs (set by the runtime)".into(),
            span: Span::default(),
            builtin: Some(Builtin::OnlineCpus),
        });
    }
    out
}

/// The comment on the line(s) above a declaration, or at the end of its line.
fn param_help(source: &SourceFile, span: Span) -> String {
    let text = source.text();
    let line_end = text[span.end as usize..]
        .find('\n')
        .map_or(text.len(), |i| span.end as usize + i);
    let trailing = text[span.end as usize..line_end]
        .trim()
        .trim_start_matches(';')
        .trim();
    let raw = if let Some(c) = trailing.strip_prefix("//") {
        c.to_owned()
    } else if let Some(c) = trailing.strip_prefix("/*") {
        c.trim_end_matches("*/").to_owned()
    } else {
        let before = text[..span.start as usize].trim_end();
        if let Some(c) = before.strip_suffix("*/") {
            c.rfind("/*")
                .map_or(String::new(), |i| c[i + 2..].to_owned())
        } else {
            let last = before.rsplit('\n').next().unwrap_or("").trim();
            last.strip_prefix("//").unwrap_or("").to_owned()
        }
    };
    raw.lines()
        .map(|l| l.trim().trim_start_matches('*').trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Function definitions and how the user spells their names (the AST spells a name that
/// clashes with a header's by its parse alias).
struct Named<'a, 'tu> {
    defs: &'a [FnDef<'tu>],
    renames: &'a crate::parse::Renames,
}

/// The attach specs of each function (same order as `defs`): directives right above it,
/// directives and `--attach` specs naming it.
fn attach_specs(
    named: &Named<'_, '_>,
    source: &SourceFile,
    dirs: &[AttachDirective],
    cli: &[(AttachSpec, String)],
    diags: &mut Diagnostics,
) -> Vec<Vec<AttachSpec>> {
    let defs = named.defs;
    let mut out = vec![Vec::new(); defs.len()];
    let mut used = vec![false; dirs.len()];
    for (i, f) in defs.iter().enumerate() {
        let name = named.renames.user_spelling(&f.name);
        for (j, d) in dirs.iter().enumerate() {
            let above = d.func.is_none() && directly_above(source, d.span, f.span.start);
            if above || d.func.as_deref() == Some(name.as_str()) {
                out[i].push(d.spec.clone());
                used[j] = true;
            }
        }
        out[i].extend(
            cli.iter()
                .filter(|(_, n)| *n == name)
                .map(|(s, _)| s.clone()),
        );
    }
    for (d, used) in dirs.iter().zip(used) {
        if !used {
            diags.push(match &d.func {
                Some(n) => diagnostics::unknown_attach_function(source, Some(d.span), n),
                None => diagnostics::orphan_directive(source, d.span),
            });
        }
    }
    for (_, name) in cli {
        if !defs
            .iter()
            .any(|f| named.renames.user_spelling(&f.name) == *name)
        {
            diags.push(diagnostics::unknown_attach_function(source, None, name));
        }
    }
    out
}

/// Whether only whitespace and comments lie between a directive and the function start.
fn directly_above(source: &SourceFile, directive: Span, fn_start: u32) -> bool {
    if directive.end > fn_start {
        return false;
    }
    let between = &source.text()[directive.end as usize..fn_start as usize];
    between.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("//")
    })
}

/// Decides each map's display role from its kind, its uses and `bccc:display` directives.
fn display_hints(
    program: &mut Program,
    evidence: &[Evidence],
    dirs: &[DisplayDirective],
    source: &SourceFile,
    renames: &crate::parse::Renames,
    diags: &mut Diagnostics,
) {
    for (m, ev) in program.maps.iter_mut().zip(evidence) {
        let histogram = matches!(m.kind, MapKind::HistogramArray | MapKind::HistogramHash);
        if let (MapKind::PerfOutput | MapKind::Ringbuf, Some((btf, c))) = (m.kind, &ev.event) {
            m.display = DisplayHint::Events {
                event_type: btf.clone(),
            };
            m.event_ctype = Some(c.clone());
        } else if !histogram && ev.log2 {
            m.display = DisplayHint::Log2Hist {
                val_type: "value".into(),
            };
        } else if !histogram && ev.counts {
            m.display = DisplayHint::Counts;
        }
    }
    for d in dirs {
        match program
            .maps
            .iter_mut()
            .find(|m| renames.user_spelling(&m.name) == d.map)
        {
            Some(m) => m.display = d.hint.clone(),
            None => diags.push(diagnostics::bad_display(
                source,
                d.span,
                &format!("no map named `{}`", d.map),
            )),
        }
    }
}
