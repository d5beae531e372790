//! The runtime of a bccc-built tool: reads its own payload, loads the BPF object, attaches,
//! prints what BCC's Python printed, and detaches on exit.
