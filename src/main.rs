fn main() -> std::process::ExitCode {
    dockhand::run(std::env::args_os())
}
