//! IoT device readings.

use super::ValidationError;
use serde::{Deserialize, Serialize};

/// Readings accepted in one batch at most.
pub const MAX_READINGS_PER_BATCH: usize = 100;

/// Earliest and latest accepted reading time, epoch milliseconds (2000-01-01 to 2100-01-01).
pub const TIMESTAMP_RANGE: std::ops::RangeInclusive<i64> = 946_684_800_000..=4_102_444_800_000;

/// A device id: 1 to 128 characters of letters, digits, `_`, `-`, `.` or `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

impl DeviceId {
    /// Parses a device id.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok_len = (1..=128).contains(&raw.len());
        let ok_chars = raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
        if ok_len && ok_chars {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "device_id",
                "must be 1 to 128 characters of letters, digits, '_', '-', '.' or ':'",
            ))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeviceId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DeviceId> for String {
    fn from(value: DeviceId) -> Self {
        value.0
    }
}

/// One reading of a device. A reading at the same timestamp replaces the earlier one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    /// Epoch milliseconds.
    #[schema(minimum = 946_684_800_000_i64, maximum = 4_102_444_800_000_i64)]
    pub timestamp: i64,
    /// Degrees Celsius.
    #[serde(default)]
    #[schema(minimum = -100, maximum = 200)]
    pub temperature: Option<f64>,
    /// Relative humidity, percent.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub humidity: Option<f64>,
    /// Free-form device status.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub status: Option<String>,
}

impl Reading {
    /// Checks ranges: time within [`TIMESTAMP_RANGE`], finite values, humidity 0 to 100,
    /// temperature -100 to 200, status at most 64 characters.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !TIMESTAMP_RANGE.contains(&self.timestamp) {
            return Err(ValidationError::new(
                "timestamp",
                "must be epoch milliseconds between 2000 and 2100",
            ));
        }
        if self
            .temperature
            .is_some_and(|t| !t.is_finite() || !(-100.0..=200.0).contains(&t))
        {
            return Err(ValidationError::new(
                "temperature",
                "must be between -100 and 200",
            ));
        }
        if self
            .humidity
            .is_some_and(|h| !h.is_finite() || !(0.0..=100.0).contains(&h))
        {
            return Err(ValidationError::new(
                "humidity",
                "must be between 0 and 100",
            ));
        }
        if self.status.as_ref().is_some_and(|s| s.chars().count() > 64) {
            return Err(ValidationError::new(
                "status",
                "must be at most 64 characters",
            ));
        }
        Ok(())
    }
}

/// Count, min, max and mean of one numeric field.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldSummary {
    /// Readings that had the field.
    pub count: u64,
    /// Smallest value, if any.
    pub min: Option<f64>,
    /// Largest value, if any.
    pub max: Option<f64>,
    /// Mean value, if any.
    pub mean: Option<f64>,
}

impl FieldSummary {
    /// Adds a value.
    pub fn add(&mut self, value: f64) {
        let n = self.count as f64;
        self.count += 1;
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
        self.mean = Some(self.mean.map_or(value, |m| m + (value - m) / (n + 1.0)));
    }
}

/// The summary of a device's readings over a window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadingSummary {
    /// Readings in the window.
    pub count: u64,
    /// Temperature statistics.
    pub temperature: FieldSummary,
    /// Humidity statistics.
    pub humidity: FieldSummary,
}

impl ReadingSummary {
    /// Adds a reading.
    pub fn add(&mut self, reading: &Reading) {
        self.count += 1;
        if let Some(t) = reading.temperature {
            self.temperature.add(t);
        }
        if let Some(h) = reading.humidity {
            self.humidity.add(h);
        }
    }
}
