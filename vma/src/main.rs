//! `maple-vma`: replays the memory system calls of real programs, recorded by strace, on the
//! VMA manager. See `maple-vma --help`.

mod replay;

fn main() {
    std::process::exit(replay::cli::main());
}
