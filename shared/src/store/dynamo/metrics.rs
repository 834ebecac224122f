//! The metrics table: device readings with their TTL.

use super::*;

/// A reading as stored: the reading's fields plus its device and TTL.
#[derive(Serialize, Deserialize)]
struct ReadingRecord {
    device_id: String,
    timestamp: i64,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    humidity: Option<f64>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

impl ReadingRecord {
    fn new(device: &DeviceId, reading: &Reading, expires_at: Option<i64>) -> Self {
        Self {
            device_id: device.as_str().to_owned(),
            timestamp: reading.timestamp,
            temperature: reading.temperature,
            humidity: reading.humidity,
            status: reading.status.clone(),
            expires_at,
        }
    }

    fn into_reading(self) -> Reading {
        Reading {
            timestamp: self.timestamp,
            temperature: self.temperature,
            humidity: self.humidity,
            status: self.status,
        }
    }
}

#[async_trait]
impl ReadingStore for DynamoStore {
    async fn put_readings(
        &self,
        device: &DeviceId,
        readings: &[Reading],
        expires_at: Option<i64>,
    ) -> Result<(), StoreError> {
        // A batch may not name one key twice: the last reading at a timestamp wins.
        let mut by_time: BTreeMap<i64, &Reading> = BTreeMap::new();
        for reading in readings {
            by_time.insert(reading.timestamp, reading);
        }
        let items = by_time
            .into_values()
            .map(|reading| to_item(&ReadingRecord::new(device, reading, expires_at)))
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_put(&self.tables.metrics, items).await
    }

    async fn list_readings(&self, query: &ReadingQuery) -> Result<Page<Reading>, StoreError> {
        let scope = query.scope();
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &scope, is_reading_time))
            .transpose()?;
        // DynamoDB refuses a start key outside the key condition: a cursor past the window has
        // nothing after it, one before it starts at its beginning.
        let after = match after.and_then(|a| a.parse::<i64>().ok()) {
            Some(after) if after > query.to => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                })
            }
            after => after.filter(|a| *a >= query.from),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.metrics)
            .key_condition_expression("device_id = :d AND #ts BETWEEN :from AND :to")
            .expression_attribute_names("#ts", "timestamp")
            .expression_attribute_values(":d", s(query.device.as_str()))
            .expression_attribute_values(":from", AttributeValue::N(query.from.to_string()))
            .expression_attribute_values(":to", AttributeValue::N(query.to.to_string()))
            .scan_index_forward(true)
            .limit(i32::try_from(query.limit + 1).unwrap_or(i32::MAX));
        if let Some(after) = after {
            request = request.set_exclusive_start_key(Some(HashMap::from([
                ("device_id".to_owned(), s(query.device.as_str())),
                ("timestamp".to_owned(), AttributeValue::N(after.to_string())),
            ])));
        }
        let rows = self.query_rows(request, query.limit + 1).await?;
        let readings = rows
            .into_iter()
            .map(|row| from_item::<ReadingRecord>(row).map(ReadingRecord::into_reading))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(readings, query.limit, |r| {
            cursor::encode(&scope, &r.timestamp.to_string())
        }))
    }
}
