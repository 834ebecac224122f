//! Creating the tables the schema declares (local endpoints and tests; on AWS the template owns them).

use super::*;

impl DynamoStore {
    /// Creates every table of the [schema](super::schema) that does not exist, on-demand, with
    /// its indexes and TTL, and waits until each is active. For local endpoints and tests; on
    /// AWS the template owns the tables.
    pub async fn create_tables(&self) -> Result<(), StoreError> {
        for def in TABLES {
            self.create_table(def).await?;
        }
        Ok(())
    }

    async fn create_table(&self, def: &TableDef) -> Result<(), StoreError> {
        let name = self.tables.name_of(def).to_owned();
        let key_schema =
            |partition: &str, sort: Option<&str>| -> Result<Vec<KeySchemaElement>, StoreError> {
                let mut keys = vec![KeySchemaElement::builder()
                    .attribute_name(partition)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(|e| backend("key schema", e))?];
                if let Some(sort) = sort {
                    keys.push(
                        KeySchemaElement::builder()
                            .attribute_name(sort)
                            .key_type(KeyType::Range)
                            .build()
                            .map_err(|e| backend("key schema", e))?,
                    );
                }
                Ok(keys)
            };
        let mut attrs = BTreeMap::new();
        let all_keys = std::iter::once(def.partition).chain(def.sort).chain(
            def.indexes
                .iter()
                .flat_map(|i: &IndexDef| std::iter::once(i.partition).chain(i.sort)),
        );
        for key in all_keys {
            attrs.insert(key.name, key.kind);
        }
        let mut request = self
            .client
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(
                def.partition.name,
                def.sort.map(|k| k.name),
            )?));
        for (attr, kind) in attrs {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attr)
                    .attribute_type(ScalarAttributeType::from(kind.as_str()))
                    .build()
                    .map_err(|e| backend("attribute definition", e))?,
            );
        }
        for index in def.indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(key_schema(
                        index.partition.name,
                        index.sort.map(|k| k.name),
                    )?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(|e| backend("index", e))?,
            );
        }
        match request.send().await {
            Ok(_) => {}
            Err(err) if err.code() == Some("ResourceInUseException") => return Ok(()),
            Err(err) => return Err(backend("CreateTable", err)),
        }
        for _ in 0..100 {
            let described = self
                .client
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .map_err(|e| backend("DescribeTable", e))?;
            let active = described
                .table()
                .and_then(|t| t.table_status())
                .is_some_and(|s| s.as_str() == "ACTIVE");
            if active {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if let Some(attr) = def.ttl {
            let spec = TimeToLiveSpecification::builder()
                .attribute_name(attr)
                .enabled(true)
                .build()
                .map_err(|e| backend("TTL", e))?;
            self.client
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(|e| backend("UpdateTimeToLive", e))?;
        }
        Ok(())
    }
}
