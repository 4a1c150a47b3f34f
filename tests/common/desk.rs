//! The real `lifeline desk --no-browser` for the suites that talk to it as its page would:
//! the address it prints, the launch token traded for the cookie, plain HTTP requests with
//! exactly the headers given, and the page's WebSocket with its JSON messages. Included with
//! `#[path]` by those suites only.
//!
//! It must never leave a desk running: dropping a [`Desk`] kills the process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lifeline::console::identity::KdfParams;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Argon2id cheap enough for tests (identities sealed for a test only).
pub const CHEAP: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};

/// `lifeline desk --no-browser` on the identity at `identity`, signing in to `relay`.
pub fn desk_command(relay: &str, identity: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lifeline"));
    command
        .args(["desk", "--no-browser", "--relay", relay, "--identity"])
        .arg(identity)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// `lifeline desk --no-browser` on a test relay's development coordinator (serial 100),
/// with `more` arguments.
pub fn dev_desk_command(relay: &crate::common::TestRelay, more: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lifeline"));
    command
        .args(["desk", "--no-browser", "--relay"])
        .arg(relay.coordinator_url())
        .arg("--dev-keys")
        .arg(relay.paths().dev_coordinator())
        .args(more)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// At a development desk's start screen: chooses the lock passphrase, then goes on duty.
pub async fn unlock_on_duty(page: &mut DeskSocket) {
    let first = until_json(page, |m| m["type"] == "starting").await;
    assert_eq!(first["keys"], "development");
    send_json(
        page,
        serde_json::json!({"type": "unlock", "passphrase": "desk passphrase"}),
    )
    .await;
    until_json(page, |m| m["type"] == "state").await;
    send_json(page, serde_json::json!({"type": "duty", "on": true})).await;
    until_json(page, |m| m["type"] == "state" && m["on_duty"] == true).await;
}

/// The page's socket to the desk.
pub type DeskSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A running desk: its port and one-time launch path.
pub struct Desk {
    child: Child,
    pub port: u16,
    pub launch: String,
    /// What must outlive the desk (the folder of its identity).
    _keep: Option<tempfile::TempDir>,
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Desk {
    /// Starts `command` (a `lifeline desk --no-browser …`) and reads the address it prints;
    /// `keep` lives as long as the desk.
    pub fn spawn(mut command: Command, keep: Option<tempfile::TempDir>) -> Self {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.trim().strip_prefix("http://").map(str::to_owned))
            .expect("the desk prints its address");
        // Keep reading so the desk never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let (host, launch) = url.split_once('/').unwrap();
        let port = host.strip_prefix("127.0.0.1:").unwrap().parse().unwrap();
        Desk {
            child,
            port,
            launch: format!("/{launch}"),
            _keep: keep,
        }
    }

    /// The desk's exit code once it has exited, waiting `within` at most (`None`: still
    /// running, or killed by a signal).
    pub fn exit_code(&mut self, within: Duration) -> Option<i32> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// What the desk wrote to its error output, once it has exited (spawned with it piped).
    pub fn stderr(&mut self) -> String {
        let mut said = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut err, &mut said);
        }
        said
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let host = self.host();
        let mut all = vec![("Host", host.as_str())];
        all.extend_from_slice(headers);
        request(self.port, "GET", path, &all)
    }

    /// Trades the launch token for the cookie (`name=value`).
    pub fn cookie(&self) -> String {
        let launched = self.get(&self.launch, &[]);
        assert_eq!(launched.status, 200, "the launch page");
        let set = launched.header("set-cookie").expect("a session cookie");
        set.split(';').next().unwrap().to_owned()
    }

    /// The page's socket, as the launched page opens it (its origin, the cookie).
    pub async fn page(&self) -> DeskSocket {
        let cookie = self.cookie();
        websocket(self, &self.origin(), Some(&cookie))
            .await
            .expect("the page's socket")
    }
}

/// A response: status, headers (lower-cased names), body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body as sent (a compressed one is not text).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over a fresh connection, with exactly these headers.
pub fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut text = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let bytes = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

/// The desk's WebSocket with this `Origin` and, if given, this cookie.
pub async fn websocket(
    desk: &Desk,
    origin: &str,
    cookie: Option<&str>,
) -> Result<DeskSocket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://127.0.0.1:{}/ws", desk.port)
        .into_client_request()
        .unwrap();
    let h = request.headers_mut();
    h.insert("origin", HeaderValue::from_str(origin).unwrap());
    if let Some(c) = cookie {
        h.insert("cookie", HeaderValue::from_str(c).unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// The next JSON message from the desk (20 s at most).
pub async fn next_json(ws: &mut DeskSocket) -> serde_json::Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Reads messages until one satisfies `want` (20 s for each at most).
pub async fn until_json(
    ws: &mut DeskSocket,
    want: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    loop {
        let message = next_json(ws).await;
        if want(&message) {
            return message;
        }
    }
}

/// Sends one JSON message as the page would.
pub async fn send_json(ws: &mut DeskSocket, message: serde_json::Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}
