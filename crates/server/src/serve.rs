//! The HTTP/1.1 serving loop, in place of `axum::serve`, so that slow or idle clients cannot hold
//! the server: a deadline for a request's headers (which is also the keep-alive idle limit), a
//! deadline between two pieces of a request body, and a cap on open connections.
//!
//! At the cap, a new client is not left waiting in the kernel's backlog while idle connections
//! (no request in flight: keep-alive ones, or ones that never sent a whole request) hold every
//! slot: the connection idle longest is closed to make room, as web servers reuse their idle
//! keep-alive connections. Running out of file descriptors (`EMFILE` on accept) does the same.
//! The default cap follows the open-file limit, so git processes and SQLite keep descriptors.
//!
//! The loop is generic over the byte stream a connection speaks HTTP on ([`Handshake`]): plain
//! TCP here, a TLS stream for an HTTPS listener; every listener of one [`Server`] shares its
//! connection cap and its shutdown.

use crate::activity::{Activity, stamp_ms};
use crate::state::AppState;
use axum::Router;
use bytes::Bytes;
use hyper::Request;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

/// Connection-level limits (see `Config`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a client may take to send a request's headers, counted from the connection's
    /// start or the end of the previous answer; `None`: no limit.
    pub header_timeout: Option<Duration>,
    /// How long a request body may go without a byte arriving; `None`: no limit.
    pub body_timeout: Option<Duration>,
    /// Connections open at once.
    pub max_connections: usize,
}

/// The largest connection cap accepted (the semaphore counts in `u32`).
const MAX_CONNECTIONS_CAP: usize = 1 << 20;

/// The default connection cap: half of the open-file limit left after a reserve for the
/// repositories, SQLite and git's pipes, between 8 and 4,096.
pub fn default_max_connections() -> usize {
    let open_files = open_file_limit().unwrap_or(1024);
    (open_files.saturating_sub(64) / 2).clamp(8, 4096)
}

#[cfg(unix)]
fn open_file_limit() -> Option<usize> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    limit
        .current
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<usize> {
    None
}

/// How an accepted TCP connection becomes the stream HTTP is spoken on: as it is for plain
/// HTTP, after a handshake for TLS. The handshake runs in the connection's own task, bounded
/// by the header timeout.
pub trait Handshake: Clone + Send + Sync + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Whether the listener speaks TLS: every request it serves carries a [`Listener`]
    /// extension saying so (plain HTTP requests carry none).
    fn secure(&self) -> bool {
        false
    }
    fn handshake(&self, tcp: TcpStream) -> impl Future<Output = io::Result<Self::Io>> + Send;
}

/// Which kind of listener a request came in on (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listener {
    pub secure: bool,
}

/// Plain HTTP: the TCP stream itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plain;

impl Handshake for Plain {
    type Io = TcpStream;
    async fn handshake(&self, tcp: TcpStream) -> io::Result<TcpStream> {
        Ok(tcp)
    }
}

/// Plain HTTP that notices a TLS client knocking on it (`https://` to the HTTP port): such a
/// connection is closed with a log line naming the HTTPS port, instead of hyper's puzzling
/// "invalid method" answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Http {
    /// The HTTPS listener's port, for the log line.
    pub https_port: Option<u16>,
}

impl Handshake for Http {
    type Io = Sniffed;
    async fn handshake(&self, tcp: TcpStream) -> io::Result<Sniffed> {
        Ok(Sniffed {
            inner: tcp,
            checked: false,
            https_port: self.https_port,
        })
    }
}

/// A TCP stream whose first bytes are checked for a TLS ClientHello (content type 22,
/// version 3.x).
pub struct Sniffed {
    inner: TcpStream,
    checked: bool,
    https_port: Option<u16>,
}

impl AsyncRead for Sniffed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if !this.checked && matches!(polled, Poll::Ready(Ok(()))) {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                this.checked = true;
                if new[0] == 0x16 && new.get(1).is_none_or(|b| *b == 0x03) {
                    log_tls_on_plain(this.inner.peer_addr().ok(), this.https_port);
                    // Read as the end of the stream: the connection closes without an answer.
                    buf.set_filled(before);
                }
            }
        }
        polled
    }
}

impl AsyncWrite for Sniffed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// At most one line a second: a client retrying in a loop does not flood the log.
fn log_tls_on_plain(peer: Option<SocketAddr>, https_port: Option<u16>) {
    static LAST: AtomicU64 = AtomicU64::new(u64::MAX);
    let now = stamp_ms();
    let last = LAST.load(Ordering::Relaxed);
    if last != u64::MAX && now.saturating_sub(last) < 1000 {
        return;
    }
    LAST.store(now, Ordering::Relaxed);
    let peer = peer.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
    match https_port {
        Some(port) => tracing::warn!(
            %peer,
            https_port = port,
            "a TLS handshake arrived on the plain-HTTP port: use https:// on port {port} (or http:// on this one)"
        ),
        None => tracing::warn!(
            %peer,
            "a TLS handshake arrived on the plain-HTTP port, and HTTPS is off: use http://"
        ),
    }
}

/// HTTPS: a rustls handshake first.
#[derive(Clone)]
pub struct Tls {
    acceptor: tokio_rustls::TlsAcceptor,
}

impl Tls {
    pub fn new(config: Arc<rustls::ServerConfig>) -> Tls {
        Tls {
            acceptor: tokio_rustls::TlsAcceptor::from(config),
        }
    }
}

impl Handshake for Tls {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    fn secure(&self) -> bool {
        true
    }
    async fn handshake(&self, tcp: TcpStream) -> io::Result<Self::Io> {
        self.acceptor.accept(tcp).await
    }
}

/// One router served on any number of listeners, with one connection cap and one shutdown.
pub struct Server {
    router: Router,
    /// `POST /` (every API call) goes straight to the awsJson handler with this state: the
    /// router's path match, method dispatch and boxed futures were a few percent of a small
    /// call's CPU (BENCHMARKS.md, issue 13). The router routes it there too.
    api: Arc<AppState>,
    limits: Limits,
    conns: Arc<Connections>,
    shutdown: watch::Sender<bool>,
}

impl Server {
    /// `activity` is told when answers end (for background work that waits for a quiet
    /// moment); `POST /` is answered by [`crate::protocol::handle`] with `api`, other requests
    /// by `router`.
    pub fn new(
        router: Router,
        api: Arc<AppState>,
        limits: Limits,
        activity: Arc<Activity>,
    ) -> Arc<Server> {
        let max = limits.max_connections.clamp(1, MAX_CONNECTIONS_CAP);
        let (shutdown, _) = watch::channel(false);
        Arc::new(Server {
            router,
            api,
            limits: Limits {
                max_connections: max,
                ..limits
            },
            conns: Arc::new(Connections {
                permits: Arc::new(Semaphore::new(max)),
                max,
                table: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(0),
                evictions: AtomicU64::new(0),
                last_eviction_log: Mutex::new(None),
                activity,
            }),
            shutdown,
        })
    }

    /// Connections open right now.
    pub fn open_connections(&self) -> usize {
        self.conns.max - self.conns.permits.available_permits()
    }

    /// Accepts connections on `listener` until this future is dropped (or `drain` is called).
    pub async fn accept_loop<H: Handshake>(self: &Arc<Self>, listener: TcpListener, handshake: H) {
        let mut stopped = self.shutdown.subscribe();
        loop {
            let accepted = tokio::select! {
                r = listener.accept() => r,
                _ = stopped.wait_for(|s| *s) => return,
            };
            let (tcp, peer) = match accepted {
                Ok(a) => a,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Most likely out of file descriptors: an idle connection gives one back.
                    let evicted = self.conns.evict_idle();
                    self.conns.log_eviction(evicted, Some(&e));
                    let pause = if evicted { 5 } else { 100 };
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    continue;
                }
            };
            let permit = match self.conns.permits.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(_) => match self.wait_for_room(&mut stopped).await {
                    Some(p) => p,
                    None => return,
                },
            };
            let _ = tcp.set_nodelay(true);
            let this = self.clone();
            let handshake = handshake.clone();
            tokio::spawn(async move { this.connection(tcp, peer, handshake, permit).await });
        }
    }

    /// At the cap: closes idle connections until a slot frees up (a connection that turned busy
    /// meanwhile is not closed, so this retries).
    async fn wait_for_room(
        &self,
        stopped: &mut watch::Receiver<bool>,
    ) -> Option<OwnedSemaphorePermit> {
        loop {
            let evicted = self.conns.evict_idle();
            self.conns.log_eviction(evicted, None);
            tokio::select! {
                p = self.conns.permits.clone().acquire_owned() => return p.ok(),
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
                _ = stopped.wait_for(|s| *s) => return None,
            }
        }
    }

    /// Stops accepting, lets requests in flight finish (idle connections are closed), and
    /// returns once every connection is closed.
    pub async fn drain(&self) {
        self.shutdown.send_replace(true);
        let open = self.open_connections();
        if open > 0 {
            tracing::info!(
                connections = open,
                "shutting down: no new connections; waiting for requests in flight"
            );
        }
        for conn in self.conns.table.lock().values() {
            conn.close.notify_one();
        }
        // Every connection holds a permit until it is closed.
        let _ = self.conns.permits.acquire_many(self.conns.max as u32).await;
    }

    async fn connection<H: Handshake>(
        self: Arc<Self>,
        tcp: TcpStream,
        peer: SocketAddr,
        handshake: H,
        permit: OwnedSemaphorePermit,
    ) {
        let state = self.conns.register();
        let _registered = Registered {
            conns: &self.conns,
            state: &state,
            _permit: permit,
        };
        let secure = handshake.secure();
        // A connection still in its handshake is idle: it may be closed to make room.
        let shaken = async {
            tokio::select! {
                r = handshake.handshake(tcp) => Some(r),
                () = state.close.notified() => None,
            }
        };
        let io = match self.limits.header_timeout {
            Some(t) => match tokio::time::timeout(t, shaken).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::info!(%peer, "closed a connection: TLS handshake not done within {}s", t.as_secs_f64());
                    return;
                }
            },
            None => shaken.await,
        };
        let io = match io {
            Some(Ok(io)) => io,
            Some(Err(e)) => {
                tracing::debug!(%peer, error = %e, "handshake failed");
                return;
            }
            None => return,
        };
        let router = self.router.clone();
        let api = self.api.clone();
        let body_timeout = self.limits.body_timeout;
        let service_state = state.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let busy = Busy::start(service_state.clone());
            let mut req = req.map(|body| TimedBody::new(body, body_timeout, peer));
            // Only TLS requests carry it (absent means plain HTTP): an extension costs an
            // allocation per request.
            if secure {
                req.extensions_mut().insert(Listener { secure });
            }
            let api = (req.method() == hyper::Method::POST && req.uri().path() == "/")
                .then(|| api.clone());
            let mut router = router.clone();
            async move {
                let response = match api {
                    Some(api) => {
                        let req = req.map(axum::body::Body::new);
                        crate::protocol::handle(axum::extract::State(api), req).await
                    }
                    None => match tower_service::Service::call(&mut router, req).await {
                        Ok(r) => r,
                        Err(never) => match never {},
                    },
                };
                Ok::<_, std::convert::Infallible>(
                    response.map(|inner| TrackedBody { inner, _busy: busy }),
                )
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout);
        let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service));
        let mut stopped = self.shutdown.subscribe();
        let mut draining = false;
        let result = loop {
            tokio::select! {
                r = conn.as_mut() => break Some(r),
                _ = stopped.wait_for(|s| *s), if !draining => {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = state.close.notified() => {
                    // Closed only while no request is in flight (it may have turned busy since
                    // it was picked); during shutdown, once the answer in flight is done.
                    if state.in_flight.load(Ordering::Acquire) == 0 {
                        break None;
                    }
                    state.closing.store(false, Ordering::Release);
                }
            }
        };
        match result {
            Some(Err(e)) if e.is_timeout() => {
                let secs = self
                    .limits
                    .header_timeout
                    .map(|t| t.as_secs_f64())
                    .unwrap_or(0.0);
                if state.served.load(Ordering::Relaxed) == 0 {
                    tracing::info!(%peer, "closed a connection: no complete request headers within {secs}s");
                } else {
                    tracing::debug!(%peer, "closed an idle keep-alive connection after {secs}s");
                }
            }
            Some(Err(e)) => tracing::debug!(%peer, error = %e, "connection ended with an error"),
            Some(Ok(())) | None => {}
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// The open connections, for picking an idle one to close.
struct Connections {
    permits: Arc<Semaphore>,
    max: usize,
    table: Mutex<HashMap<u64, Arc<ConnState>>>,
    next_id: AtomicU64,
    /// Idle connections closed since the last log line about it.
    evictions: AtomicU64,
    last_eviction_log: Mutex<Option<Instant>>,
    activity: Arc<Activity>,
}

struct ConnState {
    id: u64,
    /// Requests whose answer is not fully written yet.
    in_flight: AtomicUsize,
    /// When the connection last became idle ([`stamp_ms`]).
    idle_since: AtomicU64,
    /// Requests answered.
    served: AtomicU64,
    /// Picked to be closed (so the next pick takes another one).
    closing: AtomicBool,
    close: Notify,
    /// The server's (each connection holds it, so a request touches no shared count).
    activity: Arc<Activity>,
}

impl Connections {
    fn register(&self) -> Arc<ConnState> {
        let state = Arc::new(ConnState {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(stamp_ms()),
            served: AtomicU64::new(0),
            closing: AtomicBool::new(false),
            close: Notify::new(),
            activity: self.activity.clone(),
        });
        self.table.lock().insert(state.id, state.clone());
        state
    }

    /// Asks the connection idle longest to close; false when none is idle.
    fn evict_idle(&self) -> bool {
        let table = self.table.lock();
        let oldest = table
            .values()
            .filter(|c| {
                c.in_flight.load(Ordering::Acquire) == 0 && !c.closing.load(Ordering::Acquire)
            })
            .min_by_key(|c| c.idle_since.load(Ordering::Relaxed));
        match oldest {
            Some(c) => {
                c.closing.store(true, Ordering::Release);
                c.close.notify_one();
                self.evictions.fetch_add(1, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// At most one line a second about closing idle connections for room.
    fn log_eviction(&self, evicted: bool, accept_error: Option<&io::Error>) {
        let mut last = self.last_eviction_log.lock();
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        *last = Some(Instant::now());
        let closed = self.evictions.swap(0, Ordering::Relaxed);
        match accept_error {
            Some(e) => tracing::warn!(
                error = %e,
                closed_idle = closed,
                open = self.table.lock().len(),
                "cannot accept a connection; closing idle connections to make room"
            ),
            None if evicted || closed > 0 => tracing::warn!(
                max_connections = self.max,
                closed_idle = closed,
                "connection limit reached: closing the longest-idle connections to make room"
            ),
            None => tracing::warn!(
                max_connections = self.max,
                "connection limit reached and every connection is busy: new connections wait"
            ),
        }
    }
}

/// A connection's entry in the table and its slot under the cap, released when it closes.
struct Registered<'a> {
    conns: &'a Connections,
    state: &'a Arc<ConnState>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.conns.table.lock().remove(&self.state.id);
    }
}

/// Marks a connection busy from a request's start until its answer is written (the answer's
/// body is dropped).
struct Busy {
    state: Arc<ConnState>,
}

impl Busy {
    fn start(state: Arc<ConnState>) -> Busy {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy { state }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let now = stamp_ms();
        self.state.idle_since.store(now, Ordering::Relaxed);
        self.state.activity.seen(now);
        self.state.served.fetch_add(1, Ordering::Relaxed);
        self.state.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body, keeping its connection marked busy until it is written.
struct TrackedBody {
    inner: axum::body::Body,
    _busy: Busy,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Why a request body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Nothing arrived for the body timeout.
    TimedOut(Duration),
    /// The connection broke or the framing was invalid (truncated, bad chunk size).
    Read(hyper::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TimedOut(t) => {
                write!(f, "no request body data received for {}s", t.as_secs_f64())
            }
            BodyError::Read(e) => match std::error::Error::source(e) {
                Some(cause) => write!(f, "{e}: {cause}"),
                None => write!(f, "{e}"),
            },
        }
    }
}

impl std::error::Error for BodyError {}

/// A request body that fails when nothing arrives for the body timeout. The timer exists only
/// once a read has to wait, so a body that came with its headers costs none.
pub struct TimedBody {
    inner: Incoming,
    timeout: Option<Duration>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    armed: bool,
    peer: SocketAddr,
}

impl TimedBody {
    fn new(inner: Incoming, timeout: Option<Duration>, peer: SocketAddr) -> Self {
        TimedBody {
            inner,
            timeout,
            timer: None,
            armed: false,
            peer,
        }
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.armed = false;
                Poll::Ready(frame.map(|f| f.map_err(BodyError::Read)))
            }
            Poll::Pending => {
                let Some(limit) = this.timeout else {
                    return Poll::Pending;
                };
                let deadline = tokio::time::Instant::now() + limit;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if !this.armed {
                    timer.as_mut().reset(deadline);
                    this.armed = true;
                }
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        tracing::info!(
                            peer = %this.peer,
                            "request body timed out: nothing received for {}s",
                            limit.as_secs_f64()
                        );
                        Poll::Ready(Some(Err(BodyError::TimedOut(limit))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
