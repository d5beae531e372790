"""Static inline kernel functions the set keeps: pure computations and field reads only.

A helper is kept when its body (clang's AST of the kernel's own parse) uses only: its
parameters and locals, literals, enumerators, operators, casts, sizeof, if/return/blocks, calls
of other kept helpers or side-effect-free builtins, stores through a pointer parameter (`*rem =
x`, an out-parameter the caller owns), and field reads through pointer parameters spelled
`p->f` in the body itself, which are rewritten to `BPF_CORE_READ(p, f)` (a kprobe program
cannot dereference kernel pointers). Anything else (globals, per-CPU data, asm, loops, stores
into structs, reads hidden in macro expansions) drops the helper, with the first offending
construct as the reason."""

import clang.cindex as ci

K = ci.CursorKind
PLAIN = {K.COMPOUND_STMT, K.RETURN_STMT, K.DECL_STMT, K.IF_STMT, K.CONDITIONAL_OPERATOR,
         K.BINARY_OPERATOR, K.PAREN_EXPR, K.CSTYLE_CAST_EXPR, K.UNEXPOSED_EXPR, K.INTEGER_LITERAL,
         K.CHARACTER_LITERAL, K.TYPE_REF, K.NULL_STMT, K.PARM_DECL, K.CXX_UNARY_EXPR,
         K.UNARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR, K.INIT_LIST_EXPR, K.VAR_DECL,
         K.CALL_EXPR, K.DECL_REF_EXPR, K.MEMBER_REF_EXPR, K.STRUCT_DECL, K.UNION_DECL,
         K.ENUM_DECL, K.FIELD_DECL, K.ENUM_CONSTANT_DECL, K.ASM_LABEL_ATTR,
         K.UNEXPOSED_ATTR, K.CONST_ATTR, K.PURE_ATTR, K.BUILTIN_BIT_CAST_EXPR,
         K.ALIGNED_ATTR, K.VISIBILITY_ATTR, K.WARN_UNUSED_RESULT_ATTR}
PURE_BUILTINS = ("__builtin_constant_p", "__builtin_expect", "__builtin_ctz", "__builtin_clz",
                 "__builtin_ffs", "__builtin_popcount", "__builtin_bswap", "__builtin_choose_expr",
                 "__builtin_types_compatible_p", "__builtin_parity", "__builtin_unreachable")
BinOp = getattr(ci, "BinaryOperator", None)


def _tokens(c):
    return [t.spelling for t in c.get_tokens()]


class Analysis:
    """Purity of one helper: `reason` is None when pure; `reads` are the `->` chains to rewrite:
    (start offset, end offset, base text, [path segments])."""

    def __init__(self, fn, pure_names):
        self.fn = fn
        self.pure_names = pure_names
        self.params = {a.spelling for a in fn.get_arguments()}
        self.locals = set()
        self.calls = set()
        self.reads = []
        self.reason = None
        toks = [t.spelling for t in fn.get_tokens()]
        if toks[:1] != ["static"] or fn.spelling not in toks:
            # Defined by a macro expansion (SEQCOUNT_LOCKNAME(...) pastes the name): its text
            # is the macro call, not C to copy.
            self.reason = "defined by a macro expansion"
            return
        body = next((c for c in fn.get_children() if c.kind == K.COMPOUND_STMT), None)
        if body is None:
            self.reason = "no body"
            return
        self._walk(body, lhs=False)

    def fail(self, why):
        if self.reason is None:
            self.reason = why

    def _walk(self, c, lhs):
        if self.reason:
            return
        k = c.kind
        if k not in PLAIN:
            self.fail(f"uses {k.name.lower().replace('_', ' ')}")
            return
        if k == K.VAR_DECL:
            if c.storage_class == ci.StorageClass.STATIC:
                self.fail("has a static variable")
            self.locals.add(c.spelling)
        elif k == K.DECL_REF_EXPR:
            self._ref(c)
        elif k == K.CALL_EXPR:
            name = c.spelling
            if not (name.startswith(PURE_BUILTINS) or name in self.pure_names):
                self.fail(f"calls `{name}`")
                return
            self.calls.add(name)
        elif k == K.MEMBER_REF_EXPR:
            return self._member(c)
        elif k in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR):
            kids = list(c.get_children())
            if self._is_assign(c) and kids:
                self._store(kids[0])
                for kid in kids[1:]:
                    self._walk(kid, False)
                return
        elif k == K.UNARY_OPERATOR:
            toks = _tokens(c)
            kids = list(c.get_children())
            if toks and toks[0] == "*":
                self.fail("reads through a pointer with `*`")
                return
            if toks and toks[0] in ("++", "--") or toks and toks[-1] in ("++", "--"):
                self._store(kids[0])
                return
            if toks and toks[0] == "&" and kids and not self._is_local_ref(kids[0]):
                self.fail("takes the address of a non-local")
                return
        for kid in c.get_children():
            self._walk(kid, False)

    def _is_assign(self, c):
        if c.kind == K.COMPOUND_ASSIGNMENT_OPERATOR:
            return True
        op = getattr(c, "binary_operator", None)
        return op is not None and BinOp is not None and op == BinOp.Assign

    def _is_local_ref(self, c):
        while c.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR):
            kids = list(c.get_children())
            if not kids:
                return False
            c = kids[0]
        return c.kind == K.DECL_REF_EXPR and (c.spelling in self.locals or c.spelling in self.params)

    def _store(self, target):
        """Only locals and `*param` (an out-parameter) may be stored to."""
        toks = _tokens(target)
        if self._is_local_ref(target):
            return
        if len(toks) == 2 and toks[0] == "*" and toks[1] in self.params:
            return
        self.fail("stores to memory it does not own")

    def _ref(self, c):
        ref = c.referenced
        if ref is None:
            return
        rk = ref.kind
        if rk in (K.PARM_DECL, K.ENUM_CONSTANT_DECL):
            return
        if rk == K.VAR_DECL and ref.spelling in self.locals:
            return
        if rk == K.FUNCTION_DECL:
            return  # judged at the CALL_EXPR
        self.fail(f"uses `{c.spelling}`")

    def _member(self, c):
        """A field read: `.` on locals is plain C; a chain with `->` must be spelled in the body
        and start at a parameter or local, and becomes one BPF_CORE_READ."""
        segs, base = [], c
        arrows = 0
        while base.kind == K.MEMBER_REF_EXPR:
            toks = list(base.get_tokens())
            if len(toks) < 2 or toks[-1].spelling != base.spelling or toks[-2].spelling not in (".", "->"):
                self.fail("reads a field inside a macro expansion")
                return
            op = toks[-2].spelling
            arrows += op == "->"
            segs.append((op, base.spelling))
            kids = list(base.get_children())
            if not kids:
                self.fail("reads a field of an unnamed base")
                return
            base = kids[0]
            while base.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR) and list(base.get_children()):
                if base.kind == K.PAREN_EXPR:
                    break
                base = list(base.get_children())[0]
        if not self._is_local_ref(base):
            self.fail("reads a field of an expression")
            return
        if arrows == 0:
            return
        segs.reverse()
        if segs[0][0] != "->":
            self.fail("reads through a pointer inside a struct value")
            return
        path, cur = [], []
        for op, name in segs:
            if op == "->" and cur:
                path.append(".".join(cur))
                cur = []
            cur.append(name)
        path.append(".".join(cur))
        self.reads.append((c.extent.start.offset, c.extent.end.offset, base.spelling, path))


def select(candidates, is_kernel_file):
    """Pure helpers among `candidates` ({name: Helper}), to a fixpoint over their calls.
    Returns ({name: Analysis} kept, {name: reason} dropped)."""
    pure = set(candidates)
    analyses = {}
    dropped = {}
    changed = True
    while changed:
        changed = False
        for name in sorted(pure):
            a = Analysis(candidates[name].cursor, pure)
            if a.reason:
                pure.discard(name)
                dropped[name] = a.reason
                analyses.pop(name, None)
                changed = True
            else:
                analyses[name] = a
    return analyses, dropped


def render(helper, analysis, src):
    """The helper's definition text with its `->` reads as BPF_CORE_READ (`src`: an
    emit.Source; offsets are libclang's, in bytes)."""
    ext = helper.cursor.extent
    start, end = ext.start.offset, ext.end.offset
    out, pos = [], start
    for s, e, base, path in sorted(analysis.reads):
        out.append(src.slice(helper.file, pos, s))
        out.append(f"BPF_CORE_READ({base}, {', '.join(path)})")
        pos = e
    out.append(src.slice(helper.file, pos, end))
    return "".join(out)


_NEED_KINDS = {K.TYPEDEF_DECL: "typedef", K.STRUCT_DECL: "struct", K.UNION_DECL: "union",
               K.ENUM_DECL: "enum", K.ENUM_CONSTANT_DECL: "enumerator"}


def _record_name(decl):
    """The tag of the struct/union a field belongs to, through anonymous members (`union {
    int c; };` inside `struct s`: s), or None when its record is an unnamed type of a named
    field (nothing to look up by tag)."""
    p = decl.semantic_parent
    while p is not None and p.kind in (K.STRUCT_DECL, K.UNION_DECL):
        if not p.is_anonymous():
            return p.spelling
        outer = p.semantic_parent
        if outer is None or any(f.kind == K.FIELD_DECL and f.type.get_declaration() == p
                                for f in outer.get_children()):
            return None
        p = outer
    return None


def needs(helper):
    """What the helper's text (signature and body) needs from vmlinux.h, which depends on the
    kernel's config as well as its version: {'typedef:kuid_t', 'struct:sk_buff',
    'enumerator:REQ_OP_WRITE', 'member:sk_buff.len', 'helper:__kuid_val', ...}. bccc disables
    the helper for a BTF that lacks one (a kernel without CONFIG_MODULES has no Elf64_Shdr),
    and its callers with it."""
    out = set()
    stack = [helper.cursor]
    while stack:
        c = stack.pop()
        for k in c.get_children():
            stack.append(k)
            r = k.referenced if k.kind in (K.TYPE_REF, K.DECL_REF_EXPR, K.MEMBER_REF_EXPR) \
                else None
            if r is None:
                continue
            if r.kind == K.FUNCTION_DECL and k.kind == K.DECL_REF_EXPR \
                    and not r.spelling.startswith("__builtin"):
                out.add(f"helper:{r.spelling}")  # off with its callee
            elif r.kind == K.FIELD_DECL:
                rec = _record_name(r)
                # An anonymous member's implicit field is spelled `union s::(anonymous ...)`.
                if rec and r.spelling.isidentifier():
                    out.add(f"member:{rec}.{r.spelling}")
            elif r.kind in _NEED_KINDS and r.spelling and not (
                    r.kind != K.ENUM_CONSTANT_DECL and r.kind != K.TYPEDEF_DECL
                    and r.is_anonymous()):
                out.add(f"{_NEED_KINDS[r.kind]}:{r.spelling}")
    return out
