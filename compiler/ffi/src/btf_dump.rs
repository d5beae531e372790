//! libbpf's BTF dumper: BTF → C declarations (`vmlinux.h`).
