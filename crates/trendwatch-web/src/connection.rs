//! The front of each client connection: it reads request heads off the socket before hyper
//! does, answers the ones a kept page answers (ready bytes, written straight to the socket),
//! hands every other request to hyper unchanged, and enforces the header-read timeout.
//!
//! Why by hand: a kept page's answer is bytes made once (see [`crate::cache`]), yet hyper
//! turns each request into an `http::Request` (URI, header map, extensions), calls the
//! service, encodes the response head field by field and runs its per-request header-read
//! timer; under wrk that was about a third of the server's CPU on a kept page, and what kept
//! it below nginx serving the same file. hyper has no hook to answer a request from its raw
//! head, so this side parses heads with `httparse` (the parser hyper itself uses) and only
//! what it fully understands is answered here:
//! - a GET or HEAD in HTTP/1.1, without a body (`Content-Length`, `Transfer-Encoding`), an
//!   `Expect` or any `Connection` option but keep-alive, whose page [`Answerer`] finds;
//! - everything else goes to hyper byte for byte: the head and exactly the body its
//!   `Content-Length` announces. Bytes after that (a pipelined request) wait here until
//!   hyper's answer has been written ([`Handback`]), so answers leave in request order.
//! - A request whose end this side cannot find (a chunked body, HTTP/1.0, `Connection:
//!   close`, an upgrade, an invalid head) gets everything that follows and is the
//!   connection's last: after hyper's answer, reads see the end of the stream.
//!
//! The header-read timeout lives here rather than in hyper, because hyper would count the
//! time this side spends answering kept pages as time waiting for a head. One timer per
//! connection is re-armed only when it fires early, not on every request.

use crate::zero_copy;
use bytes::Bytes;
use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// Longest request head read here; longer ones are answered 431 and the connection closed.
pub const MAX_HEAD: usize = 64 * 1024;
/// Header fields a request may have (hyper's default limit).
const MAX_HEADERS: usize = 100;
/// Kept pages answered in one turn before the connection yields to other tasks.
const ANSWERS_PER_TURN: usize = 16;
/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 8 * 1024;

/// A request head as read off the connection, for an [`Answerer`].
#[derive(Debug)]
pub struct Head<'a> {
    /// HEAD rather than GET: the answer carries no body.
    pub head_only: bool,
    /// The request target: path and query, as sent.
    pub target: &'a str,
    /// The header fields, as sent.
    pub headers: &'a [httparse::Header<'a>],
}

/// A complete answer: the response head (status line to the blank line) and the body.
#[derive(Debug)]
pub struct Answer {
    /// The status the head names (for the metrics).
    pub status: hyper::StatusCode,
    /// Status line and header fields, ending with the empty line.
    pub head: Vec<u8>,
    /// The body, if any (none for HEAD and 304).
    pub body: Option<Bytes>,
    /// The body's copy in the in-memory file, when it has one: it is then sent from there
    /// without a copy, and kept there until sent.
    pub kept: Option<Arc<zero_copy::Kept>>,
}

/// Answers a request head with ready bytes, or `None` to let hyper and the router serve it.
pub type Answerer = Arc<dyn Fn(&Head<'_>) -> Option<Answer> + Send + Sync>;

/// Raised by hyper's side when the answer to the request it was handed is on its way (its
/// body was dropped by hyper, after the last byte entered hyper's write buffer); see
/// [`Handback::wrap`].
#[derive(Debug, Clone, Default)]
pub struct Handback(Arc<AtomicBool>);

impl Handback {
    /// Wraps a response body so that dropping it raises this flag.
    pub fn wrap<B>(&self, body: B) -> Signalling<B> {
        Signalling {
            body,
            done: self.clone(),
        }
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::AcqRel)
    }
}

/// A response body that raises its [`Handback`] when dropped.
#[derive(Debug)]
pub struct Signalling<B> {
    body: B,
    done: Handback,
}

impl<B> Drop for Signalling<B> {
    fn drop(&mut self) {
        self.done.0.store(true, Ordering::Release);
    }
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Signalling<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// Who reads the next bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// This side: reading request heads.
    Front,
    /// hyper, serving the request handed to it: `left` more bytes of it are to reach hyper
    /// (`None`: all that follows). After its answer, `keep` says whether the connection
    /// goes on.
    Hyper { left: Option<u64>, keep: bool },
    /// Nobody: reads see the end of the stream.
    Ended,
}

/// An answer given here, partly sent.
#[derive(Debug)]
struct Outgoing {
    answer: Answer,
    sent: usize,
}

/// A client connection as hyper sees it (see the module's text).
pub struct Connection {
    stream: TcpStream,
    answerer: Option<Answerer>,
    head_timeout: Duration,
    handback: Handback,
    mode: Mode,
    /// Bytes read and not yet handled: `inbox[start..end]`.
    inbox: Vec<u8>,
    start: usize,
    end: usize,
    outbox: VecDeque<Outgoing>,
    /// Since when this side has been waiting for the current request head.
    waiting_since: Option<Instant>,
    /// Fires at or before the head deadline; re-armed when early.
    timer: Option<Pin<Box<Sleep>>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("stream", &self.stream)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// What the bytes in the inbox start with.
enum Parsed {
    /// Not a whole head yet.
    Partial,
    /// A head of `len` bytes, answered here.
    Answered { len: usize, answer: Answer },
    /// A head of `len` bytes for hyper, with `body` more bytes after it (`None`: unknown);
    /// `keep` says whether the connection may go on after its answer.
    Complete {
        len: usize,
        body: Option<u64>,
        keep: bool,
    },
}

impl Connection {
    /// Wraps an accepted connection. Without an `answerer` every request goes to hyper.
    /// `handback` must wrap the bodies of the responses hyper writes to this connection.
    pub fn new(
        stream: TcpStream,
        answerer: Option<Answerer>,
        head_timeout: Duration,
        handback: Handback,
    ) -> Connection {
        Connection {
            stream,
            answerer,
            head_timeout,
            handback,
            mode: Mode::Front,
            inbox: Vec::new(),
            start: 0,
            end: 0,
            outbox: VecDeque::new(),
            waiting_since: None,
            timer: None,
        }
    }

    fn pending_input(&self) -> &[u8] {
        &self.inbox[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads what the socket has into the inbox: `Ok(0)` at the end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        if self.inbox.len() - self.end < READ_CHUNK {
            if self.start > 0 {
                self.inbox.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.inbox.len() - self.end < READ_CHUNK {
                self.inbox.resize(self.end + READ_CHUNK, 0);
            }
        }
        let mut buf = ReadBuf::new(&mut self.inbox[self.end..]);
        ready!(Pin::new(&mut self.stream).poll_read(cx, &mut buf))?;
        let n = buf.filled().len();
        self.end += n;
        Poll::Ready(Ok(n))
    }

    /// Sends the answers given here, in order; ready when none is left.
    fn poll_send_outbox(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while let Some(out) = self.outbox.front_mut() {
            let head = &out.answer.head;
            let body: &[u8] = out.answer.body.as_deref().unwrap_or(&[]);
            let kept = out.answer.kept.as_deref();
            let n = if out.sent < head.len() {
                let rest = &head[out.sent..];
                if body.is_empty() {
                    ready!(Pin::new(&mut self.stream).poll_write(cx, rest))?
                } else if kept.is_some() {
                    ready!(zero_copy::poll_send_more(&self.stream, cx, rest))?
                } else {
                    ready!(Pin::new(&mut self.stream)
                        .poll_write_vectored(cx, &[IoSlice::new(rest), IoSlice::new(body)]))?
                }
            } else {
                let from = out.sent - head.len();
                match kept {
                    Some(kept) => ready!(kept.poll_send(&self.stream, cx, from))?,
                    None => ready!(Pin::new(&mut self.stream).poll_write(cx, &body[from..]))?,
                }
            };
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            out.sent += n;
            if out.sent == head.len() + body.len() {
                self.outbox.pop_front();
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Ready once the current head has been awaited longer than the timeout.
    fn poll_head_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let since = *self.waiting_since.get_or_insert_with(Instant::now);
        let deadline = since + self.head_timeout;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        loop {
            ready!(timer.as_mut().poll(cx));
            if Instant::now() >= deadline {
                return Poll::Ready(());
            }
            // Armed for an earlier head: this one's deadline is later.
            timer.as_mut().reset(deadline);
        }
    }

    /// Gives hyper what is left of the request it serves (see [`Mode::Hyper`]).
    fn poll_to_hyper(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let Mode::Hyper { left, keep } = self.mode else {
            return Poll::Ready(Ok(()));
        };
        if left == Some(0) {
            // The rest belongs to the next request: it waits until hyper has answered
            // (`poll_flush` sees the handback and wakes the task).
            return Poll::Pending;
        }
        if self.pending_input().is_empty() && ready!(self.poll_fill(cx))? == 0 {
            return Poll::Ready(Ok(()));
        }
        let mut n = self.pending_input().len().min(buf.remaining());
        if let Some(left) = left {
            n = n.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        buf.put_slice(&self.inbox[self.start..self.start + n]);
        self.consume(n);
        self.mode = Mode::Hyper {
            left: left.map(|l| l - n as u64),
            keep,
        };
        Poll::Ready(Ok(()))
    }

    /// Moves on from hyper's request once its answer has left hyper.
    fn notice_handback(&mut self, cx: &mut Context<'_>) {
        if let Mode::Hyper { left, keep } = self.mode {
            if self.handback.take() {
                self.mode = if keep && left == Some(0) {
                    Mode::Front
                } else {
                    Mode::Ended
                };
                self.waiting_since = None;
                // hyper may be waiting on a read that returned pending for this reason.
                cx.waker().wake_by_ref();
            }
        }
    }
}

/// Reads the head at the start of `input` and, when it may be answered here, asks
/// `answerer`.
fn parse(input: &[u8], answerer: Option<&Answerer>) -> Result<Parsed, ()> {
    let mut fields =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(input, &mut fields) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(_) => return Err(()),
    };
    let method = req.method.unwrap_or("");
    let http11 = req.version == Some(1);
    let mut keep = http11;
    let mut plain = http11 && req.path.is_some_and(|p| p.starts_with('/'));
    let mut body: Option<u64> = Some(0);
    let mut lengths = 0;
    for field in req.headers.iter() {
        let name = field.name;
        if name.eq_ignore_ascii_case("content-length") {
            lengths += 1;
            let value = std::str::from_utf8(field.value).map_err(|_| ())?;
            let n: u64 = value.trim().parse().map_err(|_| ())?;
            if lengths > 1 && body != Some(n) {
                return Err(());
            }
            body = Some(n);
            plain &= n == 0;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            body = None;
            keep = false;
            plain = false;
        } else if name.eq_ignore_ascii_case("connection") {
            let only_keep_alive = field
                .value
                .split(|&b| b == b',')
                .all(|t| t.trim_ascii().eq_ignore_ascii_case(b"keep-alive"));
            if !only_keep_alive {
                keep = false;
                plain = false;
            }
        } else if name.eq_ignore_ascii_case("upgrade") {
            keep = false;
            plain = false;
        } else if name.eq_ignore_ascii_case("expect") {
            plain = false;
        }
    }
    if !(plain && (method == "GET" || method == "HEAD")) {
        return Ok(Parsed::Complete { len, body, keep });
    }
    let head = Head {
        head_only: method == "HEAD",
        target: req.path.unwrap_or(""),
        headers: req.headers,
    };
    Ok(match answerer.and_then(|answer| answer(&head)) {
        Some(answer) => Parsed::Answered { len, answer },
        // Not a kept page: hyper and the router serve it, and the connection goes on.
        None => Parsed::Complete {
            len,
            body: Some(0),
            keep: true,
        },
    })
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        for _ in 0..ANSWERS_PER_TURN {
            ready!(this.poll_send_outbox(cx))?;
            match this.mode {
                Mode::Ended => return Poll::Ready(Ok(())),
                Mode::Hyper { .. } => return this.poll_to_hyper(cx, buf),
                Mode::Front => {}
            }
            let (len, body, keep) = match parse(this.pending_input(), this.answerer.as_ref()) {
                Ok(Parsed::Answered { len, answer }) => {
                    this.waiting_since = None;
                    this.consume(len);
                    this.outbox.push_back(Outgoing { answer, sent: 0 });
                    continue;
                }
                Ok(Parsed::Complete { len, body, keep }) => (len, body, keep),
                Ok(Parsed::Partial) if this.pending_input().len() >= MAX_HEAD => {
                    this.outbox.push_back(Outgoing {
                        answer: Answer {
                            status: hyper::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                            kept: None,
                            head: b"HTTP/1.1 431 Request Header Fields Too Large\r\n\
                                    content-length: 0\r\nconnection: close\r\n\r\n"
                                .to_vec(),
                            body: None,
                        },
                        sent: 0,
                    });
                    this.mode = Mode::Ended;
                    continue;
                }
                Ok(Parsed::Partial) => {
                    match this.poll_fill(cx) {
                        Poll::Ready(Ok(0)) => {
                            this.mode = Mode::Ended;
                            return Poll::Ready(Ok(()));
                        }
                        Poll::Ready(Ok(_)) => continue,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => {}
                    }
                    if this.poll_head_deadline(cx).is_ready() {
                        return Poll::Ready(Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "request head not received in time",
                        )));
                    }
                    return Poll::Pending;
                }
                // An invalid head: hyper gets everything, answers 400 and closes.
                Err(()) => (0, None, false),
            };
            this.waiting_since = None;
            this.mode = Mode::Hyper {
                left: body.map(|b| len as u64 + b),
                keep,
            };
            return this.poll_to_hyper(cx, buf);
        }
        // Many answers in a row (pipelining): let other connections have a turn.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let mut slices = bufs.iter().filter(|b| !b.is_empty());
        if let Some(first) = slices.next() {
            if let Some(sent) = zero_copy::poll_send_kept(&self.stream, cx, first) {
                return sent;
            }
            // A response's head followed by a kept body: the head is sent corked, and
            // hyper, seeing it written, asks next for the body alone.
            if slices.next().is_some_and(|body| zero_copy::is_kept(body)) {
                return zero_copy::poll_send_more(&self.stream, cx, first);
            }
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // hyper flushes the socket only once its write buffer is empty, so after the
        // handback its whole answer has been written here.
        self.notice_handback(cx);
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // Answers given here go out before the connection closes (graceful shutdown).
        ready!(self.poll_send_outbox(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Bytes [`finish_head`] adds: the date line, the request id line and the empty line.
const HEAD_END: usize = 80;

/// A buffer for a response head that starts with `start`, with room for [`finish_head`]
/// (a kept page is answered tens of thousands of times a second: one allocation each).
pub fn head_from(start: &[u8]) -> Vec<u8> {
    let mut head = Vec::with_capacity(start.len() + HEAD_END);
    head.extend_from_slice(start);
    head
}

/// Ends a response head made elsewhere: adds the date (as hyper does, made once a second
/// per thread), the request id, and the empty line.
pub fn finish_head(head: &mut Vec<u8>, request_id: &[u8]) {
    thread_local! {
        static DATE: std::cell::Cell<(u64, [u8; 29])> = const { std::cell::Cell::new((u64::MAX, [0; 29])) };
    }
    let now = std::time::SystemTime::now();
    let second = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = DATE.with(|cell| {
        let (at, text) = cell.get();
        if at == second {
            return text;
        }
        let mut text = [b' '; 29];
        let made = httpdate::fmt_http_date(now);
        let n = made.len().min(29);
        text[..n].copy_from_slice(&made.as_bytes()[..n]);
        cell.set((second, text));
        text
    });
    head.extend_from_slice(b"date: ");
    head.extend_from_slice(&date);
    head.extend_from_slice(b"\r\nx-request-id: ");
    head.extend_from_slice(request_id);
    head.extend_from_slice(b"\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on `127.0.0.1:0` whose connections answer `/kept/…` themselves and pass
    /// everything else to a hyper service that names what it got.
    async fn server(head_timeout: Duration) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let answerer: Answerer = Arc::new(|head: &Head<'_>| {
            let name = head.target.strip_prefix("/kept/")?;
            let body = format!("kept:{name}");
            let mut out =
                format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n", body.len()).into_bytes();
            finish_head(&mut out, b"test");
            Some(Answer {
                status: hyper::StatusCode::OK,
                head: out,
                body: (!head.head_only).then(|| Bytes::from(body)),
                kept: None,
            })
        });
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handback = Handback::default();
                let signal = handback.clone();
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let signal = signal.clone();
                        async move {
                            let name = format!("{} {}", req.method(), req.uri());
                            let body = axum::body::to_bytes(
                                axum::body::Body::new(req.into_body()),
                                1 << 20,
                            )
                            .await
                            .map_or(0, |b| b.len());
                            let text = format!("hyper:{name}:{body}");
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(
                                signal.wrap(axum::body::Body::from(text)),
                            ))
                        }
                    },
                );
                let conn = Connection::new(stream, Some(answerer.clone()), head_timeout, handback);
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(conn), service),
                );
            }
        });
        addr
    }

    /// The bodies of the responses in `transcript`, in order; `to_head[i]` says that the
    /// `i`th answers a HEAD (its length names a body that is not sent).
    fn bodies(mut transcript: &[u8], to_head: &[bool]) -> Vec<String> {
        let mut out = Vec::new();
        while !transcript.is_empty() {
            let head_only = to_head.get(out.len()).copied().unwrap_or(false);
            let mut fields = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut fields);
            let Ok(httparse::Status::Complete(len)) = resp.parse(transcript) else {
                panic!("not a response: {}", String::from_utf8_lossy(transcript));
            };
            let length: usize = resp
                .headers
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case("content-length"))
                .and_then(|f| std::str::from_utf8(f.value).ok()?.parse().ok())
                .unwrap_or(0);
            let length = if head_only { 0 } else { length };
            assert!(transcript.len() >= len + length, "a body cut short");
            out.push(String::from_utf8_lossy(&transcript[len..len + length]).to_string());
            transcript = &transcript[len + length..];
        }
        out
    }

    /// Sends `chunks` on one connection, closes its sending side and reads to the end.
    async fn exchange(addr: std::net::SocketAddr, chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut client = TcpStream::connect(addr).await.expect("connect");
        for chunk in chunks {
            client.write_all(chunk).await.expect("send");
        }
        client.shutdown().await.expect("half-close");
        let mut out = Vec::new();
        client.read_to_end(&mut out).await.expect("read");
        out
    }

    #[derive(Debug, Clone)]
    enum Ask {
        Kept(u8),
        HeadKept(u8),
        Other(u8),
        Post(u8, usize),
    }

    fn ask() -> impl Strategy<Value = Ask> {
        prop_oneof![
            any::<u8>().prop_map(Ask::Kept),
            any::<u8>().prop_map(Ask::HeadKept),
            any::<u8>().prop_map(Ask::Other),
            (any::<u8>(), 0usize..3000).prop_map(|(i, n)| Ask::Post(i, n)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Pipelined requests of every kind, cut anywhere, are answered in order: kept pages
        /// here, the rest by hyper, each request body reaching hyper whole and alone.
        #[test]
        fn answers_leave_in_request_order_however_the_bytes_arrive(
            asks in proptest::collection::vec(ask(), 1..12),
            cuts in proptest::collection::vec(1usize..400, 1..20),
        ) {
            let mut stream = Vec::new();
            let mut expected = Vec::new();
            for a in &asks {
                match a {
                    Ask::Kept(i) => {
                        stream.extend(format!("GET /kept/{i} HTTP/1.1\r\nHost: t\r\n\r\n").bytes());
                        expected.push(format!("kept:{i}"));
                    }
                    Ask::HeadKept(i) => {
                        stream.extend(format!("HEAD /kept/{i} HTTP/1.1\r\nHost: t\r\n\r\n").bytes());
                        expected.push(String::new());
                    }
                    Ask::Other(i) => {
                        stream.extend(format!("GET /other/{i} HTTP/1.1\r\nHost: t\r\n\r\n").bytes());
                        expected.push(format!("hyper:GET /other/{i}:0"));
                    }
                    Ask::Post(i, n) => {
                        // A body that reads like a request: it must never be taken for one.
                        let body: Vec<u8> = b"GET /kept/0 HTTP/1.1\r\n\r\n".iter().copied().cycle().take(*n).collect();
                        stream.extend(format!("POST /kept/{i} HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n").bytes());
                        stream.extend(body);
                        expected.push(format!("hyper:POST /kept/{i}:{n}"));
                    }
                }
            }
            let mut chunks = Vec::new();
            let mut at = 0;
            for cut in cuts.iter().cycle() {
                if at >= stream.len() {
                    break;
                }
                let end = (at + cut).min(stream.len());
                chunks.push(stream[at..end].to_vec());
                at = end;
            }
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let transcript = runtime.block_on(async {
                let addr = server(Duration::from_secs(30)).await;
                exchange(addr, &chunks).await
            });
            let to_head: Vec<bool> = asks.iter().map(|a| matches!(a, Ask::HeadKept(_))).collect();
            prop_assert_eq!(bodies(&transcript, &to_head), expected);
        }
    }

    /// A head not completed in time ends the connection, and so does a keep-alive
    /// connection left idle that long; a head sent in time is answered.
    #[tokio::test]
    async fn a_head_not_received_in_time_ends_the_connection() {
        let addr = server(Duration::from_millis(200)).await;
        let mut slow = TcpStream::connect(addr).await.expect("connect");
        slow.write_all(b"GET /kept/1 HTTP/1.1\r\nHost:")
            .await
            .expect("send");
        let mut rest = Vec::new();
        let read = slow.read_to_end(&mut rest).await;
        assert!(
            matches!(read, Ok(0)) || read.is_err(),
            "closed without an answer: {read:?} {rest:?}"
        );

        let mut idle = TcpStream::connect(addr).await.expect("connect");
        idle.write_all(b"GET /kept/2 HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .expect("send");
        let mut out = Vec::new();
        let _ = idle.read_to_end(&mut out).await;
        assert_eq!(
            bodies(&out, &[]),
            ["kept:2"],
            "answered, then closed when idle"
        );
    }

    /// A chunked request body cannot be measured here: hyper gets all that follows, and the
    /// connection ends after its answer.
    #[tokio::test]
    async fn a_chunked_request_is_the_connections_last() {
        let addr = server(Duration::from_secs(30)).await;
        let mut client = TcpStream::connect(addr).await.expect("connect");
        client
            .write_all(
                b"POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
                  5\r\nhello\r\n0\r\n\r\n",
            )
            .await
            .expect("send");
        let mut out = Vec::new();
        client.read_to_end(&mut out).await.expect("read");
        assert_eq!(bodies(&out, &[]), ["hyper:POST /up:5"]);
    }

    /// A head longer than [`MAX_HEAD`] is answered 431 and the connection ends.
    #[tokio::test]
    async fn an_overlong_head_is_refused_with_431() {
        let addr = server(Duration::from_secs(30)).await;
        let mut head = b"GET /kept/1 HTTP/1.1\r\nHost: t\r\n".to_vec();
        while head.len() <= MAX_HEAD {
            head.extend_from_slice(
                b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
            );
        }
        // Exactly the limit, all of it read before the answer, so the close is clean.
        head.truncate(MAX_HEAD);
        let out = exchange(addr, &[head]).await;
        assert!(
            out.starts_with(b"HTTP/1.1 431 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
}
