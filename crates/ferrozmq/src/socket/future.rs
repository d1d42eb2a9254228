//! Futures for `send_async` / `recv_async`. They need no runtime: they
//! register their task's `Waker` with the socket's signal and are woken
//! when a pipe's state changes.

use super::core::SocketCore;
use super::pattern::{RecvError, SendError};
use crate::error::Result;
use ferrozmq_proto::Message;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Future of [`Socket::send_async`](crate::Socket::send_async).
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a> {
    core: &'a Arc<SocketCore>,
    msg: Option<Message>,
}

impl<'a> SendFuture<'a> {
    pub(crate) fn new(core: &'a Arc<SocketCore>, msg: Message) -> Self {
        SendFuture {
            core,
            msg: Some(msg),
        }
    }
}

impl Future for SendFuture<'_> {
    type Output = Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        loop {
            let Some(msg) = self.msg.take() else {
                return Poll::Ready(Ok(()));
            };
            let seen = self.core.writable.epoch();
            match self.core.try_send(msg) {
                // Async sends do not pace: they never block a thread.
                Ok(_) => return Poll::Ready(Ok(())),
                Err(SendError::Fail(e)) => return Poll::Ready(Err(e)),
                Err(SendError::Full(back)) => self.msg = Some(back),
            }
            if self.core.writable.register(seen, cx.waker()) {
                return Poll::Pending;
            }
        }
    }
}

/// Future of [`Socket::recv_async`](crate::Socket::recv_async).
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a> {
    core: &'a Arc<SocketCore>,
}

impl<'a> RecvFuture<'a> {
    pub(crate) fn new(core: &'a Arc<SocketCore>) -> Self {
        RecvFuture { core }
    }
}

impl Future for RecvFuture<'_> {
    type Output = Result<Message>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        loop {
            let seen = self.core.readable.epoch();
            match self.core.try_recv() {
                Ok(m) => return Poll::Ready(Ok(m)),
                Err(RecvError::Fail(e)) => return Poll::Ready(Err(e)),
                Err(RecvError::Empty) => {}
            }
            if self.core.readable.register(seen, cx.waker()) {
                return Poll::Pending;
            }
        }
    }
}
