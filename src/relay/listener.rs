//! Listeners that accept connections and forget where they came from.
//!
//! axum hands a listener's peer address to the application (that is how `ConnectInfo`
//! works). These listeners report `()` instead, so no handler, middleware or log line in the
//! relay can learn a visitor's address, even by mistake. The TLS listener runs rustls
//! handshakes in their own tasks, so a slow or silent client cannot hold up the others.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::NoServerSessionStorage;
use tokio_rustls::server::TlsStream;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Kernel send buffer per connection. A fixed size (instead of autotuning to megabytes)
/// bounds what a client that stops reading can make the kernel hold, so the relay's own
/// queue fills and cuts it off; 64 KiB still carries several full-size frames.
pub const SOCKET_SEND_BUFFER: usize = 64 * 1024;
const PENDING_HANDSHAKES: usize = 256;

#[derive(Debug, thiserror::Error)]
/// Why TLS could not be set up from the configured files.
pub enum TlsError {
    #[error("server.tls_cert {0}: {1}")]
    /// The certificate file (path, reason).
    Certificate(String, String),
    #[error("server.tls_key {0}: {1}")]
    /// The key file (path, reason).
    Key(String, String),
    #[error("TLS configuration refused: {0}")]
    /// rustls refused the pair.
    Config(String),
}

/// Unusable TLS files are a configuration mistake: the key, and what is wrong with its file.
impl From<TlsError> for crate::config::ConfigError {
    fn from(e: TlsError) -> Self {
        let (key, reason) = match e {
            TlsError::Certificate(path, why) => ("server.tls_cert", format!("{path}: {why}")),
            TlsError::Key(path, why) => ("server.tls_key", format!("{path}: {why}")),
            TlsError::Config(why) => (
                "server.tls_key",
                format!("TLS configuration refused (is it the certificate's key?): {why}"),
            ),
        };
        crate::config::ConfigError {
            key: key.into(),
            reason,
        }
    }
}

/// Loads a PEM certificate chain and private key into a rustls acceptor (TLS 1.2 and 1.3,
/// ring provider, HTTP/1.1 only since WebSockets upgrade over it).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let shown = |p: &Path| p.display().to_string();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TlsError::Certificate(shown(cert), e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Certificate(shown(cert), e.to_string()))?;
    if chain.is_empty() {
        return Err(TlsError::Certificate(
            shown(cert),
            "no certificate in the file".into(),
        ));
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key(shown(key), e.to_string()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // No resumption: a TLS 1.3 ticket or a TLS 1.2 session id that a browser brings back
    // recognises it as the one that came before, across visits and across a changed address.
    // A full handshake costs the relay a millisecond; a tipster's anonymity is worth more.
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Plain TCP, peer address dropped.
pub struct Plain(pub TcpListener);

impl axum::serve::Listener for Plain {
    type Io = TcpStream;
    type Addr = ();

    async fn accept(&mut self) -> (TcpStream, ()) {
        loop {
            match self.0.accept().await {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let _ =
                        socket2::SockRef::from(&stream).set_send_buffer_size(SOCKET_SEND_BUFFER);
                    return (stream, ());
                }
                // Out of file descriptors and the like: back off rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<()> {
        Ok(())
    }
}

/// TLS over TCP, peer address dropped; handshakes run concurrently.
pub struct Tls {
    ready: mpsc::Receiver<TlsStream<TcpStream>>,
    accept_loop: tokio::task::JoinHandle<()>,
}

impl Tls {
    /// Accepts on `listener`, with TLS handshakes running beside the accept loop.
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> Self {
        let (tx, ready) = mpsc::channel(PENDING_HANDSHAKES);
        let accept_loop = tokio::spawn(async move {
            let mut plain = Plain(listener);
            loop {
                let (stream, ()) = axum::serve::Listener::accept(&mut plain).await;
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        let _ = tx.send(tls).await;
                    }
                });
            }
        });
        Self { ready, accept_loop }
    }
}

impl Drop for Tls {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl axum::serve::Listener for Tls {
    type Io = TlsStream<TcpStream>;
    type Addr = ();

    async fn accept(&mut self) -> (Self::Io, ()) {
        match self.ready.recv().await {
            Some(stream) => (stream, ()),
            // The accept loop only ends when the listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<()> {
        Ok(())
    }
}

/// How long a client may take to send a request's headers: a request that never finishes
/// them (slowloris) is cut off instead of holding a socket and a task for ever.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves HTTP/1.1 (with upgrades to WebSocket) on every connection `listener` accepts,
/// with a header read timeout, until `shutdown` resolves; then asks open HTTP connections
/// to finish (WebSockets are closed by the relay itself).
pub async fn serve_http<L>(
    mut listener: L,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()>,
) where
    L: axum::serve::Listener<Addr = ()>,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            (io, ()) = listener.accept() => {
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let connection = builder
                    .serve_connection(hyper_util::rt::TokioIo::new(io), service)
                    .with_upgrades();
                let mut stopping = stopping.clone();
                tokio::spawn(async move {
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        _ = stopping.changed() => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
                        }
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    let _ = stop.send(true);
}
