//! The S3 archive (feature `s3`).

use super::{Archive, ArchiveError};
use async_trait::async_trait;

/// An S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Archive {
    client: aws_sdk_s3::Client,
    bucket: String,
}

fn s3_error<E: std::error::Error + 'static>(op: &'static str, err: E) -> ArchiveError {
    ArchiveError::S3 {
        op,
        message: aws_sdk_s3::error::DisplayErrorContext(err).to_string(),
    }
}

impl S3Archive {
    /// An archive in `bucket`.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket if it does not exist (local servers and tests; on AWS the
    /// template owns it).
    pub async fn create_bucket(&self) -> Result<(), ArchiveError> {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.code(),
                    Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(s3_error("CreateBucket", err)),
        }
    }
}

#[async_trait]
impl Archive for S3Archive {
    async fn exists(&self, key: &str) -> Result<bool, ArchiveError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(false),
            Err(err)
                if err
                    .raw_response()
                    .is_some_and(|r| r.status().as_u16() == 404) =>
            {
                Ok(false)
            }
            Err(err) => Err(s3_error("HeadObject", err)),
        }
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), ArchiveError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
            .map_err(|e| s3_error("PutObject", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| s3_error("GetObject body", e))?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(err) => Err(s3_error("GetObject", err)),
        }
    }
}
