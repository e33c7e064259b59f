//! The `agora` binary. Everything lives in the library (`agora::cli::run`); this only starts the
//! runtime and turns an error into one line on stderr and a non-zero exit status.

use std::process::ExitCode;

/// mimalloc rather than the system's allocator: glibc keeps the memory of Argon2's 7 MiB
/// blocks (and of any burst) for good, mimalloc returns it (bench/README.md, memory;
/// decision 0005).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    agora::serve::raise_descriptor_limit();
    let invocation = agora::cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(agora::cli::run_invocation(invocation)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(agora::cli::exit_code(&err))
        }
    }
}
