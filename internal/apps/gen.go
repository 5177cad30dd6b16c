package apps

// The eBPF object and its Go bindings are committed, so building pb needs
// no C compiler; regenerate them after changing bpf/count.c (needs clang,
// llvm and linux-libc-dev; asm/ headers come from the multiarch directory).
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -go-package apps -output-stem count -tags linux -target bpfel,bpfeb count bpf/count.c -- -I./bpf -I/usr/include/x86_64-linux-gnu -O2 -g -Wall -Werror
