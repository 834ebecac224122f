//! Faults injected into a DynamoDB client, for tests of what a failed write or a lost answer
//! leaves behind.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What befalls the first `PutItem` whose body holds the marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// It is never sent: the caller gets an error, and nothing is written.
    Refuse,
    /// DynamoDB applies it, and its answer becomes a 500: the client retries it, as after a
    /// dropped connection.
    LoseAnswer,
}

/// An interceptor that injects one [`Fault`] into the first `PutItem` whose request body
/// holds a marker; clones share whether it fired.
#[derive(Debug, Clone)]
pub struct FailFirstPut {
    marker: &'static str,
    fault: Fault,
    armed: Arc<AtomicBool>,
    fired: Arc<AtomicBool>,
}

impl FailFirstPut {
    /// Injects `fault` into the first put whose body holds `marker`.
    pub fn new(marker: &'static str, fault: Fault) -> Self {
        Self {
            marker,
            fault,
            armed: Arc::default(),
            fired: Arc::default(),
        }
    }

    /// Whether the fault was injected.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

impl Intercept for FailFirstPut {
    fn name(&self) -> &'static str {
        "FailFirstPut"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let hit = !self.fired()
            && request.headers().get("x-amz-target") == Some("DynamoDB_20120810.PutItem")
            && request
                .body()
                .bytes()
                .is_some_and(|b| String::from_utf8_lossy(b).contains(self.marker));
        if hit && self.fault == Fault::Refuse {
            self.fired.store(true, Ordering::SeqCst);
            return Err("injected: the put is refused before it is sent".into());
        }
        self.armed.store(hit, Ordering::SeqCst);
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.armed.swap(false, Ordering::SeqCst) && context.response().status().is_success() {
            *context.response_mut().status_mut() = 500.try_into()?;
            self.fired.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}
