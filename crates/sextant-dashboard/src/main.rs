//! The dashboard's entry point (trunk builds this for wasm32).

#[cfg(target_arch = "wasm32")]
fn main() {
    sextant_dashboard::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "the Sextant dashboard runs in a browser: build it with scripts/build-dashboard.sh \
         and open it with `sextant ui`"
    );
    std::process::exit(2);
}
