//! The weekly digest's readers: what a subscription is, the states it passes through, what
//! one digest send is made of, and the checks on an address as a reader typed it. Rules only;
//! the service crate stores, signs links and sends.

use crate::Language;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberState {
    /// Asked for, not yet confirmed from the address (double opt-in): nothing is sent to it
    /// but the confirmation.
    Pending,
    /// Confirmed: receives the digest.
    Confirmed,
    /// The reader left; a new subscription from the same address starts again at pending.
    Unsubscribed,
    /// The address failed permanently (the server answered 5xx): nothing more is sent to it
    /// until the reader subscribes again and confirms.
    Suppressed,
}

impl SubscriberState {
    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            SubscriberState::Pending => "pending",
            SubscriberState::Confirmed => "confirmed",
            SubscriberState::Unsubscribed => "unsubscribed",
            SubscriberState::Suppressed => "suppressed",
        }
    }
}

impl std::str::FromStr for SubscriberState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "pending" => SubscriberState::Pending,
            "confirmed" => SubscriberState::Confirmed,
            "unsubscribed" => SubscriberState::Unsubscribed,
            "suppressed" => SubscriberState::Suppressed,
            other => return Err(format!("unknown subscriber state {other:?}")),
        })
    }
}

/// One reader's subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Row id; signed into the reader's links.
    pub id: i64,
    /// The address, normalised by [`normalize_email`].
    pub email: String,
    /// The edition the digest is sent from.
    pub language: Language,
    /// Topic slugs chosen; empty means every topic.
    pub topics: Vec<String>,
    /// Where the subscription stands.
    pub state: SubscriberState,
    /// When the address first asked.
    pub created_at: OffsetDateTime,
}

impl Subscriber {
    /// Whether the reader wants the topic `slug` in the digest.
    pub fn wants(&self, slug: &str) -> bool {
        self.topics.is_empty() || self.topics.iter().any(|t| t == slug)
    }
}

/// What a reader asks for on the subscription form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRequest {
    /// The address, normalised.
    pub email: String,
    /// The edition.
    pub language: Language,
    /// Topic slugs (empty: all).
    pub topics: Vec<String>,
}

/// What became of a subscription request, for the service to decide which e-mail to send.
/// The reader's page never shows it: the answer is the same whatever the address's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A new address, or one that had left or failed: now pending, needs confirming.
    NeedsConfirmation(i64),
    /// Already confirmed: preferences updated, no confirmation needed.
    AlreadyConfirmed(i64),
}

/// Where one recipient of a digest send stands. A recipient is claimed (`sending`) before
/// the message goes to the SMTP server and marked `sent` after; a process that dies between
/// the two leaves `sending`, which the next run turns into `interrupted` and does not send
/// again: nobody receives the same digest twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not sent yet.
    Pending,
    /// Handed to the SMTP server right now.
    Sending,
    /// Accepted by the SMTP server.
    Sent,
    /// Refused: permanently (the address is suppressed) or after retries.
    Failed,
    /// The sending process stopped while this message was in flight; it may or may not
    /// have arrived, so it is not sent again.
    Interrupted,
    /// Not sent: the week has no commentary on any topic the reader chose.
    Skipped,
}

impl DeliveryState {
    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Interrupted => "interrupted",
            DeliveryState::Skipped => "skipped",
        }
    }
}

/// One digest send: a week in one language, to every confirmed reader of that language at
/// the time it was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSend {
    /// Row id.
    pub id: i64,
    /// The week sent.
    pub period: crate::Period,
    /// The edition sent.
    pub language: Language,
    /// When an editor started it.
    pub created_at: OffsetDateTime,
    /// Recipients not sent yet.
    pub pending: u64,
    /// Recipients the SMTP server accepted.
    pub sent: u64,
    /// Recipients refused.
    pub failed: u64,
    /// Recipients in flight when a sending process stopped (see [`DeliveryState`]).
    pub interrupted: u64,
    /// Recipients whose topics had no commentary that week.
    pub skipped: u64,
}

impl DigestSend {
    /// Every recipient of the send.
    pub fn total(&self) -> u64 {
        self.pending + self.sent + self.failed + self.interrupted + self.skipped
    }

    /// Whether nothing is left to send.
    pub fn finished(&self) -> bool {
        self.pending == 0
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the SMTP server.
    Sent,
    /// Refused for good (5xx): the address is suppressed.
    PermanentFailure(String),
    /// Refused for now and retries are spent: recorded, the address stays subscribed.
    TemporaryFailure(String),
    /// Nothing to send: no commentary that week on the reader's topics.
    Skipped,
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing typed.
    #[error("enter an e-mail address")]
    Empty,
    /// Not of the form `name@domain.tld`, or longer than the 254 characters SMTP allows.
    #[error("this is not an e-mail address (expected name@example.org)")]
    Malformed,
}

/// The address as it is stored and compared: trimmed and lower-cased, checked for the shape
/// `local@domain.tld`, at most 254 characters (RFC 5321), with no spaces, quotes, angle
/// brackets or control characters (which could break a header).
pub fn normalize_email(typed: &str) -> Result<String, AddressError> {
    let email = typed.trim().to_lowercase();
    if email.is_empty() {
        return Err(AddressError::Empty);
    }
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\".contains(c);
    let well_formed = email.len() <= 254
        && !email.contains(forbidden)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    if well_formed {
        Ok(email)
    } else {
        Err(AddressError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_are_trimmed_lowered_and_checked() {
        assert_eq!(
            normalize_email("  Reader@Example.ORG ").as_deref(),
            Ok("reader@example.org")
        );
        for bad in [
            "reader",
            "@example.org",
            "reader@",
            "reader@localhost",
            "a b@example.org",
            "reader@example.org\r\nBcc: x@y.z",
            "<reader@example.org>",
            "reader@@example.org",
            "reader@example..org",
        ] {
            assert_eq!(normalize_email(bad), Err(AddressError::Malformed), "{bad}");
        }
        assert_eq!(normalize_email("   "), Err(AddressError::Empty));
    }

    #[test]
    fn an_empty_topic_choice_means_every_topic() {
        let mut s = Subscriber {
            id: 1,
            email: "r@example.org".into(),
            language: Language::En,
            topics: vec![],
            state: SubscriberState::Confirmed,
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(s.wants("economy"));
        s.topics = vec!["politics".into()];
        assert!(s.wants("politics") && !s.wants("economy"));
    }

    proptest! {
        /// Whatever a reader types, an accepted address can go into a header unchanged: no
        /// line breaks or separators, and normalising it again changes nothing.
        #[test]
        fn accepted_addresses_are_header_safe_and_stable(typed in "(?s).{0,40}") {
            if let Ok(email) = normalize_email(&typed) {
                prop_assert!(!email.contains(['\r', '\n', '<', '>', ',', ' ']));
                prop_assert_eq!(normalize_email(&email), Ok(email.clone()));
            }
        }
    }
}
