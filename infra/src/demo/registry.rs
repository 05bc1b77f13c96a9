//! Demo places, organizations, people and posts: one row writer per record kind.

use super::Seeder;
use crate::entities::{
    community, department, estate, grid, owners_committee, person, post, property_company, service_contract,
};
use crate::error::Result;
use domain::registry::{OrgKind, PostTitle};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

impl<C: ConnectionTrait> Seeder<'_, C> {
    pub(super) async fn community(&self, name: &str, code: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        community::Entity::insert(community::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            code: Set(code.into()),
            street: Set("城关街道".into()),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    pub(super) async fn grid(&self, community_id: Uuid, name: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        grid::Entity::insert(grid::ActiveModel {
            id: Set(id),
            community_id: Set(community_id),
            name: Set(name.into()),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    pub(super) async fn estate(&self, community_id: Uuid, grid_id: Uuid, name: &str, address: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        estate::Entity::insert(estate::ActiveModel {
            id: Set(id),
            community_id: Set(community_id),
            grid_id: Set(Some(grid_id)),
            name: Set(name.into()),
            address: Set(address.into()),
            version: Set(0),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    pub(super) async fn company(&self, name: &str, credit_code: &str, address: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        property_company::Entity::insert(property_company::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            name_key: Set(Some(domain::registry::name_key(name))),
            credit_code: Set(credit_code.into()),
            address: Set(address.into()),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    pub(super) async fn contract(
        &self,
        company_id: Uuid,
        estate_id: Uuid,
        from: i32,
        to: i32,
        reference: &str,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        service_contract::Entity::insert(service_contract::ActiveModel {
            id: Set(id),
            company_id: Set(company_id),
            estate_id: Set(estate_id),
            starts_on: Set(self.years(from)),
            ends_on: Set(self.years(to)),
            reference: Set(Some(reference.into())),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    pub(super) async fn committee(&self, estate_id: Uuid, name: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        owners_committee::Entity::insert(owners_committee::ActiveModel {
            id: Set(id),
            estate_id: Set(estate_id),
            name: Set(name.into()),
            term_start: Set(self.years(-1)),
            term_end: Set(self.years(4)),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    pub(super) async fn department(&self, name: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        department::Entity::insert(department::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    pub(super) async fn person(&self, name: &str, phone: &str, party_member: bool) -> Result<Uuid> {
        let id = Uuid::now_v7();
        person::Entity::insert(person::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            phone: Set(Some(phone.into())),
            is_party_member: Set(party_member),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }

    /// A post; `place` is (community, estate) of the organization.
    pub(super) async fn post(
        &self,
        person_id: Uuid,
        kind: OrgKind,
        org_id: Uuid,
        title: PostTitle,
        place: (Option<Uuid>, Option<Uuid>),
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        post::Entity::insert(post::ActiveModel {
            id: Set(id),
            person_id: Set(person_id),
            org_kind: Set(kind.as_str().into()),
            org_id: Set(org_id),
            title: Set(title.as_str().into()),
            starts_on: Set(self.years(-2)),
            ends_on: Set(None),
            community_id: Set(place.0),
            estate_id: Set(place.1),
            created_at: Set(self.now),
            ended_at: Set(None),
            end_reason: Set(None),
        })
        .exec_without_returning(self.conn)
        .await?;
        Ok(id)
    }
}
