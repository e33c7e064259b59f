//! TLS for outgoing connections (HTTP clients, SMTP): rustls with the `ring` provider, the one
//! sqlx already builds, installed once for the whole process.

/// Installs the process-wide rustls provider; calling it again does nothing.
pub fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
