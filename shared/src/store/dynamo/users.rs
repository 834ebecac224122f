//! The users table: profiles and the email uniqueness items written in the same transaction.

use super::*;
use crate::store::schema::{USERS_BY_KIND, USER_KIND};

/// The email uniqueness item: `user_id` is `email#<lowercased email>`.
#[derive(Serialize, Deserialize)]
struct EmailClaim {
    user_id: String,
    owner: String,
}

fn claim_id(email_key: &str) -> String {
    format!("email#{email_key}")
}

impl DynamoStore {
    fn user_put(
        &self,
        user: &User,
        condition: &str,
        version: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = to_item(user)?;
        item.insert(USERS_BY_KIND.partition.name.into(), s(USER_KIND));
        let mut put = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(item))
            .condition_expression(condition);
        if let Some(version) = version {
            put = put.expression_attribute_values(":v", AttributeValue::N(version.to_string()));
        }
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(|e| backend("Put", e))?)
            .build())
    }

    fn claim_put(&self, user: &User) -> Result<TransactWriteItem, StoreError> {
        let claim = EmailClaim {
            user_id: claim_id(&user.email.key()),
            owner: user.user_id.clone(),
        };
        let put = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(to_item(&claim)?))
            .condition_expression("attribute_not_exists(user_id)")
            .build()
            .map_err(|e| backend("Put", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn claim_delete(&self, user: &User) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.users)
            .key("user_id", s(claim_id(&user.email.key())))
            .condition_expression("attribute_not_exists(user_id) OR #owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(&user.user_id))
            .build()
            .map_err(|e| backend("Delete", e))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    async fn create_user(
        &self,
        user_id: &str,
        new: NewUser,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        if !is_user_id(user_id) {
            return Err(StoreError::Backend(format!(
                "CreateUser: {user_id:?} is not a user id"
            )));
        }
        let user = User::new(user_id, new, now);
        let items = vec![
            self.user_put(&user, "attribute_not_exists(user_id)", None)?,
            self.claim_put(&user)?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(user),
            Err(err) if condition_failed_at(&err, 0) => Err(StoreError::Exists),
            Err(err) if condition_failed_at(&err, 1) => Err(StoreError::DuplicateEmail),
            Err(err) => Err(backend("TransactWriteItems", err)),
        }
    }

    async fn get_user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        if !is_user_id(user_id) {
            return Ok(None);
        }
        self.get_item(&self.tables.users, "user_id", s(user_id))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn list_users(
        &self,
        limit: usize,
        cursor_text: Option<&str>,
    ) -> Result<Page<User>, StoreError> {
        let after = cursor_text
            .map(|c| cursor::decode(c, USERS_SCOPE, is_user_id))
            .transpose()?;
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.users)
            .index_name(USERS_BY_KIND.name)
            .key_condition_expression(format!("{} = :k", USERS_BY_KIND.partition.name))
            .expression_attribute_values(":k", s(USER_KIND))
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        if let Some(after) = after {
            request = request.set_exclusive_start_key(Some(HashMap::from([
                ("user_id".to_owned(), s(after)),
                (USERS_BY_KIND.partition.name.to_owned(), s(USER_KIND)),
            ])));
        }
        let rows = self.query_rows(request, limit + 1).await?;
        let users = rows
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<User>, _>>()?;
        Ok(into_page(users, limit, |u| {
            cursor::encode(USERS_SCOPE, &u.user_id)
        }))
    }

    async fn update_user(
        &self,
        user_id: &str,
        version: u64,
        patch: UserPatch,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let current = self.get_user(user_id).await?.ok_or(StoreError::NotFound)?;
        if current.version != version {
            return Err(StoreError::VersionConflict {
                current: current.version,
            });
        }
        let updated = current.patched(patch, now);
        let mut items = vec![self.user_put(
            &updated,
            "attribute_exists(user_id) AND version = :v",
            Some(version),
        )?];
        let email_changed = updated.email.key() != current.email.key();
        if email_changed {
            items.push(self.claim_delete(&current)?);
            items.push(self.claim_put(&updated)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(updated),
            Err(err) if condition_failed_at(&err, 0) => match self.get_user(user_id).await? {
                Some(now_stored) => Err(StoreError::VersionConflict {
                    current: now_stored.version,
                }),
                None => Err(StoreError::NotFound),
            },
            Err(err) if email_changed && condition_failed_at(&err, 2) => {
                Err(StoreError::DuplicateEmail)
            }
            Err(err) => Err(backend("TransactWriteItems", err)),
        }
    }

    async fn delete_user(&self, user_id: &str) -> Result<(), StoreError> {
        // A concurrent update changes the version; read again and retry a few times.
        for _ in 0..3 {
            let current = self.get_user(user_id).await?.ok_or(StoreError::NotFound)?;
            let delete = Delete::builder()
                .table_name(&self.tables.users)
                .key("user_id", s(user_id))
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(current.version.to_string()))
                .build()
                .map_err(|e| backend("Delete", e))?;
            let items = vec![
                TransactWriteItem::builder().delete(delete).build(),
                self.claim_delete(&current)?,
            ];
            match self.transact(items).await {
                Ok(()) => return Ok(()),
                Err(err) if condition_failed_at(&err, 0) => continue,
                Err(err) => return Err(backend("TransactWriteItems", err)),
            }
        }
        Err(StoreError::Backend(
            "DeleteUser: the user kept changing".into(),
        ))
    }
}
