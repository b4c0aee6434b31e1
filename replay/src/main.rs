//! `maple-replay`: replays the memory system calls of real programs, recorded by strace, on the
//! VMA manager. See `maple-replay --help`.

fn main() {
    std::process::exit(maple_replay::cli::main());
}
