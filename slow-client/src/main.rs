//! slow-client (skeleton: the demo arrives with its issue).
fn main() {
    eprintln!("slow-client: not built yet");
    std::process::exit(2);
}
