//! Sending kept pages without copying them, as nginx sends files: `sendfile(2)` from memory
//! the kernel can hand to the socket by reference.
//!
//! Writing a page body from user memory makes the kernel copy it into the socket's buffers;
//! for a 12 KB article page that copy was the largest single item of a cached page's CPU
//! profile under load (6%), and for a 3 MB sitemap it halves the throughput, while nginx,
//! serving the same bytes from a file with `sendfile`, skips it. So a kept page's body
//! ([`Kept`]) is also written once into an in-memory file (one `memfd` for the process, each
//! body at a page-aligned offset), and the connection ([`crate::connection`]) recognises the body's
//! bytes when it is asked to write them and sends them from that file instead.
//!
//! hyper gives a connection plain byte slices, so bodies are recognised by address: each
//! kept body's memory range is registered while it is kept. This is sound because a slice
//! hyper holds points into a live `Bytes`, and two live allocations never overlap: a slice
//! that lies inside a registered range is that body's bytes, which the file holds unchanged
//! (bodies are immutable and the file's range is never written again). When a body is no
//! longer kept its range leaves the register first and its pages are then released from
//! the file (`fallocate` punching a hole); a send already under way keeps its pages alive in
//! the kernel, and a response still holding the body afterwards is written the usual way.
//!
//! Linux only (`memfd_create`, `sendfile`); elsewhere, or when the file cannot be made,
//! nothing is registered and every write is an ordinary one.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, RwLock};
use std::task::{Context, Poll};
use tokio::net::TcpStream;

/// Bodies smaller than this are written the usual way: for them one `writev` of head and
/// body costs less than a `send` and a `sendfile`.
pub const MIN_BODY: usize = 32 * 1024;

/// Alignment of each body in the file, so that releasing a body frees whole pages.
const PAGE: u64 = 4096;

/// Bytes sent from the file since the process started.
static SENT: AtomicU64 = AtomicU64::new(0);

/// Bytes of kept page bodies sent without a copy since the process started (for the
/// metrics, and for tests to see that the path is taken).
pub fn bytes_sent() -> u64 {
    SENT.load(Ordering::Relaxed)
}

/// The in-memory file and where its next body goes.
struct Arena {
    file: std::fs::File,
    end: Mutex<u64>,
}

/// A registered body: its length and its offset in the arena.
#[derive(Clone, Copy)]
struct Range {
    len: usize,
    offset: u64,
}

/// The arena, made on first use; `None` where it cannot be made (then nothing is kept).
fn arena() -> Option<&'static Arena> {
    static ARENA: OnceLock<Option<Arena>> = OnceLock::new();
    ARENA
        .get_or_init(|| {
            #[cfg(target_os = "linux")]
            {
                use rustix::fs::{memfd_create, MemfdFlags};
                match memfd_create("trendwatch-pages", MemfdFlags::CLOEXEC) {
                    Ok(fd) => Some(Arena {
                        file: std::fs::File::from(fd),
                        end: Mutex::new(0),
                    }),
                    Err(e) => {
                        tracing::warn!(error = %e, "pages are sent by copying: no memfd");
                        None
                    }
                }
            }
            #[cfg(not(target_os = "linux"))]
            None
        })
        .as_ref()
}

/// Kept bodies by the address of their first byte.
fn register() -> &'static RwLock<BTreeMap<usize, Range>> {
    static REGISTER: OnceLock<RwLock<BTreeMap<usize, Range>>> = OnceLock::new();
    REGISTER.get_or_init(Default::default)
}

/// Where `slice` lies in the arena, if it lies wholly inside a kept body.
fn find(slice: &[u8]) -> Option<u64> {
    locate(&*register().read().ok()?, slice)
}

/// Where `slice` lies in the arena, by `register`.
fn locate(register: &BTreeMap<usize, Range>, slice: &[u8]) -> Option<u64> {
    let start = slice.as_ptr() as usize;
    let (&base, range) = register.range(..=start).next_back()?;
    let end = base.checked_add(range.len)?;
    (start.checked_add(slice.len())? <= end).then(|| range.offset + (start - base) as u64)
}

/// A page body kept for sending without a copy, for as long as this value lives.
#[derive(Debug)]
pub struct Kept {
    bytes: Bytes,
    offset: u64,
}

impl Kept {
    /// Writes `bytes` into the arena and registers its memory; `None` when the body is small
    /// or there is no arena (the body is then sent the usual way).
    pub fn new(bytes: &Bytes) -> Option<Kept> {
        if bytes.len() < MIN_BODY {
            return None;
        }
        let arena = arena()?;
        let offset = {
            let mut end = arena.end.lock().ok()?;
            let offset = *end;
            *end = (offset + bytes.len() as u64).div_ceil(PAGE) * PAGE;
            offset
        };
        if let Err(e) = std::os::unix::fs::FileExt::write_all_at(&arena.file, bytes, offset) {
            tracing::warn!(error = %e, "page body not kept for sending without a copy");
            return None;
        }
        let range = Range {
            len: bytes.len(),
            offset,
        };
        register()
            .write()
            .ok()?
            .insert(bytes.as_ptr() as usize, range);
        Some(Kept {
            bytes: bytes.clone(),
            offset,
        })
    }
}

impl Kept {
    /// Sends the kept body from byte `from` on, from the arena: as much as the socket takes.
    /// The caller holds this `Kept`, so its pages cannot be released during the send.
    pub fn poll_send(
        &self,
        stream: &TcpStream,
        cx: &mut Context<'_>,
        from: usize,
    ) -> Poll<std::io::Result<usize>> {
        let count = self.bytes.len().saturating_sub(from);
        poll_send_from_arena(stream, cx, self.offset + from as u64, count)
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        if let Ok(mut register) = register().write() {
            register.remove(&(self.bytes.as_ptr() as usize));
        }
        #[cfg(target_os = "linux")]
        if let Some(arena) = arena() {
            use rustix::fs::{fallocate, FallocateFlags};
            let len = (self.bytes.len() as u64).div_ceil(PAGE) * PAGE;
            let flags = FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE;
            if let Err(e) = fallocate(&arena.file, flags, self.offset, len) {
                tracing::warn!(error = %e, "memory of a page no longer kept not released");
            }
        }
    }
}

/// Whether `slice` lies inside a kept body (and so can be sent by [`poll_send_kept`]).
pub fn is_kept(slice: &[u8]) -> bool {
    !slice.is_empty() && arena().is_some() && find(slice).is_some()
}

/// Sends `slice` from the arena when it lies inside a kept body; `None` when it does not
/// (write it the usual way). The register stays locked for reading during the `sendfile`,
/// so a body dropped meanwhile cannot have its pages released under the send.
pub fn poll_send_kept(
    stream: &TcpStream,
    cx: &mut Context<'_>,
    slice: &[u8],
) -> Option<Poll<std::io::Result<usize>>> {
    if slice.is_empty() || arena().is_none() {
        return None;
    }
    let register = register().read().ok()?;
    let offset = locate(&register, slice)?;
    Some(poll_send_from_arena(stream, cx, offset, slice.len()))
}

/// Sends `count` bytes of the arena from `offset`. (`sendfile` has no `MSG_NOSIGNAL`: a
/// peer that has gone would raise SIGPIPE, which Rust programs ignore from the start, so it
/// comes back as the error `EPIPE`.)
fn poll_send_from_arena(
    stream: &TcpStream,
    cx: &mut Context<'_>,
    offset: u64,
    count: usize,
) -> Poll<std::io::Result<usize>> {
    #[cfg(target_os = "linux")]
    {
        let Some(arena) = arena() else {
            return Poll::Ready(Err(std::io::Error::other("no in-memory file")));
        };
        loop {
            std::task::ready!(stream.poll_write_ready(cx))?;
            let mut at = offset;
            match stream.try_io(tokio::io::Interest::WRITABLE, || {
                Ok(rustix::fs::sendfile(
                    stream,
                    &arena.file,
                    Some(&mut at),
                    count,
                )?)
            }) {
                Ok(n) => {
                    SENT.fetch_add(n as u64, Ordering::Relaxed);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (stream, cx, offset, count);
        Poll::Ready(Err(std::io::ErrorKind::Unsupported.into()))
    }
}

/// Sends `head` with `MSG_MORE`, so that it leaves in one packet with the kept body sent
/// next.
pub fn poll_send_more(
    stream: &TcpStream,
    cx: &mut Context<'_>,
    head: &[u8],
) -> Poll<std::io::Result<usize>> {
    loop {
        std::task::ready!(stream.poll_write_ready(cx))?;
        #[cfg(target_os = "linux")]
        let sent = stream.try_io(tokio::io::Interest::WRITABLE, || {
            Ok(rustix::net::send(
                stream,
                head,
                rustix::net::SendFlags::MORE | rustix::net::SendFlags::NOSIGNAL,
            )?)
        });
        #[cfg(not(target_os = "linux"))]
        let sent = stream.try_write(head);
        match sent {
            Ok(n) => return Poll::Ready(Ok(n)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"));
        let (client, accepted) = tokio::join!(client, listener.accept());
        (accepted.expect("accept").0, client.expect("connect"))
    }

    /// A head and a kept 3 MB body arrive byte for byte, the body from the arena, through
    /// partial sends (the reader is slower than the socket's buffers); a body no longer kept
    /// is not sent from the arena.
    #[tokio::test]
    async fn a_kept_body_is_sent_from_the_arena_byte_for_byte() {
        let body = Bytes::from(
            (0..3_000_000u32)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<u8>>(),
        );
        let kept = Kept::new(&body).expect("kept (Linux has memfd)");
        assert!(is_kept(&body[10..20]), "a slice inside the body is found");
        assert!(Kept::new(&Bytes::from_static(b"small")).is_none());
        let (server, mut client) = pair().await;
        let before = bytes_sent();
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 3000000\r\n\r\n".to_vec();
        let expected: Vec<u8> = head.iter().chain(body.iter()).copied().collect();
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; expected.len()];
            client.read_exact(&mut got).await.expect("read");
            assert!(got == expected, "the bytes received are the bytes sent");
        });
        let mut head_left: &[u8] = &head;
        while !head_left.is_empty() {
            let n = std::future::poll_fn(|cx| poll_send_more(&server, cx, head_left))
                .await
                .expect("head");
            head_left = &head_left[n..];
        }
        let mut rest: &[u8] = &body;
        while !rest.is_empty() {
            let n = std::future::poll_fn(|cx| {
                poll_send_kept(&server, cx, rest).expect("the body is kept")
            })
            .await
            .expect("body");
            rest = &rest[n..];
        }
        reader.await.expect("reader");
        assert!(bytes_sent() - before >= body.len() as u64);

        drop(kept);
        assert!(
            !is_kept(&body[10..20]),
            "a body no longer kept is not found"
        );
        let (mut server, mut client) = pair().await;
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(poll_send_kept(&server, &mut cx, &body[..5000]).is_none());
        server.write_all(&body[..5000]).await.expect("write");
        let mut got = vec![0u8; 5000];
        client.read_exact(&mut got).await.expect("read");
        assert_eq!(got, body[..5000]);
    }
}
