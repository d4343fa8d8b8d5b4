fn main() -> std::process::ExitCode {
    atendebem_server::cli::main()
}
