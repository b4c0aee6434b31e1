//! `maple-replay`: replays the memory system calls of real programs, recorded by strace, on the
//! VMA manager. See `maple-replay --help`.

mod cli;
mod summary;

fn main() -> std::process::ExitCode {
    cli::main()
}
