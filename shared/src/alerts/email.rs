//! Email alerts through Amazon SNS, and [`AwsSender`]: the deployed functions' sender, which
//! sends email through SNS and everything else through [`HttpSender`].
//!
//! Each email subscription gets its own topic, `<prefix><subscription id>`, with the address
//! subscribed to it. SNS sends the address a confirmation message and delivers nothing else to
//! it until its owner confirms (and every message carries SNS's unsubscribe link), so no alert
//! reaches an address that did not ask for it. Deleting the subscription deletes the topic.

use super::deliver::HttpSender;
use super::{email, Channel, DeliveryAttempt, Outcome, Sender, Subscription};
use crate::model::{Email, NewsItem};
use async_trait::async_trait;
use std::time::Instant;

/// The variable holding the topic name prefix (the template sets `nba-tracker-<stage>-alert-`).
pub const TOPIC_PREFIX_ENV: &str = "ALERTS_TOPIC_PREFIX";

/// Longest an email alert's publish may take, the SDK's retries included.
const PUBLISH_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// Email through SNS topics named `<prefix><subscription id>`.
#[derive(Debug, Clone)]
pub struct SnsMailer {
    client: aws_sdk_sns::Client,
    prefix: String,
}

fn describe<E: std::error::Error>(what: &str, err: E) -> String {
    format!("{what}: {}", aws_sdk_sns::error::DisplayErrorContext(&err))
}

impl SnsMailer {
    /// A mailer over `client`, naming topics `<prefix><subscription id>`.
    pub fn new(client: aws_sdk_sns::Client, prefix: impl Into<String>) -> Self {
        Self {
            client,
            prefix: prefix.into(),
        }
    }

    /// Creates the topic `<prefix><name>` and subscribes `address` (SNS asks it to confirm);
    /// the topic's ARN.
    pub async fn enroll(&self, name: &str, address: &str) -> Result<String, String> {
        let topic = self
            .client
            .create_topic()
            .name(format!("{}{name}", self.prefix))
            .send()
            .await
            .map_err(|e| describe("creating the email topic", e))?
            .topic_arn
            .ok_or("SNS returned no topic ARN")?;
        let subscribed = self
            .client
            .subscribe()
            .topic_arn(&topic)
            .protocol("email")
            .endpoint(address)
            .send()
            .await;
        if let Err(err) = subscribed {
            self.retire(&topic).await;
            return Err(describe("subscribing the address", err));
        }
        Ok(topic)
    }

    /// Deletes a topic (and so its subscription); failures are logged.
    pub async fn retire(&self, topic: &str) {
        if let Err(err) = self.client.delete_topic().topic_arn(topic).send().await {
            tracing::warn!(topic, error = %describe("deleting the email topic", err), "email topic left behind");
        }
    }

    /// Publishes one message to a topic.
    pub async fn publish(&self, topic: &str, subject: &str, text: &str) -> Result<(), String> {
        self.client
            .publish()
            .topic_arn(topic)
            .subject(subject)
            .message(text)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe("publishing", e))
    }
}

/// The deployed sender: email through SNS, webhooks over HTTPS.
#[derive(Debug, Clone)]
pub struct AwsSender {
    /// Webhooks, Slack and Discord.
    pub http: HttpSender,
    /// Email.
    pub mail: SnsMailer,
}

#[async_trait]
impl Sender for AwsSender {
    async fn check(&self, channel: &Channel) -> Option<String> {
        match channel {
            Channel::Email { address } => Email::parse(address).err().map(|e| e.message),
            other => self.http.check(other).await,
        }
    }

    async fn enroll(&self, sub: &mut Subscription) -> Result<(), String> {
        if let Channel::Email { address } = &sub.channel {
            // A topic of its own for each enrolment: SNS hands back an existing topic of the
            // same name, and the replaced (or, when the update loses a race, the new) topic is
            // deleted.
            let name = format!("{}-{}", sub.id, uuid::Uuid::now_v7().simple());
            sub.email_topic = Some(self.mail.enroll(&name, address).await?);
        }
        Ok(())
    }

    async fn retire(&self, sub: &Subscription) {
        if let Some(topic) = &sub.email_topic {
            self.mail.retire(topic).await;
        }
    }

    fn longest_send(&self) -> std::time::Duration {
        self.http.longest_send().max(PUBLISH_TIME)
    }

    async fn send(&self, sub: &Subscription, item: &NewsItem, test: bool) -> Vec<DeliveryAttempt> {
        if !matches!(sub.channel, Channel::Email { .. }) {
            return self.http.send(sub, item, test).await;
        }
        let started = Instant::now();
        let at = chrono::Utc::now();
        let (subject, text) = email(item, test);
        let result = match &sub.email_topic {
            Some(topic) => {
                let publish = self.mail.publish(topic, &subject, &text);
                tokio::time::timeout(PUBLISH_TIME, publish)
                    .await
                    .unwrap_or_else(|_| Err(format!("no answer in {PUBLISH_TIME:?}")))
            }
            None => Err("the subscription has no email topic".to_owned()),
        };
        vec![DeliveryAttempt {
            subscription_id: sub.id.clone(),
            item_id: if test { "test".into() } else { item.id.clone() },
            attempt: 1,
            at,
            outcome: if result.is_ok() {
                Outcome::Delivered
            } else {
                Outcome::Failed
            },
            status: None,
            error: result.err(),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }]
    }
}
